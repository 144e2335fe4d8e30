"""Audio encoder family: recorded speech -> the TTS-latent features the audio mapper reads.

TTSF needs no audio encoder (§1: "it can be substituted with the text encoder"), but the
cascade baselines of Tables 1-2 drive a face from a recording. An audio encoder maps a mel to
stand-ins for the TTS's aligned ``text_emb_up`` and ``mu``, so the same audio mapper, motion
sampler and generator animate the portrait from a wav (``ttsf-synthesize --audio``).
"""

from __future__ import annotations

from abc import abstractmethod

import torch
from torch import nn

from ttsf.registry import Registry


class AbsAudioEncoder(nn.Module):
    @abstractmethod
    def forward(self, mel: torch.Tensor, mel_lengths: torch.Tensor) -> dict[str, torch.Tensor]:
        """
        Args:
            mel (Tensor): (B, n_mels, T_mel) normalised log-mel of the recording.
            mel_lengths (LongTensor): (B,)
        Returns:
            {"text_emb_up": (B, C_emb, T_mel), "mu": (B, n_mels, T_mel),
             "energy": (B, 1, T_mel)}, zero past each length.
        """


audio_encoder_registry = Registry("audio_encoder", AbsAudioEncoder, default="mel_conv")
