"""Motion fusion: which generator layer receives which feature (additive Eq. 1)."""

from __future__ import annotations

import pytest
import torch

from ttsf.tfg.motion_fusion import fuse_styles


def test_layer_assignment_paper_defaults():
    d = 4
    f_id, f_m, f_s, f_a = (torch.full((2, d), v) for v in (1.0, 10.0, 100.0, 1000.0))
    styles = fuse_styles(f_id, f_m, f_s, n_styles=14, f_a=f_a)
    assert styles.shape == (2, 14, d)
    expected = [11.0] * 5 + [1011.0] * 2 + [100.0] * 7  # layers 1-5, 6-7, 8-14
    assert styles[0, :, 0].tolist() == expected


def test_frames_broadcast_and_no_audio():
    f_id = torch.randn(2, 1, 8)  # one identity per clip
    f_m = torch.randn(2, 5, 8)  # one motion per frame
    f_s = torch.randn(2, 1, 8)
    styles = fuse_styles(f_id, f_m, f_s, 10, motion_layers=[1, 2], audio_layers=[2])
    assert styles.shape == (2, 5, 10, 8)
    torch.testing.assert_close(styles[:, :, 1], f_id + f_m)  # no f_a: plain motion
    torch.testing.assert_close(styles[:, :, 4], f_s.expand(2, 5, 8))


def test_bad_layers():
    x = torch.zeros(1, 4)
    with pytest.raises(ValueError, match="outside"):
        fuse_styles(x, x, x, 6, motion_layers=[1, 7])
    with pytest.raises(ValueError, match="among motion_layers"):
        fuse_styles(x, x, x, 6, motion_layers=[1, 2], audio_layers=[3])
