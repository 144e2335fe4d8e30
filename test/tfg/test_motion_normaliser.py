import pytest
import torch

from ttsf.losses.norm_mse import NormaliserMSELoss
from ttsf.tfg.motion_normaliser import MotionNormaliser


def test_shapes_at_paper_size():
    ae = MotionNormaliser(style_dim=512, latent_dim=16)
    z, recon = ae(torch.randn(2, 7, 512))
    assert z.shape == (2, 7, 16) and recon.shape == (2, 7, 512)
    torch.testing.assert_close(ae.decode(ae.encode(torch.ones(3, 512))), ae(torch.ones(3, 512))[1])
    n = sum(p.numel() for p in ae.parameters())
    enc = (512 * 256 + 256) + (256 * 16 + 16)
    dec = (16 * 256 + 256) + (256 * 512 + 512)
    assert n == enc + dec == 271_376


def test_overfits_a_fixed_motion_set():
    # 256 frames of 512-d motion living on a 10-d subspace (LIA's motion is a combination of a
    # few directions) plus a little noise: the auto-encoder must reconstruct them almost exactly.
    g = torch.Generator().manual_seed(0)
    directions = torch.linalg.qr(torch.randn(512, 10, generator=g))[0].T  # (10, 512) orthonormal
    f_m = torch.randn(256, 10, generator=g) @ directions * 3 + 0.01 * torch.randn(
        256, 512, generator=g
    )
    torch.manual_seed(0)
    ae = MotionNormaliser(style_dim=512, latent_dim=16, hidden=64)
    loss_fn = NormaliserMSELoss()
    opt = torch.optim.Adam(ae.parameters(), lr=3e-3)
    first = loss_fn(ae(f_m)[1], f_m).item()
    for _ in range(200):
        opt.zero_grad()
        loss = loss_fn(ae(f_m)[1], f_m)
        loss.backward()
        opt.step()
    final = loss_fn(ae(f_m)[1], f_m).item()
    variance = f_m.var().item()  # MSE of always predicting the mean, about 0.176
    assert first > 0.5 * variance
    assert final < 0.01 * variance, (first, final, variance)  # measured: 0.0004 vs 0.18


def test_bad_config():
    with pytest.raises(ValueError, match="n_layers"):
        MotionNormaliser(n_layers=0)
    assert len(MotionNormaliser(n_layers=1).encoder) == 1  # a linear auto-encoder
