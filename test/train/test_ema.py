"""The weight average of ttsf/train/ema.py: warm-up, what is averaged, errors."""

import pytest
import torch
from torch import nn

from ttsf.train.ema import WeightEMA


def test_warm_up_then_decay():
    net = nn.Linear(2, 1)
    ema = WeightEMA(net, decay=0.99)
    assert ema.current_decay() == pytest.approx(0.1)  # (1 + 0) / (10 + 0): the first update
    for _ in range(1000):  # ~mostly the live weights early on, then at most 0.99 of the past
        ema.update(net)
    assert ema.current_decay() == 0.99


def test_float_entries_are_averaged_counters_are_copied():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    ema = WeightEMA(net, decay=0.5)
    start = {k: v.clone() for k, v in net.state_dict().items()}
    net(torch.randn(8, 3))  # moves the running stats and the long counter
    with torch.no_grad():
        net[0].weight.add_(1.0)
    ema.update(net)  # first update: keep 0.1 of the old average
    state = ema.averaged_state(net)
    torch.testing.assert_close(state["0.weight"], 0.1 * start["0.weight"] + 0.9 * net[0].weight)
    torch.testing.assert_close(
        state["1.running_mean"], 0.1 * start["1.running_mean"] + 0.9 * net[1].running_mean
    )
    assert state["1.num_batches_tracked"] == 1  # a step counter is not averaged


def test_swapped_in_restores_the_live_weights_even_on_error():
    net = nn.Linear(2, 2)
    ema = WeightEMA(net, decay=0.9)
    live = net.weight.detach().clone()
    with torch.no_grad():
        ema.shadow["weight"].zero_()
    with pytest.raises(KeyError), ema.swapped_in(net):
        assert torch.count_nonzero(net.weight) == 0
        raise KeyError("validation failed")
    torch.testing.assert_close(net.weight.detach(), live)


def test_bad_decay_and_foreign_state_are_refused():
    with pytest.raises(ValueError, match=r"ema_decay must be in \(0, 1\)"):
        WeightEMA(nn.Linear(2, 2), decay=1.0)
    ema = WeightEMA(nn.Linear(2, 2), decay=0.9)
    with pytest.raises(RuntimeError, match="belongs to another model"):
        ema.load_state_dict(WeightEMA(nn.Linear(2, 2, bias=False), 0.9).state_dict())
