"""Audio mapper A (TTSF §3.1, Fig. 3): TTS latents -> per-video-frame lip feature ``f_a``.

The input is the channel concatenation of the text embedding upsampled by the durations
(``emb``), the TTS encoder's mel-space prior ``mu`` and its channel mean ``energy``; which of
them are used is the ``inputs`` option, so the paper's Table 5 ablation is one config line::

    audio_mapper_conf: {inputs: [emb, mu, energy]}   # the paper's model
    audio_mapper_conf: {inputs: [emb, mu]}           # w/o energy
    audio_mapper_conf: {inputs: [emb]}               # w/o (energy & mu)

A Multi-Receptive-field Fusion module (HiFi-GAN §2.2, Kong et al. 2020: residual blocks of
dilated 1-D convolutions, one block per kernel size, their outputs averaged) aggregates them.
As the paper asks, the convolutions have **no temporal padding** ("valid" convolutions, so
every layer shortens the sequence) and a temporal interpolation gives exactly the number of
video frames (25 fps; 100 mel frames/s, i.e. 4 mel frames per video frame).

What the paper leaves open, and the choice made here (``edge`` option):

* ``replicate`` (default): each sequence's own valid part is extended at both ends by
  repeating its first/last frame, by exactly the receptive-field shrink ``s`` of the network,
  so the valid convolutions return one output per input mel frame, aligned with it; then the
  mel rate is interpolated to the video rate. No zero padding enters any layer (the paper's
  boundary artifacts), and lips stay in sync at the sentence edges.
* ``stretch``: the literal reading. The shrunk output (``T_mel - s`` frames, covering the
  middle of the utterance) is interpolated to the video frame count. Inputs shorter than
  ``s + 1`` frames are first extended (as above) to ``s + 1`` frames so that 4 mel frames
  (one video frame) still work. With the default kernels ``s`` = 126 mel frames (1.26 s), so
  this reading shifts the edges by up to 0.63 s; it is here to reproduce the paper's text.

Both are computed in one batched pass: the extension is an index gather inside each
sequence's own valid length, so values past ``mel_lengths`` never reach an output frame.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ttsf.tfg.abs_audio_mapper import AbsAudioMapper, audio_mapper_registry

INPUT_NAMES = ("emb", "mu", "energy")


def video_frame_count(mel_lengths: torch.Tensor, mel_per_video_frame: int = 4) -> torch.Tensor:
    """Video frames covering ``mel_lengths`` mel frames: ceil(T_mel / mel_per_video_frame).

    Args:
        mel_lengths (LongTensor): (B,)
    Returns:
        n_frames (LongTensor): (B,)
    """
    return torch.div(
        mel_lengths + mel_per_video_frame - 1, mel_per_video_frame, rounding_mode="floor"
    )


def interpolate_lengths(
    x: torch.Tensor, in_lengths: torch.Tensor, out_lengths: torch.Tensor
) -> torch.Tensor:
    """Per-sequence linear interpolation of the valid part of ``x`` to a new length.

    Same sampling grid as ``F.interpolate(mode="linear", align_corners=False)`` applied to
    each item's ``x[b, :, :in_lengths[b]]`` alone, but in one batched gather.

    Args:
        x (Tensor): (B, C, T_in)
        in_lengths (LongTensor): (B,) valid input frames (>= 1).
        out_lengths (LongTensor): (B,) wanted output frames.
    Returns:
        y (Tensor): (B, C, max(out_lengths)), zero past each ``out_lengths``.
    """
    b, c, _ = x.shape
    t_out = int(out_lengths.max())
    i = torch.arange(t_out, device=x.device, dtype=x.dtype)
    scale = in_lengths.to(x.dtype) / out_lengths.clamp(min=1).to(x.dtype)
    last = (in_lengths - 1).to(x.dtype)[:, None]
    pos = ((i[None] + 0.5) * scale[:, None] - 0.5).clamp(min=0)
    pos = torch.minimum(pos, last)
    lo = pos.floor()
    w = (pos - lo)[:, None, :]
    lo = lo.long()
    hi = torch.minimum(lo + 1, last.long())
    gather = lambda idx: x.gather(2, idx[:, None, :].expand(b, c, t_out))  # noqa: E731
    y = gather(lo) * (1 - w) + gather(hi) * w
    valid = i[None] < out_lengths[:, None].to(x.dtype)
    return y * valid[:, None, :]


def _conv(c_in: int, c_out: int, kernel: int, dilation: int, weight_norm: bool) -> nn.Conv1d:
    conv = nn.Conv1d(c_in, c_out, kernel, dilation=dilation, padding=0)
    return nn.utils.parametrizations.weight_norm(conv) if weight_norm else conv


def _crop(x: torch.Tensor, length: int) -> torch.Tensor:
    """Centre-crop (B, C, T) to ``length`` frames (T - length is even by construction)."""
    left = (x.shape[-1] - length) // 2
    return x[..., left : left + length]


class ValidResBlock(nn.Module):
    """HiFi-GAN's ResBlock1 without padding: for each dilation ``d``,
    ``x <- crop(x) + conv_1(lrelu(conv_d(lrelu(x))))``; the residual is centre-cropped to the
    shorter convolution output, which stays aligned because every shrink is even."""

    def __init__(
        self, channels: int, kernel: int, dilations: list[int], slope: float, weight_norm: bool
    ) -> None:
        super().__init__()
        if kernel % 2 == 0:
            raise ValueError(f"MRF kernel sizes must be odd (to stay centred), got {kernel}")
        self.convs1 = nn.ModuleList(
            _conv(channels, channels, kernel, d, weight_norm) for d in dilations
        )
        self.convs2 = nn.ModuleList(
            _conv(channels, channels, kernel, 1, weight_norm) for _ in dilations
        )
        self.slope = slope
        #: frames lost between input and output
        self.shrink = sum((kernel - 1) * (d + 1) for d in dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (Tensor): (B, C, T) -> (B, C, T - shrink)"""
        for c1, c2 in zip(self.convs1, self.convs2, strict=True):
            y = c2(F.leaky_relu(c1(F.leaky_relu(x, self.slope)), self.slope))
            x = _crop(x, y.shape[-1]) + y
        return x


