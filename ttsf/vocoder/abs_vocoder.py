"""Vocoder family: mel-spectrogram -> waveform."""

from __future__ import annotations

from abc import abstractmethod

import torch
from torch import nn

from ttsf.registry import Registry


class AbsVocoder(nn.Module):
    sample_rate: int
    hop_length: int

    @abstractmethod
    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """
        Args:
            mel (Tensor): (B, n_mels, T_mel) log-mel in the feature extractor's scale
                (de-normalised).
        Returns:
            wav (Tensor): (B, T_mel * hop_length)
        """


vocoder_registry = Registry("vocoder", AbsVocoder, default="hifigan")
