"""``hifigan`` (V1 sizes) and ``hifigan_v2`` (the fast CPU variant): ESPnet's HiFi-GAN generator
configured for 16 kHz and hop 160 (upsampling 5 x 4 x 4 x 2 = 160).

The input is the de-normalised natural-log mel of :mod:`ttsf.audio.mel`. Weights come from a
local checkpoint (there is no model hub here); train one with :mod:`ttsf.vocoder.gan_losses`
on the corpus's audio.
"""

from __future__ import annotations

import math
import os

import torch

from ttsf.vocoder.abs_vocoder import AbsVocoder, vocoder_registry

__all__ = ["HiFiGANVocoder", "HiFiGANV2Vocoder", "VocoderCheckpointError", "load_generator_state"]


class VocoderCheckpointError(RuntimeError):
    """A vocoder checkpoint that is missing or does not fit the configured architecture."""


def load_generator_state(module: torch.nn.Module, path: str | os.PathLike, what: str) -> None:
    """Load a generator state dict from ``path`` into ``module`` (strict), with clear errors.

    Accepts a bare state dict or a dict holding it under ``"generator"`` or ``"model"`` (the
    trainer's checkpoints); keys may carry a ``generator.`` prefix.
    """
    if not os.path.isfile(path):
        raise VocoderCheckpointError(
            f"{what} checkpoint {path} does not exist; train one with the recipe's vocoder "
            "stage (or copy a compatible state dict there), or set vocoder: griffin_lim"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise VocoderCheckpointError(f"{what} checkpoint {path} cannot be read: {exc}") from exc
    for key in ("generator", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict):
        raise VocoderCheckpointError(f"{what} checkpoint {path} holds no state dict")
    state = {k.removeprefix("generator."): v for k, v in state.items()}
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    bad_shape = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or unexpected or bad_shape:
        raise VocoderCheckpointError(
            f"{what} checkpoint {path} does not match the configured generator: "
            f"missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
            f"unexpected {unexpected[:5]}{'...' if len(unexpected) > 5 else ''}, "
            f"wrong shape {bad_shape[:5]}; check vocoder_conf (channels, upsample_scales)"
        )
    module.load_state_dict(state)


@vocoder_registry.register("hifigan")
class HiFiGANVocoder(AbsVocoder):
    """HiFi-GAN generator (Kong et al. 2020), V1 sizes by default.

    Args:
        checkpoint: a local state dict of the generator (None: random weights, for training).
        n_mels, sample_rate: the feature settings it was trained on.
        channels: width of the first layer (V1: 512, V2: 128).
        upsample_scales: their product is the hop length (160 at 16 kHz).
        upsample_kernel_sizes: 2x the scales, as in HiFi-GAN.
        resblock_kernel_sizes, resblock_dilations: the multi-receptive-field fusion.
    """

    def __init__(
        self,
        checkpoint: str | None = None,
        n_mels: int = 80,
        sample_rate: int = 16000,
        channels: int = 512,
        upsample_scales: tuple[int, ...] = (5, 4, 4, 2),
        upsample_kernel_sizes: tuple[int, ...] = (10, 8, 8, 4),
        resblock_kernel_sizes: tuple[int, ...] = (3, 7, 11),
        resblock_dilations: tuple[tuple[int, ...], ...] = ((1, 3, 5), (1, 3, 5), (1, 3, 5)),
    ) -> None:
        super().__init__()
        from espnet2.gan_tts.hifigan import HiFiGANGenerator

        if len(upsample_scales) != len(upsample_kernel_sizes):
            raise ValueError("upsample_scales and upsample_kernel_sizes differ in length")
        self.sample_rate = sample_rate
        self.hop_length = math.prod(upsample_scales)
        self.generator = HiFiGANGenerator(
            in_channels=n_mels,
            out_channels=1,
            channels=channels,
            upsample_scales=list(upsample_scales),
            upsample_kernel_sizes=list(upsample_kernel_sizes),
            resblock_kernel_sizes=list(resblock_kernel_sizes),
            resblock_dilations=[list(d) for d in resblock_dilations],
        )
        if checkpoint is not None:
            load_generator_state(self.generator, checkpoint, type(self).__name__)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """mel (B, n_mels, T_mel) de-normalised log-mel -> wav (B, T_mel * hop_length)."""
        return self.generator(mel).squeeze(1)


@vocoder_registry.register("hifigan_v2")
class HiFiGANV2Vocoder(HiFiGANVocoder):
    """HiFi-GAN V2 sizes (128 channels): the fast CPU vocoder, ~10x fewer operations than V1."""

    def __init__(
        self,
        checkpoint: str | None = None,
        n_mels: int = 80,
        sample_rate: int = 16000,
        channels: int = 128,
        upsample_scales: tuple[int, ...] = (5, 4, 4, 2),
        upsample_kernel_sizes: tuple[int, ...] = (10, 8, 8, 4),
        resblock_kernel_sizes: tuple[int, ...] = (3, 7, 11),
        resblock_dilations: tuple[tuple[int, ...], ...] = ((1, 3, 5), (1, 3, 5), (1, 3, 5)),
    ) -> None:
        super().__init__(
            checkpoint, n_mels, sample_rate, channels, upsample_scales, upsample_kernel_sizes,
            resblock_kernel_sizes, resblock_dilations,
        )  # fmt: skip
