"""Visual encoder E: latent and feature pyramid shapes, LIA's widths, bad input."""

from __future__ import annotations

import pytest
import torch

from ttsf.tfg.stylegan2_ops import channels_at
from ttsf.tfg.visual_encoder import VisualEncoder


@pytest.mark.parametrize("size", [64, 128])
def test_latent_and_pyramid(size):
    torch.manual_seed(0)
    enc = VisualEncoder(size, style_dim=24, channel_base=4 * size, max_channels=32)
    f_v, feats = enc(torch.rand(3, 3, size, size) * 2 - 1)
    assert f_v.shape == (3, 24)
    sides = [8 * 2**j for j in range(len(feats))]
    assert sides[-1] == size
    for feat, r in zip(feats, sides, strict=True):
        assert feat.shape == (3, channels_at(r, 4 * size, 32), r, r)


def test_lia_widths_and_size():
    assert [channels_at(r, 16384, 512) for r in (4, 8, 16, 32, 64, 128, 256)] == [
        512, 512, 512, 512, 256, 128, 64,
    ]  # fmt: skip
    with torch.device("meta"):
        enc = VisualEncoder()  # 256x256, style_dim 512: LIA's appearance encoder
    assert sum(p.numel() for p in enc.parameters()) == 21_635_648


def test_bad_input():
    enc = VisualEncoder(32, 8, 64, 8)
    with pytest.raises(ValueError, match=r"\(B, 3, 32, 32\)"):
        enc(torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match="power of two"):
        VisualEncoder(48)
