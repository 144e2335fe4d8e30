import pytest
import torch

from ttsf.losses.abs_loss import loss_registry
from ttsf.losses.norm_mse import NormaliserMSELoss


def test_norm_mse_hand_computed_and_masked():
    recon = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [9.0, 9.0]]])  # (B=1, T=3, C=2)
    target = torch.tensor([[[0.0, 2.0], [3.0, 2.0], [0.0, 0.0]]])
    mask = torch.tensor([[[1.0], [1.0], [0.0]]])  # last frame padded
    # valid squared errors: 1, 0, 0, 4 -> 5 / 4
    loss = loss_registry.build("norm_mse")
    assert isinstance(loss, NormaliserMSELoss)
    assert loss(recon, target, mask).item() == pytest.approx(1.25)
    assert loss(recon, target).item() == pytest.approx((5 + 81 + 81) / 6)


def test_norm_mse_gradient():
    recon = torch.zeros(2, 4, 3, requires_grad=True)
    target = torch.ones(2, 4, 3)
    loss_registry.build("norm_mse")(recon, target).backward()
    torch.testing.assert_close(recon.grad, torch.full_like(recon, -2.0 / 24))
