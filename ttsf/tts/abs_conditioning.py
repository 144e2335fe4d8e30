"""Speaker-conditioning family: what the TTS is told about the voice to produce."""

from __future__ import annotations

from abc import abstractmethod

import torch
from torch import nn

from ttsf.registry import Registry


class AbsSpeakerConditioning(nn.Module):
    """Maps the raw condition (face identity ``f_id``, speaker index, x-vector, nothing)
    to the embedding the TTS encoder and decoder take."""

    #: size of the embedding returned by ``forward`` (0 when there is none).
    output_dim: int

    @abstractmethod
    def forward(self, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor | None:
        """
        Args:
            cond: e.g. ``f_id`` (B, 512), speaker ids (B,), x-vectors (B, D), or None.
        Returns:
            (B, output_dim) or None for no conditioning.
        """


tts_conditioning_registry = Registry("tts_conditioning", AbsSpeakerConditioning, default="face_id")
