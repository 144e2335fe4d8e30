"""StyleGAN2 discriminator and the non-saturating loss with lazy R1."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ttsf.config import build
from ttsf.losses.adversarial import NonSaturatingAdversarialLoss
from ttsf.tfg.discriminator import minibatch_stddev


@pytest.mark.parametrize("size", [32, 64])
def test_shapes_and_gradients(size):
    torch.manual_seed(0)
    d = build(
        {
            "discriminator": "stylegan2",
            "discriminator_conf": {
                "image_size": size,
                "channel_base": 8 * size,
                "max_channels": 32,
            },
        },
        "discriminator",
    )
    x = (torch.rand(4, 3, size, size) * 2 - 1).requires_grad_(True)
    logits = d(x)
    assert logits.shape == (4, 1)
    logits.sum().backward()
    assert x.grad.abs().sum() > 0
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in d.parameters())
    with pytest.raises(ValueError, match="discriminator expects"):
        d(torch.zeros(1, 3, size * 2, size * 2))


def test_minibatch_stddev_matches_reference():
    torch.manual_seed(0)
    x = torch.randn(4, 3, 2, 2)
    out = minibatch_stddev(x, group_size=2)
    assert out.shape == (4, 4, 2, 2)
    torch.testing.assert_close(out[:, :3], x)
    # groups are samples {0, 2} and {1, 3} (StyleGAN2 strides the group over the batch)
    for members in ((0, 2), (1, 3)):
        ref = x[list(members)].std(dim=0, unbiased=False).mean()
        for i in members:
            torch.testing.assert_close(out[i, 3], torch.full((2, 2), float(ref)))


def test_non_saturating_losses():
    loss = NonSaturatingAdversarialLoss()
    fake, real = torch.tensor([[0.0], [2.0]]), torch.tensor([[1.0], [-1.0]])
    torch.testing.assert_close(loss(fake), -F.logsigmoid(fake).mean())
    torch.testing.assert_close(
        loss.discriminator_loss(real, fake),
        -(torch.log1p(-torch.sigmoid(fake))).mean() - F.logsigmoid(real).mean(),
    )


def test_lazy_r1_of_a_linear_critic():
    """For D(x) = <w, x> the gradient is w, so R1 = ||w||^2 exactly."""
    torch.manual_seed(0)
    w = torch.randn(1, 3, 4, 4)

    def critic(x):
        return (x * w).flatten(1).sum(1, keepdim=True)

    loss = NonSaturatingAdversarialLoss(r1_gamma=10.0, r1_interval=4)
    real = torch.randn(5, 3, 4, 4)
    term = loss.lazy_r1(critic, real, step=8)
    torch.testing.assert_close(term, 0.5 * 10.0 * 4 * w.square().sum())
    assert loss.lazy_r1(critic, real, step=9) is None
    assert NonSaturatingAdversarialLoss(r1_interval=0).lazy_r1(critic, real, step=0) is None