class ValidMRF(nn.Module):
    """Multi-Receptive-field Fusion (HiFi-GAN): the average of one residual block per kernel
    size; each block's output is centre-cropped to the shortest one before averaging."""

    def __init__(
        self,
        channels: int,
        kernels: list[int],
        dilations: list[list[int]],
        slope: float,
        weight_norm: bool,
    ) -> None:
        super().__init__()
        if len(kernels) != len(dilations):
            raise ValueError(
                f"audio mapper: {len(kernels)} MRF kernel sizes but {len(dilations)} dilation "
                "lists; give one dilation list per kernel size"
            )
        self.blocks = nn.ModuleList(
            ValidResBlock(channels, k, list(d), slope, weight_norm)
            for k, d in zip(kernels, dilations, strict=True)
        )
        self.shrink = max(block.shrink for block in self.blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (Tensor): (B, C, T) -> (B, C, T - shrink)"""
        length = x.shape[-1] - self.shrink
        return sum(_crop(block(x), length) for block in self.blocks) / len(self.blocks)


@audio_mapper_registry.register("mrf")
class MRFAudioMapper(AbsAudioMapper):
    """Valid-convolution MRF audio mapper with temporal interpolation to the video rate.

    Args:
        emb_dim: channels of the upsampled text embedding ``text_emb_up``.
        n_mels: channels of ``mu`` (80).
        style_dim: channels of ``f_a`` (the generator's style dimension, 512 in LIA).
        inputs: which of ``emb``, ``mu``, ``energy`` are concatenated (Table 5 ablation).
        hidden: channels inside the MRF.
        pre_kernel: kernel of the valid input convolution (HiFi-GAN's conv_pre uses 7).
        kernels / dilations: one residual block per kernel size, HiFi-GAN V1's
            [3, 7, 11] x [1, 3, 5].
        n_mrf: MRF modules in sequence (each adds its shrink to the receptive field).
        edge: ``replicate`` or ``stretch`` (see the module docstring).
        mel_per_video_frame: mel frames per video frame (100 / 25 = 4) for the default
            ``n_frames`` when the caller does not give it.
        use_weight_norm: weight normalisation on every convolution, as HiFi-GAN.
    """

    def __init__(
        self,
        emb_dim: int = 192,
        n_mels: int = 80,
        style_dim: int = 512,
        inputs: list[str] = ("emb", "mu", "energy"),
        hidden: int = 256,
        pre_kernel: int = 7,
        kernels: list[int] = (3, 7, 11),
        dilations: list[list[int]] = ((1, 3, 5), (1, 3, 5), (1, 3, 5)),
        n_mrf: int = 1,
        edge: str = "replicate",
        mel_per_video_frame: int = 4,
        leaky_relu_slope: float = 0.1,
        use_weight_norm: bool = True,
    ) -> None:
        super().__init__()
        inputs = list(inputs)
        unknown = [name for name in inputs if name not in INPUT_NAMES]
        if unknown or not inputs or len(set(inputs)) != len(inputs):
            raise ValueError(
                f"audio_mapper_conf.inputs={inputs}: give a non-empty list of distinct names "
                f"among {list(INPUT_NAMES)}"
            )
        if edge not in ("replicate", "stretch"):
            raise ValueError(f"audio_mapper_conf.edge='{edge}': use 'replicate' or 'stretch'")
        if pre_kernel % 2 == 0:
            raise ValueError(f"audio_mapper_conf.pre_kernel must be odd, got {pre_kernel}")
        self.inputs = inputs
        self.edge = edge
        self.mel_per_video_frame = mel_per_video_frame
        self.style_dim = style_dim
        self.input_dims = dims = {"emb": emb_dim, "mu": n_mels, "energy": 1}
        self.conv_pre = _conv(sum(dims[n] for n in inputs), hidden, pre_kernel, 1, use_weight_norm)
        self.mrfs = nn.ModuleList(
            ValidMRF(
                hidden,
                list(kernels),
                [list(d) for d in dilations],
                leaky_relu_slope,
                use_weight_norm,
            )
            for _ in range(n_mrf)
        )
        self.slope = leaky_relu_slope
        self.conv_post = nn.Conv1d(hidden, style_dim, 1)
        #: mel frames a valid pass loses (the receptive field minus one)
        self.shrink = pre_kernel - 1 + sum(m.shrink for m in self.mrfs)

    def _select_inputs(
        self, text_emb_up: torch.Tensor | None, mu: torch.Tensor | None, energy: torch.Tensor | None
    ) -> torch.Tensor:
        if "energy" in self.inputs and energy is None:
            if mu is None:
                raise ValueError(
                    "audio mapper: 'energy' is an input but neither energy nor mu is given"
                )
            energy = mu.mean(dim=1, keepdim=True)  # the paper's definition of energy
        given = {"emb": text_emb_up, "mu": mu, "energy": energy}
        missing = [n for n in self.inputs if given[n] is None]
        if missing:
            raise ValueError(f"audio mapper: inputs {missing} are configured but were not given")
        for name in self.inputs:
            if given[name].shape[1] != self.input_dims[name]:
                raise ValueError(
                    f"audio mapper: input '{name}' has {given[name].shape[1]} channels, the "
                    f"config says {self.input_dims[name]} (emb_dim / n_mels in audio_mapper_conf)"
                )
        return torch.cat([given[n] for n in self.inputs], dim=1)

    def forward(
        self,
        text_emb_up: torch.Tensor | None,
        mu: torch.Tensor | None,
        energy: torch.Tensor | None,
        mel_lengths: torch.Tensor,
        n_frames: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """
        Args:
            text_emb_up (Tensor): (B, emb_dim, T_mel), or None when ``emb`` is not an input.
            mu (Tensor): (B, n_mels, T_mel), or None when unused.
            energy (Tensor): (B, 1, T_mel); None = the channel mean of ``mu``.
            mel_lengths (LongTensor): (B,) valid mel frames (>= 1).
            n_frames (LongTensor): (B,) video frames wanted; None = ceil(T_mel / 4).
        Returns:
            f_a (Tensor): (B, max(n_frames), style_dim), zero past each ``n_frames``.
        """
        x = self._select_inputs(text_emb_up, mu, energy)
        mel_lengths = mel_lengths.to(x.device).long()
        if int(mel_lengths.min()) < 1 or int(mel_lengths.max()) > x.shape[-1]:
            raise ValueError(
                f"audio mapper: mel_lengths must lie in [1, {x.shape[-1]}] (the input's time "
                f"axis), got min {int(mel_lengths.min())}, max {int(mel_lengths.max())}"
            )
        if n_frames is None:
            n_frames = video_frame_count(mel_lengths, self.mel_per_video_frame)
        n_frames = n_frames.to(x.device).long()
        if int(n_frames.min()) < 1:
            raise ValueError(f"audio mapper: n_frames must be >= 1, got {n_frames.tolist()}")

        # Frames added around each sequence's valid part (see the module docstring).
        if self.edge == "replicate":
            extra = torch.full_like(mel_lengths, self.shrink)
        else:
            extra = (self.shrink + 1 - mel_lengths).clamp(min=0)
        ext_len = int((mel_lengths + extra).max())
        p = torch.arange(ext_len, device=x.device)
        idx = torch.minimum(
            (p[None] - (extra // 2)[:, None]).clamp(min=0), (mel_lengths - 1)[:, None]
        )
        x = x.gather(2, idx[:, None, :].expand(x.shape[0], x.shape[1], ext_len))

        x = self.conv_pre(x)
        for mrf in self.mrfs:
            x = mrf(x)
        x = self.conv_post(F.leaky_relu(x, self.slope))  # (B, style_dim, ext_len - shrink)
        out_lengths = mel_lengths + extra - self.shrink
        f_a = interpolate_lengths(x, out_lengths, n_frames)
        return f_a.transpose(1, 2)
