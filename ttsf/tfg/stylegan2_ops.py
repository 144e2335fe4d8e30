"""StyleGAN2 building blocks shared by the visual encoder, the generator and the discriminator.

Written from the StyleGAN2 paper (Karras et al., CVPR 2020) and LIA (Wang et al., ICLR 2022):

* equalised learning rate: weights are drawn from N(0, 1) and scaled by ``1/sqrt(fan_in)`` at
  run time, so Adam sees every layer at the same scale;
* anti-aliased resampling with the ``[1, 3, 3, 1]`` binomial filter (a depthwise convolution);
* modulated convolution with demodulation. StyleGAN2 folds the style into a per-sample weight
  and runs a grouped convolution; here the style scales the *input channels* and the
  demodulation scales the *output channels* around one shared-weight convolution. The two are
  equal (convolution is linear in its weight), but the shared weight lets one large GEMM serve
  the whole batch, which is what makes per-frame decoding fast on CPU (StyleGAN2's own
  "non-fused modconv" path).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

#: the binomial low-pass filter of StyleGAN2 (outer product with itself gives the 2-D kernel).
BLUR_KERNEL = (1, 3, 3, 1)


def channels_at(resolution: int, channel_base: int, max_channels: int) -> int:
    """Feature width at ``resolution``: ``min(max_channels, channel_base // resolution)``.

    With ``channel_base=16384, max_channels=512`` this is LIA's table (4..32: 512, 64: 256,
    128: 128, 256: 64).
    """
    return max(1, min(max_channels, channel_base // resolution))


def make_blur_kernel(taps: tuple[int, ...] = BLUR_KERNEL) -> torch.Tensor:
    """(K, K) separable low-pass kernel that sums to 1."""
    k = torch.tensor(taps, dtype=torch.float32)
    k = k[:, None] * k[None, :]
    return k / k.sum()


def leaky_relu_gain(x: torch.Tensor) -> torch.Tensor:
    """LeakyReLU(0.2) times sqrt(2), which keeps the activations' second moment (StyleGAN2)."""
    return F.leaky_relu(x, 0.2) * math.sqrt(2.0)


class Blur(nn.Module):
    """Depthwise low-pass filter with explicit (before, after) padding on both axes.

    Args:
        pad: (pad0, pad1) zeros added before / after each spatial axis.
        gain: multiplies the kernel (4 after a x2 upsampling that inserted zeros).
    """

    def __init__(self, pad: tuple[int, int], gain: float = 1.0) -> None:
        super().__init__()
        self.register_buffer("kernel", make_blur_kernel() * gain, persistent=False)
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (Tensor): (B, C, H, W) -> (B, C, H + pad0 + pad1 - 3, W + pad0 + pad1 - 3)."""
        c = x.shape[1]
        k = self.kernel.to(x.dtype).expand(c, 1, *self.kernel.shape)
        p0, p1 = self.pad
        if p0 == p1:
            return F.conv2d(x, k, padding=p0, groups=c)
        return F.conv2d(F.pad(x, (p0, p1, p0, p1)), k, groups=c)


class Upsample(nn.Module):
    """x2 upsampling: zero insertion + low-pass, as one depthwise transposed convolution."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("kernel", make_blur_kernel() * 4, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (Tensor): (B, C, H, W) -> (B, C, 2H, 2W)."""
        c = x.shape[1]
        k = self.kernel.to(x.dtype).expand(c, 1, *self.kernel.shape)
        return F.conv_transpose2d(x, k, stride=2, padding=1, groups=c)


class EqualLinear(nn.Module):
    """Linear layer with equalised learning rate (optionally a scaled LeakyReLU after it).

    Args:
        bias_init: initial bias (1 for style -> modulation scales, so styles start neutral).
        activate: apply :func:`leaky_relu_gain` after the bias.
    """

    def __init__(
        self, in_dim: int, out_dim: int, bias_init: float = 0.0, activate: bool = False
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim))
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale = 1.0 / math.sqrt(in_dim)
        self.activate = activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (Tensor): (..., in_dim) -> (..., out_dim)."""
        out = F.linear(x, self.weight * self.scale, self.bias)
        return leaky_relu_gain(out) if self.activate else out


class EqualConv2d(nn.Module):
    """Conv2d with equalised learning rate."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.scale = 1.0 / math.sqrt(in_channels * kernel_size**2)
        self.stride = stride
        self.padding = padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, self.stride, self.padding)


class ConvLayer(nn.Module):
    """[blur] + equalised conv + [bias + scaled LeakyReLU]; stride 2 when ``downsample``.

    The blur before a strided conv is StyleGAN2's anti-aliased downsampling; its padding makes
    the output exactly half the input for any odd kernel size.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        downsample: bool = False,
        activate: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if downsample:
            p = (len(BLUR_KERNEL) - 2) + (kernel_size - 1)
            self.blur = Blur(((p + 1) // 2, p // 2))
            stride, padding = 2, 0
        else:
            self.blur = None
            stride, padding = 1, kernel_size // 2
        self.conv = EqualConv2d(
            in_channels, out_channels, kernel_size, stride, padding, bias=bias and not activate
        )
        use_act_bias = activate and bias
        self.act_bias = nn.Parameter(torch.zeros(1, out_channels, 1, 1)) if use_act_bias else None
        self.activate = activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (Tensor): (B, C_in, H, W) -> (B, C_out, H or H/2, W or W/2)."""
        if self.blur is not None:
            x = self.blur(x)
        x = self.conv(x)
        if self.activate:
            if self.act_bias is not None:
                x = x + self.act_bias
            x = leaky_relu_gain(x)
        return x


