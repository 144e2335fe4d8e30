"""Flow-field warping of the source feature maps (LIA §3.2, "flow-based generator").

At every resolution the generator predicts 3 channels from its current features: 2 for a
sampling offset (tanh, in grid_sample's normalised [-1, 1] coordinates) and 1 for a mask
(sigmoid). The source encoder's feature map at that resolution is resampled at
``identity grid + offset`` and blended with the generator's own features by the mask. A zero
offset is an exact identity warp: the identity grid marks pixel centres with
``align_corners=True``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ttsf.tfg.stylegan2_ops import ModulatedConv2d, Upsample


def identity_grid(
    height: int, width: int, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """(1, H, W, 2) sampling grid that maps every pixel onto itself (x first, as grid_sample)."""
    ys = torch.linspace(-1.0, 1.0, height, device=device, dtype=dtype)
    xs = torch.linspace(-1.0, 1.0, width, device=device, dtype=dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack((gx, gy), dim=-1).unsqueeze(0)


def warp(feat: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """Resample ``feat`` at ``identity + offset`` (bilinear, zeros outside).

    Args:
        feat (Tensor): (B or 1, C, H, W) source features; batch 1 is shared by all B offsets.
        offset (Tensor): (B, 2, H, W) (x, y) displacement in normalised coordinates.
    Returns:
        Tensor: (B, C, H, W)
    """
    b, _, h, w = offset.shape
    if feat.shape[0] != b:
        if feat.shape[0] != 1:
            raise ValueError(f"feature batch {feat.shape[0]} cannot broadcast to {b} flows")
        feat = feat.expand(b, -1, -1, -1)
    grid = identity_grid(h, w, offset.device, offset.dtype) + offset.permute(0, 2, 3, 1)
    return F.grid_sample(feat, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


class ToFlow(nn.Module):
    """Predicts (offset, mask) at one resolution and applies them (LIA's flow head).

    The 3 logits are a style-modulated 1x1 conv (no demodulation) plus the upsampled logits
    of the previous resolution, so coarse flow is refined rather than re-predicted. The conv
    starts at zero (our choice; LIA starts it random), so training starts from the identity
    warp.
    """

    def __init__(self, in_channels: int, style_dim: int) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, 3, 1, style_dim, demodulate=False)
        # start from the identity warp (zero offset, mask 0.5): a random initial flow scrambles
        # the source features and the generator first has to learn to undo it.
        nn.init.zeros_(self.conv.weight)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))
        self.upsample = Upsample()

    def forward(
        self,
        x: torch.Tensor,
        style: torch.Tensor,
        feat: torch.Tensor,
        prev_logits: torch.Tensor | None = None,
        blend: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """
        Args:
            x (Tensor): (B, C, H, W) generator features.
            style (Tensor): (B, style_dim)
            feat (Tensor): (B or 1, C, H, W) source features from the visual encoder.
            prev_logits (Tensor | None): (B, 3, H/2, W/2) logits of the coarser resolution.
            blend: compute ``blended`` (the last resolution has no next layer to feed).
        Returns:
            sampled (Tensor): (B, C, H, W) warped source features, before the mask.
            mask (Tensor): (B, 1, H, W); ``sampled * mask`` is what LIA feeds to ToRGB.
            blended (Tensor | None): (B, C, H, W) ``sampled * mask + x * (1 - mask)``, the
                next layer's input.
            logits (Tensor): (B, 3, H, W) for the next resolution.
        """
        logits = self.conv(x, style) + self.bias
        if prev_logits is not None:
            logits = logits + self.upsample(prev_logits)
        offset = torch.tanh(logits[:, :2])
        mask = torch.sigmoid(logits[:, 2:])
        sampled = warp(feat, offset)
        blended = torch.lerp(x, sampled, mask) if blend else None
        return sampled, mask, blended, logits
