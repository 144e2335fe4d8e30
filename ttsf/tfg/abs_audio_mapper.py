"""Audio mapper family A: TTS latents -> per-video-frame lip feature ``f_a``."""

from __future__ import annotations

from abc import abstractmethod

import torch
from torch import nn

from ttsf.registry import Registry


class AbsAudioMapper(nn.Module):
    @abstractmethod
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
            text_emb_up (Tensor): (B, C_emb, T_mel) token embeddings upsampled by durations
                (None if the mapper is configured not to use them).
            mu (Tensor): (B, n_mels, T_mel) the TTS encoder's mel-space prior (or None).
            energy (Tensor): (B, 1, T_mel) mean of ``mu`` over channels (None: computed from mu).
            mel_lengths (LongTensor): (B,) valid mel frames; values past them must not matter.
            n_frames (LongTensor): (B,) video frames wanted (25 fps: ceil(mel_lengths / 4));
                None = derived from mel_lengths.
        Returns:
            f_a (Tensor): (B, max(n_frames), style_dim), zero past each ``n_frames``.
        """


audio_mapper_registry = Registry("audio_mapper", AbsAudioMapper, default="mrf")
