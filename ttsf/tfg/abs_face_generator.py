"""Face generator family: the visual encoder E and the generator G that share its feature maps."""

from __future__ import annotations

from abc import abstractmethod

import torch
from torch import nn

from ttsf.registry import Registry


class AbsFaceGenerator(nn.Module):
    """E encodes a portrait once; G renders any number of frames from per-layer styles.

    Attributes:
        style_dim: size of the latent ``f_v`` / ``f_s`` and of every style vector.
        n_styles: number of generator layers that take a style (styles are indexed 1..n).
        image_size: side of the square frames.
    """

    style_dim: int
    n_styles: int
    image_size: int

    @abstractmethod
    def encode(self, image: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """
        Args:
            image (Tensor): (B, 3, H, W) in [-1, 1].
        Returns:
            f_v (Tensor): (B, style_dim) visual latent.
            feats (list[Tensor]): the multi-scale source feature maps G warps, coarse to fine.
        """

    @abstractmethod
    def decode(self, styles: torch.Tensor, feats: list[torch.Tensor]) -> torch.Tensor:
        """
        Args:
            styles (Tensor): (B, n_styles, style_dim), one style per generator layer.
            feats: the source feature maps from :meth:`encode` (batch B or 1, broadcast).
        Returns:
            frames (Tensor): (B, 3, H, W) in [-1, 1].
        """


face_generator_registry = Registry("face_generator", AbsFaceGenerator, default="lia_flow")
