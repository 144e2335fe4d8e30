"""TTS family: token ids (+ a speaker/identity condition) -> mel-spectrogram."""

from __future__ import annotations

from abc import abstractmethod

import torch
from torch import nn

from ttsf.registry import Registry


class AbsTTS(nn.Module):
    """Acoustic model.

    ``forward`` returns ESPnet's training dict ``{"loss", "stats", "weight"}``;
    ``inference`` returns the mel and the intermediate features the audio mapper reads.
    """

    @abstractmethod
    def forward(
        self,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        feats: torch.Tensor,
        feats_lengths: torch.Tensor,
        cond: torch.Tensor | None = None,
    ) -> dict:
        """
        Args:
            text (LongTensor): (B, T_text) token ids, zero-padded.
            text_lengths (LongTensor): (B,)
            feats (Tensor): (B, n_mels, T_mel) normalised log-mel, zero-padded.
            feats_lengths (LongTensor): (B,)
            cond: the speaker condition the model's conditioning plugin takes, e.g. (B, 512).
        Returns:
            {"loss": scalar, "stats": {name: float}, "weight": batch size, ...}
        """

    def speaker_embedding(self, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor | None:
        """What the TTS makes of a speaker condition: (B, spk_emb_dim), the vector its layers
        are conditioned on (None: a TTS without speaker channels). Read by the joint model's
        ``voice_pose`` term and the benchmarks."""
        raise NotImplementedError(
            f"the TTS '{type(self).__name__}' does not expose its speaker embedding: implement "
            "speaker_embedding(cond, batch_size) to use the voice_pose term"
        )

    def log_durations(
        self, text: torch.Tensor, text_lengths: torch.Tensor, spk: torch.Tensor
    ) -> torch.Tensor:
        """The log-durations the TTS predicts for speaker embeddings ``spk`` (B, spk_emb_dim)
        (from :meth:`speaker_embedding`): (B, T_text), zero at padded tokens. Differentiable
        with respect to ``spk`` only: the TTS's own weights get no gradient from it, and it
        runs without dropout. Read by the joint model's ``duration_pose`` term."""
        raise NotImplementedError(
            f"the TTS '{type(self).__name__}' does not expose its duration predictor: implement "
            "log_durations(text, text_lengths, spk) to use the duration_pose term"
        )

    @abstractmethod
    def inference(
        self,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        cond: torch.Tensor | None = None,
        n_timesteps: int = 10,
        temperature: float = 0.667,
        length_scale: float = 1.0,
        generator: torch.Generator | None = None,
        durations: torch.Tensor | None = None,
    ) -> dict:
        """
        Args:
            durations (LongTensor): (B, T_text) frames per token to use instead of the
                predicted ones (zero at padded tokens); ``length_scale`` is then ignored.
        Returns:
            {"mel": (B, n_mels, T_mel) normalised log-mel, "mel_lengths": (B,),
             "durations": (B, T_text) frames per token,
             "text_emb_up": (B, C_emb, T_mel) token embeddings upsampled by the durations,
             "mu": (B, n_mels, T_mel) the encoder's mel-space prior,
             "energy": (B, 1, T_mel) mean of ``mu`` over channels}
        """


tts_registry = Registry("tts", AbsTTS, default="matcha")
