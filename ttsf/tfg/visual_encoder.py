"""Visual encoder E (TTSF §3.1; LIA §3): a portrait -> latent ``f_v`` + multi-scale feature maps.

The architecture is a StyleGAN2 discriminator without its head (LIA's appearance encoder): a
1x1 "fromRGB" conv, one residual downsampling block per octave down to 4x4, and a 4x4 conv that
turns the 4x4 map into the ``style_dim`` latent. The activations at 8x8 .. image_size are kept:
the generator warps them with its flow fields, so the source portrait's texture reaches the
output frame without passing through the ``style_dim`` bottleneck.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ttsf.tfg.stylegan2_ops import ConvLayer, EqualConv2d, ResBlock, channels_at

#: activations run channels-last: oneDNN's CPU convolutions are markedly faster in it.
CHANNELS_LAST = torch.channels_last


def check_image_size(image_size: int) -> int:
    """Return log2(image_size), or raise if it is not a power of two >= 8."""
    log_size = int(round(math.log2(image_size))) if image_size > 0 else 0
    if image_size < 8 or 2**log_size != image_size:
        raise ValueError(f"image_size must be a power of two >= 8, got {image_size}")
    return log_size


class VisualEncoder(nn.Module):
    """E: (B, 3, S, S) in [-1, 1] -> ``f_v`` (B, style_dim) and feature maps at 8 .. S.

    Args:
        image_size: S, a power of two (256 in the paper).
        style_dim: size of ``f_v`` (512 in the paper).
        channel_base, max_channels: width at resolution r is ``min(max_channels,
            channel_base // r)`` (see :func:`channels_at`); the generator uses the same table.
    """

    def __init__(
        self,
        image_size: int = 256,
        style_dim: int = 512,
        channel_base: int = 16384,
        max_channels: int = 512,
    ) -> None:
        super().__init__()
        log_size = check_image_size(image_size)
        self.image_size = image_size
        self.style_dim = style_dim
        width = [channels_at(2**i, channel_base, max_channels) for i in range(log_size + 1)]
        self.from_rgb = ConvLayer(3, width[log_size], 1)
        # blocks[j] maps resolution 2**(log_size - j) to half of it, down to 4x4.
        self.blocks = nn.ModuleList(
            ResBlock(width[i], width[i - 1]) for i in range(log_size, 2, -1)
        )
        self.to_latent = EqualConv2d(width[2], style_dim, 4, bias=False)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """
        Args:
            image (Tensor): (B, 3, S, S) in [-1, 1].
        Returns:
            f_v (Tensor): (B, style_dim).
            feats (list[Tensor]): coarse to fine, ``feats[j]`` is (B, C_r, r, r) for
                r = 8, 16, ..., S.
        """
        if image.dim() != 4 or image.shape[1] != 3 or image.shape[-2:] != (self.image_size,) * 2:
            raise ValueError(
                f"VisualEncoder expects (B, 3, {self.image_size}, {self.image_size}) images, "
                f"got {tuple(image.shape)}"
            )
        h = self.from_rgb(image.contiguous(memory_format=CHANNELS_LAST))
        feats = [h]
        for block in self.blocks:
            h = block(h)
            feats.append(h)
        f_v = self.to_latent(h).flatten(1)
        # feats holds S, S/2, ..., 4: drop the 4x4 map (it becomes f_v) and go coarse to fine.
        return f_v, feats[-2::-1]
