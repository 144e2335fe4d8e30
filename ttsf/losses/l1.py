"""L1 reconstruction loss between generated and target frames (TTSF Eq. 2), with an optional
extra weight on one region of the frame (the mouth)."""

from __future__ import annotations

from typing import Sequence

import torch

from ttsf.losses.abs_loss import AbsLoss, loss_registry


@loss_registry.register("l1")
class L1Loss(AbsLoss):
    """Args:
    region: [top, bottom, left, right] of a box as fractions of the frame's height and width,
        e.g. the mouth of aligned face crops, [0.5, 0.85, 0.25, 0.75]; None: no box.
    region_weight: the box's mean error is added with this weight. Why: a small region such as
        the open mouth of a speaker is a few percent of the pixels, so the frame mean barely
        sees whether it is drawn; weight w raises each box pixel's gradient by about
        1 + w / (box area fraction).
    """

    def __init__(self, region: Sequence[float] | None = None, region_weight: float = 0.0) -> None:
        super().__init__()
        if region is not None:
            top, bottom, left, right = (float(v) for v in region)
            if not (0 <= top < bottom <= 1 and 0 <= left < right <= 1):
                raise ValueError(
                    f"l1: region {list(region)} must be [top, bottom, left, right] fractions "
                    "with 0 <= top < bottom <= 1 and 0 <= left < right <= 1"
                )
            region = (top, bottom, left, right)
        if region_weight < 0 or (region_weight > 0 and region is None):
            raise ValueError(
                f"l1: region_weight {region_weight} needs a region and must be >= 0"
            )
        self.region, self.region_weight = region, float(region_weight)

    def _box(self, x: torch.Tensor) -> torch.Tensor:
        """(B, ..., H, W) -> the region's pixels (B, ..., h, w), at least one row and column."""
        h, w = x.shape[-2:]
        top, bottom, left, right = self.region
        y0, x0 = min(int(top * h), h - 1), min(int(left * w), w - 1)
        y1, x1 = max(round(bottom * h), y0 + 1), max(round(right * w), x0 + 1)
        return x[..., y0:y1, x0:x1]

    def forward(
        self, pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """
        Args:
            pred, target (Tensor): (B, ...) same shape, e.g. (B, 3, H, W) frames (with a
                region: (B, ..., H, W)).
            mask (Tensor | None): (B,) 1 for valid items (padded frames excluded).
        Returns:
            scalar mean absolute error over the valid items (+ region_weight x the region's).
        """
        if pred.shape != target.shape:
            raise ValueError(f"l1: pred {tuple(pred.shape)} vs target {tuple(target.shape)}")
        diff = (pred - target).abs()
        err = diff.flatten(1).mean(1)
        if self.region_weight > 0:
            err = err + self.region_weight * self._box(diff).flatten(1).mean(1)
        if mask is None:
            return err.mean()
        mask = mask.to(err.dtype)
        return (err * mask).sum() / mask.sum().clamp(min=1.0)
