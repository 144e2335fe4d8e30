"""Motion extractor ``lia_orthogonal``: f_id + f_m = f_v, orthonormal motion codes."""

from __future__ import annotations

import pytest
import torch

from ttsf.config import build
from ttsf.tfg.motion_extractor import LiaOrthogonalMotionExtractor, split_identity_motion


def test_identity_plus_motion_is_visual_latent():
    torch.manual_seed(0)
    m = LiaOrthogonalMotionExtractor(style_dim=64, n_motions=20)
    f_v = torch.randn(4, 7, 64)
    f_id, f_m = split_identity_motion(m, f_v)
    assert f_id.shape == f_m.shape == f_v.shape
    # exact up to the rounding of one float32 subtraction and addition
    tol = 2 * torch.finfo(f_v.dtype).eps * (f_v.abs() + f_m.abs())
    assert ((f_id + f_m - f_v).abs() <= tol).all()
    f_id64, f_m64 = split_identity_motion(m.double(), f_v.double())
    torch.testing.assert_close(f_id64 + f_m64, f_v.double(), rtol=0, atol=1e-12)


def test_motion_lies_in_the_span_of_the_codes():
    torch.manual_seed(0)
    m = LiaOrthogonalMotionExtractor(style_dim=32, n_motions=5)
    f_v = torch.randn(6, 32)
    d = m.motion_codes()
    f_m = m(f_v)
    torch.testing.assert_close(f_m @ d @ d.t(), f_m, rtol=1e-4, atol=1e-5)  # projection
    torch.testing.assert_close(f_m @ d, m.magnitudes(f_v), rtol=1e-4, atol=1e-5)


def test_codes_stay_orthonormal_after_optimiser_steps():
    torch.manual_seed(0)
    m = LiaOrthogonalMotionExtractor(style_dim=64, n_motions=20)
    opt = torch.optim.Adam(m.parameters(), lr=0.05)
    target = torch.randn(16, 64)
    before = m.motion_codes().detach().clone()
    for _ in range(30):
        loss = (m(torch.randn(16, 64)) - target).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    d = m.motion_codes()
    assert (d - before).abs().max() > 1e-2  # the codes did move
    assert torch.linalg.norm(d.t() @ d - torch.eye(20)) < 1e-5


def test_gradients_and_registry():
    m = build(
        {"motion_extractor": "lia_orthogonal", "motion_extractor_conf": {"style_dim": 32}},
        "motion_extractor",
    )
    assert m.n_motions == 20 and len(m.mlp) == 5
    m(torch.randn(3, 32)).square().sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_motions"):
        LiaOrthogonalMotionExtractor(style_dim=8, n_motions=9)
    with pytest.raises(ValueError, match="style_dim=8"):
        LiaOrthogonalMotionExtractor(style_dim=8, n_motions=2)(torch.zeros(2, 9))
