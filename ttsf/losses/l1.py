"""L1 reconstruction loss between generated and target frames (TTSF Eq. 2)."""

from __future__ import annotations

import torch

from ttsf.losses.abs_loss import AbsLoss, loss_registry


@loss_registry.register("l1")
class L1Loss(AbsLoss):
    def forward(
        self, pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """
        Args:
            pred, target (Tensor): (B, ...) same shape, e.g. (B, 3, H, W) frames.
            mask (Tensor | None): (B,) 1 for valid items (padded frames excluded).
        Returns:
            scalar mean absolute error over the valid items.
        """
        if pred.shape != target.shape:
            raise ValueError(f"l1: pred {tuple(pred.shape)} vs target {tuple(target.shape)}")
        err = (pred - target).abs().flatten(1).mean(1)
        if mask is None:
            return err.mean()
        mask = mask.to(err.dtype)
        return (err * mask).sum() / mask.sum().clamp(min=1.0)
