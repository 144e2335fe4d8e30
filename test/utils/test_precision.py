"""bf16 inference: autocast, and the twin with bf16 weights that gives the same numbers."""

import pytest
import torch
from torch import nn

from ttsf.tfg.stylegan2_ops import ModulatedConv2d
from ttsf.utils.precision import autocast, with_bf16_weights


def test_fp32_is_a_no_op_and_unknown_precisions_are_refused():
    with autocast("cpu", "fp32"):
        assert not torch.is_autocast_enabled("cpu")
    with autocast("cpu", "bf16"):
        assert torch.is_autocast_enabled("cpu")
    with pytest.raises(ValueError, match="precision must be one of"):
        autocast("cpu", "fp16")


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(8, 16, 3, padding=1)
        self.norm = nn.LayerNorm(16)
        self.proj = nn.Linear(16, 4)
        self.register_buffer("offset", torch.arange(4.0))

    def forward(self, x):  # (B, 8, T) -> (B, T, 4)
        return self.proj(self.norm(self.conv(x).transpose(1, 2))) + self.offset


def test_bf16_twin_gives_the_same_numbers_and_shares_what_it_does_not_convert():
    torch.manual_seed(0)
    net = Net().eval()
    twin = with_bf16_weights(net)
    assert twin.conv.weight.dtype == twin.proj.weight.dtype == torch.bfloat16
    assert net.conv.weight.dtype == net.proj.weight.dtype == torch.float32  # original untouched
    assert twin.norm.weight is net.norm.weight and twin.offset is net.offset
    x = torch.randn(2, 8, 5)
    with torch.inference_mode(), autocast("cpu", "bf16"):
        torch.testing.assert_close(twin(x), net(x), rtol=0, atol=0)


def test_a_generator_layer_with_a_filled_inference_cache_can_be_twinned():
    torch.manual_seed(0)
    layer = ModulatedConv2d(4, 4, 3, style_dim=8).eval()
    x, style = torch.randn(1, 4, 6, 6), torch.randn(1, 8)
    with torch.inference_mode():
        want = layer(x, style)  # fills the cache with inference tensors
    twin = with_bf16_weights(layer)
    assert twin._cache is None and twin.weight is layer.weight
    with torch.inference_mode():
        torch.testing.assert_close(twin(x, style), want, rtol=0, atol=0)
