"""Discriminator family for the adversarial loss on generated frames."""

from __future__ import annotations

from abc import abstractmethod

import torch
from torch import nn

from ttsf.registry import Registry


class AbsDiscriminator(nn.Module):
    @abstractmethod
    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """
        Args:
            image (Tensor): (B, 3, H, W) in [-1, 1].
        Returns:
            logits (Tensor): (B, 1) realness scores.
        """


discriminator_registry = Registry("discriminator", AbsDiscriminator, default="stylegan2")
