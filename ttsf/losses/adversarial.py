"""Non-saturating GAN loss with lazy R1 regularisation (StyleGAN2 §4; LIA's training losses).

Generator:      softplus(-D(fake))                 (= -log sigmoid D(fake))
Discriminator:  softplus(D(fake)) + softplus(-D(real))
R1:             gamma / 2 * E ||grad_x D(x_real)||^2, computed every ``r1_interval`` steps
                only and scaled by ``r1_interval`` ("lazy regularisation", StyleGAN2 §4).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ttsf.losses.abs_loss import AbsLoss, loss_registry


@loss_registry.register("adv_ns")
class NonSaturatingAdversarialLoss(AbsLoss):
    """Args:
    r1_gamma: R1 weight (10 in StyleGAN2 at 256x256; LIA uses 10).
    r1_interval: apply R1 every this many discriminator steps (16); 0 disables R1.
    """

    def __init__(self, r1_gamma: float = 10.0, r1_interval: int = 16) -> None:
        super().__init__()
        self.r1_gamma = r1_gamma
        self.r1_interval = r1_interval

    def forward(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """Generator loss. fake_logits (Tensor): (B, 1) -> scalar."""
        return F.softplus(-fake_logits).mean()

    def discriminator_loss(
        self, real_logits: torch.Tensor, fake_logits: torch.Tensor
    ) -> torch.Tensor:
        """real_logits, fake_logits (Tensor): (B, 1) -> scalar (fake must come detached)."""
        return F.softplus(fake_logits).mean() + F.softplus(-real_logits).mean()

    @staticmethod
    def r1_penalty(real_logits: torch.Tensor, real_images: torch.Tensor) -> torch.Tensor:
        """E ||d D(x) / d x||^2 over the real batch; ``real_images`` must require grad."""
        (grad,) = torch.autograd.grad(real_logits.sum(), real_images, create_graph=True)
        return grad.square().flatten(1).sum(1).mean()

    def lazy_r1(
        self, discriminator: nn.Module, real_images: torch.Tensor, step: int
    ) -> torch.Tensor | None:
        """The scaled R1 term on the steps where it is due (``step % r1_interval == 0``),
        else ``None``. real_images (Tensor): (B, 3, H, W)."""
        if self.r1_interval <= 0 or self.r1_gamma == 0 or step % self.r1_interval:
            return None
        real = real_images.detach().requires_grad_(True)
        penalty = self.r1_penalty(discriminator(real), real)
        return 0.5 * self.r1_gamma * self.r1_interval * penalty
