"""Motion extractor family M: visual latent -> motion feature (identity = latent - motion)."""

from __future__ import annotations

from abc import abstractmethod

import torch
from torch import nn

from ttsf.registry import Registry


class AbsMotionExtractor(nn.Module):
    @abstractmethod
    def forward(self, f_v: torch.Tensor) -> torch.Tensor:
        """
        Args:
            f_v (Tensor): (..., style_dim) visual latent of a frame.
        Returns:
            f_m (Tensor): (..., style_dim) its motion feature; ``f_id = f_v - f_m``.
        """


motion_extractor_registry = Registry(
    "motion_extractor", AbsMotionExtractor, default="lia_orthogonal"
)
