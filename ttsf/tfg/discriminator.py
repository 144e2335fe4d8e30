"""Discriminator ``stylegan2`` (StyleGAN2 §D; LIA trains its generator against the same one).

fromRGB 1x1 conv, residual downsampling blocks to 4x4, minibatch standard deviation (one extra
channel: the spread of features across a group of samples, so a collapsed batch is easy to
spot), a 3x3 conv and two linear layers to one logit per image. The residual trunk is the same
as the visual encoder's (:class:`ttsf.tfg.stylegan2_ops.ResBlock`).
"""

from __future__ import annotations

import torch
from torch import nn

from ttsf.tfg.abs_discriminator import AbsDiscriminator, discriminator_registry
from ttsf.tfg.stylegan2_ops import ConvLayer, EqualLinear, ResBlock, channels_at
from ttsf.tfg.visual_encoder import check_image_size


def minibatch_stddev(x: torch.Tensor, group_size: int) -> torch.Tensor:
    """Append the mean feature std over groups of samples as a channel.

    Args:
        x (Tensor): (B, C, H, W); the group is ``gcd``-free: min(group_size, B) must divide B.
    Returns:
        Tensor: (B, C + 1, H, W)
    """
    b, c, h, w = x.shape
    g = min(group_size, b)
    if b % g:
        g = 1
    y = x.reshape(g, b // g, c, h, w)
    y = torch.sqrt(y.var(dim=0, unbiased=False) + 1e-8)  # (B/g, C, H, W)
    y = y.mean(dim=(1, 2, 3)).reshape(b // g, 1, 1, 1).repeat(g, 1, h, w)
    return torch.cat([x, y], dim=1)


@discriminator_registry.register("stylegan2")
class StyleGAN2Discriminator(AbsDiscriminator):
    """(B, 3, S, S) in [-1, 1] -> (B, 1) logits.

    Args:
        image_size: S, a power of two.
        channel_base, max_channels: width ``min(max_channels, channel_base // r)``; StyleGAN2
            and LIA at 256x256 use 16384 and 512 (the visual encoder's table).
        stddev_group: minibatch-stddev group size (4 in StyleGAN2).
    """

    def __init__(
        self,
        image_size: int = 256,
        channel_base: int = 16384,
        max_channels: int = 512,
        stddev_group: int = 4,
    ) -> None:
        super().__init__()
        log_size = check_image_size(image_size)
        self.image_size = image_size
        self.stddev_group = stddev_group
        width = [channels_at(2**i, channel_base, max_channels) for i in range(log_size + 1)]
        self.trunk = nn.Sequential(
            ConvLayer(3, width[log_size], 1),
            *(ResBlock(width[i], width[i - 1]) for i in range(log_size, 2, -1)),
        )
        self.final_conv = ConvLayer(width[2] + 1, width[2], 3)
        self.head = nn.Sequential(
            EqualLinear(width[2] * 16, width[2], activate=True), EqualLinear(width[2], 1)
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image (Tensor): (B, 3, S, S) -> logits (Tensor): (B, 1)."""
        if image.dim() != 4 or image.shape[-2:] != (self.image_size,) * 2:
            raise ValueError(
                f"discriminator expects (B, 3, {self.image_size}, {self.image_size}), "
                f"got {tuple(image.shape)}"
            )
        h = minibatch_stddev(self.trunk(image), self.stddev_group)
        return self.head(self.final_conv(h).flatten(1))
