"""code_consistency: the within-clip share of a code's variance."""

import pytest
import torch

from ttsf.config import build


def test_share_of_variance_within_clips():
    loss = build({"loss": "code_consistency"}, "loss")
    torch.manual_seed(0)
    clip_codes = torch.randn(4, 1, 8).expand(4, 3, 8)
    assert float(loss(clip_codes)) == pytest.approx(0.0, abs=1e-7)  # steady within every clip
    noisy = clip_codes + 0.1 * torch.randn(4, 3, 8)
    share = float(loss(noisy))
    assert 0 < share < 0.05
    assert float(loss(10 * noisy + 3)) == pytest.approx(share, rel=1e-4)  # scale-free
    assert float(loss(noisy[:1])) == pytest.approx(1.0)  # one clip: all variance is within
    unrelated = torch.randn(4, 3, 8)
    assert float(loss(unrelated)) > 0.5


def test_gradient_pulls_the_frames_of_a_clip_together():
    loss = build({"loss": "code_consistency"}, "loss")
    torch.manual_seed(0)
    codes = (torch.randn(3, 1, 4) + 0.3 * torch.randn(3, 2, 4)).requires_grad_()
    before = loss(codes).item()
    opt = torch.optim.SGD([codes], lr=0.5)
    for _ in range(20):
        opt.zero_grad()
        loss(codes).backward()
        opt.step()
    assert loss(codes).item() < 0.5 * before


def test_shape_errors():
    loss = build({"loss": "code_consistency"}, "loss")
    with pytest.raises(ValueError, match="K >= 2"):
        loss(torch.randn(2, 1, 4))
    with pytest.raises(ValueError, match="K >= 2"):
        loss(torch.randn(2, 4))