class ResBlock(nn.Module):
    """StyleGAN2 discriminator residual block: two convs (the second halves the size) plus a
    blurred 1x1 strided skip, summed with 1/sqrt(2) to keep the variance."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = ConvLayer(in_channels, in_channels, 3)
        self.conv2 = ConvLayer(in_channels, out_channels, 3, downsample=True)
        self.skip = ConvLayer(
            in_channels, out_channels, 1, downsample=True, activate=False, bias=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (Tensor): (B, C_in, H, W) -> (B, C_out, H/2, W/2)."""
        return (self.conv2(self.conv1(x)) + self.skip(x)) * (1.0 / math.sqrt(2.0))


class ModulatedConv2d(nn.Module):
    """StyleGAN2 modulated convolution (optionally x2 upsampling), batch-shared weight.

    ``out = demod * conv(x * s, W)`` with ``s = A(style)`` (per input channel) and
    ``demod[o] = 1 / sqrt(sum_{i,k} (W[o,i,k] s[i])^2)``: the same result as convolving with the
    per-sample weight ``W * s * demod`` (StyleGAN2 Eq. 1-3), computed with one weight for all
    samples. Upsampling is a stride-2 transposed convolution followed by the low-pass
    (StyleGAN2), which costs a quarter of a convolution at the output resolution.

    Args:
        style_dim: size of the style vector.
        demodulate: normalise each output channel (off for the flow/RGB heads).
        upsample: double the resolution.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        style_dim: int,
        demodulate: bool = True,
        upsample: bool = False,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.scale = 1.0 / math.sqrt(in_channels * kernel_size**2)
        self.modulation = EqualLinear(style_dim, in_channels, bias_init=1.0)
        self.demodulate = demodulate
        self.upsample = upsample
        self.padding = kernel_size // 2
        self._cache_key: tuple | None = None
        self._cache: tuple[torch.Tensor, torch.Tensor] | None = None
        if upsample:
            # transposed conv gives 2H + k - 2; the blur's padding trims it to 2H.
            p = (len(BLUR_KERNEL) - 2) - (kernel_size - 1)
            self.blur = Blur(((p + 1) // 2 + 1, p // 2 + 1), gain=4.0)

    def __getstate__(self) -> dict:
        # copies and pickles leave the inference cache behind (it may hold inference tensors)
        return {**self.__dict__, "_cache_key": None, "_cache": None}

    def modulated(
        self, x: torch.Tensor, style: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The convolution before demodulation, and the demodulation factors.

        Returns:
            y (Tensor): (B, C_out, H', W') ``conv(x * s, W)`` (upsampled if so configured).
            demod (Tensor | None): (B, C_out) factors to multiply ``y`` by (None: no demod).
        """
        s = self.modulation(style)  # (B, C_in)
        weight, w2 = self._conv_weight()
        x = x * s[:, :, None, None]
        if self.upsample:
            x = self.blur(F.conv_transpose2d(x, weight, stride=2))
        else:
            x = F.conv2d(x, weight, padding=self.padding)
        if not self.demodulate:
            return x, None
        return x, torch.rsqrt(s.square() @ w2 + 1e-8)  # (B, C_out)

    def _conv_weight(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The scaled weight in the layout the convolution takes ((C_in, C_out, k, k) when
        transposed) and ``sum_k W^2`` as (C_in, C_out) for demodulation.

        In eval mode without autograd (inference) both are cached until the weight changes
        (its version counter or storage; writes through ``.data`` bypass the counter): at
        batch 1 recomputing them from the 512x512x3x3 weights costs ~10% of a frame.
        """
        w = self.weight
        key = (w._version, w.data_ptr(), w.dtype, w.device)
        cacheable = not self.training and not (torch.is_grad_enabled() and w.requires_grad)
        if cacheable and self._cache_key == key:
            return self._cache
        weight = w * self.scale
        if self.upsample:
            weight = weight.transpose(0, 1).contiguous()
        w2 = weight.square().sum(dim=(2, 3))
        w2 = w2 if self.upsample else w2.t()
        if cacheable:
            self._cache_key, self._cache = key, (weight, w2)
        return weight, w2

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (Tensor): (B, C_in, H, W)
            style (Tensor): (B, style_dim)
        Returns:
            Tensor: (B, C_out, H, W), or (B, C_out, 2H, 2W) when upsampling.
        """
        y, demod = self.modulated(x, style)
        return y if demod is None else y * demod[:, :, None, None]


class StyledConv(nn.Module):
    """Modulated conv + bias + scaled LeakyReLU (StyleGAN2's synthesis layer, no noise input:
    LIA never feeds noise, and deterministic frames are what a talking head needs)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        style_dim: int,
        upsample: bool = False,
        kernel_size: int = 3,
    ) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(
            in_channels, out_channels, kernel_size, style_dim, upsample=upsample
        )
        self.bias = nn.Parameter(torch.zeros(1, out_channels, 1, 1))

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """``leaky_relu_gain(demod * y + bias)`` in two passes over the activations: the gain
        is folded into demod and bias (LeakyReLU is positively homogeneous) and the
        activation runs in place (its backward needs only its output)."""
        y, demod = self.conv.modulated(x, style)
        gain = math.sqrt(2.0)
        y = torch.addcmul(self.bias * gain, y, (demod * gain)[:, :, None, None])
        return F.leaky_relu_(y, 0.2)
