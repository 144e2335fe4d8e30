"""``mel_conv`` audio encoder: a residual 1-D conv stack from mel to TTS-latent stand-ins.

Trained inside the joint model by distillation: on each training utterance the TTS's
teacher-forced ``text_emb_up`` and ``mu`` (from its alignment of the same audio) are the
targets of an L1 loss (weight ``lambda_audio_enc``, not part of the paper's Eq. 8; 0 = off).
Its receptive field (about ``n_layers * (kernel - 1)`` frames, 0.2 s by default) covers a
phoneme, which is what ``text_emb_up`` holds per frame.
"""

from __future__ import annotations

import torch
from torch import nn

from ttsf.audio.mel import energy
from ttsf.tfg.abs_audio_encoder import AbsAudioEncoder, audio_encoder_registry


@audio_encoder_registry.register("mel_conv")
class MelConvAudioEncoder(AbsAudioEncoder):
    """Args:
    n_mels: mel bins (80).
    emb_dim: channels of ``text_emb_up`` to predict (the TTS encoder's, 192 in Matcha-TTS).
    hidden: channels inside; n_layers, kernel: the residual conv stack.
    """

    def __init__(
        self, n_mels: int = 80, emb_dim: int = 192, hidden: int = 256, n_layers: int = 5,
        kernel: int = 5,
    ) -> None:  # fmt: skip
        super().__init__()
        if kernel % 2 == 0:
            raise ValueError(f"audio_encoder_conf.kernel must be odd, got {kernel}")
        self.pre = nn.Conv1d(n_mels, hidden, 1)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.Conv1d(hidden, hidden, kernel, padding=kernel // 2), nn.GELU())
            for _ in range(n_layers)
        )
        # per-frame LayerNorm: statistics over channels only, so no frame sees another's
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(n_layers))
        self.to_emb = nn.Conv1d(hidden, emb_dim, 1)
        self.to_mu = nn.Conv1d(hidden, n_mels, 1)

    def forward(self, mel: torch.Tensor, mel_lengths: torch.Tensor) -> dict[str, torch.Tensor]:
        mask = torch.arange(mel.shape[-1], device=mel.device)[None] < mel_lengths[:, None]
        mask = mask[:, None].to(mel.dtype)  # (B, 1, T)
        x = self.pre(mel * mask)
        for layer, norm in zip(self.layers, self.norms, strict=True):
            h = norm(x.transpose(1, 2)).transpose(1, 2)
            x = (x + layer(h * mask)) * mask  # masked: padding never reaches valid frames
        mu = self.to_mu(x) * mask
        return {"text_emb_up": self.to_emb(x) * mask, "mu": mu, "energy": energy(mu)}
