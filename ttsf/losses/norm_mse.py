"""Motion normaliser reconstruction loss (TTSF §3.2): MSE between the target motion ``f_m``
and the auto-encoder's reconstruction, averaged over valid frames and channels."""

from __future__ import annotations

import torch

from ttsf.losses.abs_loss import AbsLoss, loss_registry
from ttsf.losses.prior_nll import masked_mean


@loss_registry.register("norm_mse")
class NormaliserMSELoss(AbsLoss):
    def forward(
        self, recon: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """
        Args:
            recon (Tensor): (B, T, style_dim) reconstructed motion (any layout matching target).
            target (Tensor): (B, T, style_dim) target motion ``f_m``.
            mask (Tensor): broadcastable to ``target`` ((B, T, 1)), 1 on valid frames.
        Returns:
            scalar mean squared error per valid element.
        """
        if recon.shape != target.shape:
            raise ValueError(
                f"norm_mse: reconstruction {tuple(recon.shape)} and target "
                f"{tuple(target.shape)} differ"
            )
        return masked_mean((recon - target) ** 2, mask)
