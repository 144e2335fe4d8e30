import math

import pytest
import torch

from ttsf.losses.abs_loss import loss_registry
from ttsf.losses.prior_nll import PriorNLLLoss


def test_prior_nll_hand_computed():
    # One item, 2 channels, 3 frames, the last frame padded (its values must not count).
    z = torch.tensor([[[1.0, 2.0, 100.0], [0.0, -1.0, -50.0]]])
    mu = torch.tensor([[[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]])
    mask = torch.tensor([[[1.0, 1.0, 0.0]]])
    # squared errors on valid elements: 1, 1, 0, 4 -> sum 6 over 4 elements
    expected = 0.5 * (6.0 / 4.0 + math.log(2 * math.pi))  # = 1.6689...
    got = PriorNLLLoss()(z, mu, mask)
    assert got.item() == pytest.approx(expected, abs=1e-6)
    assert got.item() == pytest.approx(1.668938533, abs=1e-6)


def test_prior_nll_equals_gaussian_log_prob():
    torch.manual_seed(0)
    z, mu = torch.randn(2, 3, 5), torch.randn(2, 3, 5)
    ref = -torch.distributions.Normal(mu, 1.0).log_prob(z).mean()
    assert PriorNLLLoss()(z, mu).item() == pytest.approx(ref.item(), abs=1e-6)


def test_prior_nll_registered_and_checks_shapes():
    loss = loss_registry.build("prior_nll")
    with pytest.raises(ValueError, match="differ"):
        loss(torch.zeros(1, 2, 3), torch.zeros(1, 3, 3))
