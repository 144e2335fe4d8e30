"""Generator G ``lia_flow`` (TTSF §3.1; LIA §3.2): flow-based StyleGAN2 decoder + its encoder E.

Synthesis starts from a learned 4x4 constant. At each resolution 8 .. S two modulated convs
(the first upsamples) refine the features, a flow head warps the visual encoder's source
feature map of that resolution into place and blends it in (:mod:`ttsf.tfg.flow_warp`), and a
1x1 conv turns the warped features into RGB that is added to the upsampled RGB of the coarser
resolutions (StyleGAN2's skip generator). LIA's ToRGB ends with a LeakyReLU; ours is linear,
as in StyleGAN2, so the output can reach the whole [-1, 1] range.

Styles, one per layer, follow LIA's indexing (so "layers 1-7" mean what they mean in LIA and in
TTSF): layer 1 is the 4x4 conv; at the j-th resolution (j = 0 for 8x8) the upsampling conv takes
layer 2 + 2j, the second conv layer 3 + 2j and the flow head layer 4 + 2j, i.e. a flow head
shares its style with the next resolution's upsampling conv. ``n_styles = 2 log2(S) - 2``
(14 at 256x256).

The source portrait is encoded once (:meth:`encode`); :meth:`decode` renders any number of
frames from it, broadcasting batch-1 feature maps over the B styles.

``image_skip`` (ours, off by default, not in LIA): the last resolution's flow also warps the
source *image*, and a style-modulated alpha blends it over the synthesised RGB (FOMM's and
face-vid2vid's direct warping). LIA reconstructs every pixel through its 1x1 ToRGB heads, which
take many steps to learn; with the skip the generator starts from the portrait (identity warp,
alpha 0.5) and only has to learn what moves. For short runs (the mini recipe's CPU budget).

``paint`` (ours, off by default, not in LIA): each ToRGB reads the *blend* of the warped source
features and the generator's own (the next layer's input), as StyleGAN2's ToRGB reads its
synthesised features, instead of the masked warped features alone. LIA's RGB is then made of
moved portrait only, so what the portrait does not show cannot be drawn: on the mini corpus a
speaking mouth is a dark cavity that a closed-mouth portrait lacks, and after 300 steps of
self-reenactment the generator moved the head (0.95 of 1.68 degrees) but drew no mouth
(docs/mini_results.md).

Speed (bench/tfg_speed.py): activations are kept channels-last, where oneDNN's convolutions,
transposed convolutions, the depthwise blur and grid_sample run 1.5-3x faster on CPU; each
synthesis layer makes two passes over its output besides the convolution (see
:class:`~ttsf.tfg.stylegan2_ops.StyledConv`); ToRGB works on 3 channels (:meth:`_Octave.rgb`);
the last resolution skips the blend nobody reads.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ttsf.tfg.abs_face_generator import AbsFaceGenerator, face_generator_registry
from ttsf.tfg.flow_warp import ToFlow, warp
from ttsf.tfg.stylegan2_ops import (
    EqualConv2d,
    ModulatedConv2d,
    StyledConv,
    Upsample,
    channels_at,
)
from ttsf.tfg.visual_encoder import CHANNELS_LAST, VisualEncoder, check_image_size


class _Octave(nn.Module):
    """One resolution of the decoder: upsampling conv, conv, flow head, ToRGB."""

    def __init__(self, in_channels: int, out_channels: int, style_dim: int) -> None:
        super().__init__()
        self.conv_up = StyledConv(in_channels, out_channels, style_dim, upsample=True)
        self.conv = StyledConv(out_channels, out_channels, style_dim)
        self.to_flow = ToFlow(out_channels, style_dim)
        self.to_rgb = EqualConv2d(out_channels, 3, 1)

    def rgb(self, sampled: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """ToRGB of the masked warped features, ``W (sampled * mask) + b``, computed as
        ``mask * (W sampled) + b``: a 1x1 conv acts per pixel and the mask is one number per
        pixel, so the product never has to be formed at C channels."""
        w = self.to_rgb.weight * self.to_rgb.scale
        return torch.addcmul(self.to_rgb.bias[:, None, None], F.conv2d(sampled, w), mask)


class _ImageSkip(nn.Module):
    """Blends the source image, warped by the last flow, over the synthesised RGB."""

    def __init__(self, channels: int, style_dim: int) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(channels, 1, 1, style_dim, demodulate=False)
        nn.init.zeros_(self.conv.weight)  # alpha 0.5 everywhere at the start
        self.bias = nn.Parameter(torch.zeros(1, 1, 1, 1))

    def forward(
        self,
        rgb: torch.Tensor,
        x: torch.Tensor,
        style: torch.Tensor,
        image: torch.Tensor,
        logits: torch.Tensor,
    ) -> torch.Tensor:
        """
        Args:
            rgb (Tensor): (B, 3, S, S) synthesised; x (Tensor): (B, C, S, S) generator features.
            style (Tensor): (B, style_dim); image (Tensor): (B or 1, 3, S, S) the source.
            logits (Tensor): (B, 3, S, S) the last flow head's (offset in the first two).
        Returns:
            Tensor: (B, 3, S, S)
        """
        alpha = torch.sigmoid(self.conv(x, style) + self.bias)
        return torch.lerp(rgb, warp(image, torch.tanh(logits[:, :2])), alpha)


@face_generator_registry.register("lia_flow")
class LiaFlowGenerator(AbsFaceGenerator):
    """Visual encoder E + flow-based StyleGAN2 generator G.

    Args:
        image_size: side S of the frames, a power of two (256 in the paper).
        style_dim: size of ``f_v`` and of each style (512 in the paper).
        channel_base, max_channels: width ``min(max_channels, channel_base // r)`` at
            resolution r, shared by E and G (the defaults are LIA's widths).
        image_skip: also warp the source image at the last resolution (module docstring).
        paint: ToRGB reads the blend of warped and synthesised features (module docstring).
    """

    def __init__(
        self,
        image_size: int = 256,
        style_dim: int = 512,
        channel_base: int = 16384,
        max_channels: int = 512,
        image_skip: bool = False,
        paint: bool = False,
    ) -> None:
        super().__init__()
        log_size = check_image_size(image_size)
        self.image_size = image_size
        self.style_dim = style_dim
        self.n_styles = 2 * log_size - 2
        self.encoder = VisualEncoder(image_size, style_dim, channel_base, max_channels)
        width = [channels_at(2**i, channel_base, max_channels) for i in range(log_size + 1)]
        self.const = nn.Parameter(torch.randn(1, width[2], 4, 4))
        self.conv_first = StyledConv(width[2], width[2], style_dim)
        self.octaves = nn.ModuleList(
            _Octave(width[i - 1], width[i], style_dim) for i in range(3, log_size + 1)
        )
        self.upsample_rgb = Upsample()
        self.image_skip = _ImageSkip(width[log_size], style_dim) if image_skip else None
        self.paint = paint

    def encode(self, image: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """
        Args:
            image (Tensor): (B, 3, S, S) in [-1, 1].
        Returns:
            f_v (Tensor): (B, style_dim); feats (list[Tensor]): (B, C_r, r, r), r = 8 .. S,
                then, with ``image_skip``, the image itself (B, 3, S, S).
        """
        f_v, feats = self.encoder(image)
        if self.image_skip is not None:
            feats.append(image.contiguous(memory_format=CHANNELS_LAST))
        return f_v, feats

    def decode(self, styles: torch.Tensor, feats: list[torch.Tensor]) -> torch.Tensor:
        """
        Args:
            styles (Tensor): (B, n_styles, style_dim) from
                :func:`ttsf.tfg.motion_fusion.fuse_styles`.
            feats (list[Tensor]): from :meth:`encode`, batch B or 1 (shared by all frames).
        Returns:
            frames (Tensor): (B, 3, S, S), nominally in [-1, 1] (not clamped).
        """
        if styles.dim() != 3 or styles.shape[1:] != (self.n_styles, self.style_dim):
            raise ValueError(
                f"styles must be (B, {self.n_styles}, {self.style_dim}), got {tuple(styles.shape)}"
            )
        n_maps = len(self.octaves) + (self.image_skip is not None)
        if len(feats) != n_maps:
            raise ValueError(f"expected {n_maps} feature maps (from encode), got {len(feats)}")
        x = self.const.expand(styles.shape[0], -1, -1, -1).contiguous(memory_format=CHANNELS_LAST)
        feats = [f.contiguous(memory_format=CHANNELS_LAST) for f in feats]  # no-op after encode
        x = self.conv_first(x, styles[:, 0])
        rgb = logits = None
        for j, (octave, feat) in enumerate(
            zip(self.octaves, feats[: len(self.octaves)], strict=True)
        ):
            x = octave.conv_up(x, styles[:, 1 + 2 * j])
            h = octave.conv(x, styles[:, 2 + 2 * j])
            last = j == len(self.octaves) - 1
            flow_style = styles[:, 3 + 2 * j]
            sampled, mask, x, logits = octave.to_flow(
                h, flow_style, feat, logits, blend=self.paint or not last
            )
            out = octave.to_rgb(x) if self.paint else octave.rgb(sampled, mask)
            rgb = out if rgb is None else out + self.upsample_rgb(rgb)
        if self.image_skip is not None:
            rgb = self.image_skip(rgb, h, flow_style, feats[-1], logits)
        return rgb
