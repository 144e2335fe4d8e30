"""``matcha``: Matcha-TTS (Mehta et al., ICASSP 2024) with a pluggable speaker condition, the
face-stylised TTS of TTSF §3.3 when the condition is the face identity ``f_id``.

Training (Matcha-TTS §2): the encoder gives a mel-space prior ``mu_x`` per token; monotonic
alignment search finds the durations under which the target mel is most likely; three losses:

* duration: MSE between predicted log-durations and ``log(MAS durations)`` (per token);
* prior: the Gaussian NLL of the target mel under ``N(mu_y, I)`` (per frame and bin);
* flow matching: OT-CFM on the U-Net decoder, conditioned on ``mu_y`` and the speaker.

Inference: durations from the predictor (``ceil(exp(logw) * length_scale)``), ``mu_y`` by
repeating each token's prior, then Euler steps of the ODE from noise of std ``temperature``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ttsf.audio.mel import MelStats, energy
from ttsf.nets.flow_matching import ConditionalFlowMatching
from ttsf.tts.abs_conditioning import tts_conditioning_registry
from ttsf.tts.abs_tts import AbsTTS, tts_registry
from ttsf.tts.monotonic_align import maximum_path
from ttsf.tts.text_encoder import TextEncoder, sequence_mask
from ttsf.tts.unet_decoder import UNetDecoder

__all__ = ["MatchaTTS", "durations_to_path"]


def durations_to_path(durations: torch.Tensor, y_len: int) -> torch.Tensor:
    """Integer durations (B, T_text) -> hard alignment (B, T_text, y_len)."""
    ends = torch.cumsum(durations, dim=1)  # (B, T_text)
    starts = ends - durations
    frames = torch.arange(y_len, device=durations.device)[None, None]
    return ((frames >= starts[..., None]) & (frames < ends[..., None])).float()


class _Estimator(torch.nn.Module):
    """Adapts the U-Net to ``ConditionalFlowMatching``'s ``estimator(x, mask, mu, t, cond)``."""

    def __init__(self, unet: UNetDecoder) -> None:
        super().__init__()
        self.unet = unet

    def forward(self, x, mask, mu, t, cond):
        return self.unet(x, mask, mu, t, cond)


@tts_registry.register("matcha")
class MatchaTTS(AbsTTS):
    """Matcha-TTS at its published default sizes.

    Args:
        vocab_size: number of tokens (set from the token list by the task).
        n_feats: mel bins.
        spk_emb_dim: size of the speaker embedding fed to encoder and decoder (Matcha: 64).
        tts_conditioning, tts_conditioning_conf: the speaker-conditioning plugin
            (``face_id`` by default) and its options; its output size is ``spk_emb_dim``.
        encoder_conf: overrides of :class:`TextEncoder`'s sizes.
        decoder_conf: overrides of :class:`UNetDecoder`'s sizes.
        sigma_min: OT-CFM end-point width.
        prior_loss: add the prior loss (Matcha default: yes).
        feats_stats: the MelStats npz of the corpus; stored in the model (buffers
            ``mel_mean``/``mel_std``) so :meth:`denormalize` needs no file at decoding.
    """

    def __init__(
        self,
        vocab_size: int,
        n_feats: int = 80,
        spk_emb_dim: int = 64,
        tts_conditioning: str = "face_id",
        tts_conditioning_conf: dict | None = None,
        encoder_conf: dict | None = None,
        decoder_conf: dict | None = None,
        sigma_min: float = 1e-4,
        prior_loss: bool = True,
        feats_stats: str | None = None,
    ) -> None:
        super().__init__()
        self.n_feats = n_feats
        self.use_prior_loss = prior_loss
        self.conditioning = tts_conditioning_registry.build(
            tts_conditioning, tts_conditioning_conf, output_dim=spk_emb_dim
        )
        cond_dim = self.conditioning.output_dim
        self.encoder = TextEncoder(
            vocab_size, n_feats=n_feats, spk_emb_dim=cond_dim, **(encoder_conf or {})
        )
        unet = UNetDecoder(n_feats=n_feats, spk_emb_dim=cond_dim, **(decoder_conf or {}))
        self.decoder = ConditionalFlowMatching(_Estimator(unet), sigma_min=sigma_min)
        self.length_multiple = unet.length_multiple
        self.text_emb_dim = self.encoder.n_channels
        mean, std = np.zeros(n_feats, np.float32), np.ones(n_feats, np.float32)
        if feats_stats:
            stats = MelStats.load(feats_stats)
            if stats.mean.shape != (n_feats,):
                raise ValueError(f"{feats_stats} has {stats.mean.shape[0]} bins, not {n_feats}")
            mean, std = stats.mean, stats.std
        self.register_buffer("mel_mean", torch.from_numpy(mean))
        self.register_buffer("mel_std", torch.from_numpy(std))

    # -- helpers -------------------------------------------------------------------------
    def denormalize(self, mel: torch.Tensor) -> torch.Tensor:
        """Normalised mel (B, n_feats, T) -> log-mel in the scale of ``ttsf.audio.mel``."""
        return mel * self.mel_std[:, None] + self.mel_mean[:, None]

    def normalize(self, mel: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`denormalize`."""
        return (mel - self.mel_mean[:, None]) / self.mel_std[:, None]

    def speaker_embedding(self, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor | None:
        """cond -> (B, spk_emb_dim) through the conditioning plugin (None for ``none``)."""
        return self.conditioning(cond, batch_size)

    def log_durations(
        self, text: torch.Tensor, text_lengths: torch.Tensor, spk: torch.Tensor
    ) -> torch.Tensor:
        """:meth:`AbsTTS.log_durations`: the encoder run on frozen copies of its weights (so a
        term on the durations moves the speaker embedding, not the TTS), in eval mode (one
        sentence in several voices must not differ by dropout masks) -> (B, T_text)."""
        frozen = {name: p.detach() for name, p in self.encoder.named_parameters()}
        was_training = self.encoder.training
        self.encoder.eval()
        try:
            _, logw, _, _ = torch.func.functional_call(
                self.encoder, frozen, (text, text_lengths, spk), {"detach_durations": False}
            )
        finally:
            self.encoder.train(was_training)
        return logw.squeeze(1)

    @staticmethod
    def _upsample(path: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """x (B, C, T_text), path (B, T_text, T_mel) -> (B, C, T_mel)."""
        return torch.bmm(x, path)

    def _log_prior(self, mu_x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """log N(y_j; mu_x_i, I) for every token i and frame j: (B, T_text, T_mel)."""
        const = -0.5 * math.log(2 * math.pi) * self.n_feats
        y_sq = -0.5 * (y**2).sum(1, keepdim=True)  # (B, 1, T_mel)
        mu_sq = -0.5 * (mu_x**2).sum(1).unsqueeze(-1)  # (B, T_text, 1)
        return y_sq + torch.bmm(mu_x.transpose(1, 2), y) + mu_sq + const

    # -- training ------------------------------------------------------------------------
    def forward(
        self,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        feats: torch.Tensor,
        feats_lengths: torch.Tensor,
        cond: torch.Tensor | None = None,
    ) -> dict:
        """Losses on a batch (see :class:`AbsTTS`); also returns the teacher-forced features
        the joint model's audio mapper reads: ``text_emb_up`` (B, C_emb, T_mel), ``mu``
        (B, n_feats, T_mel), ``energy`` (B, 1, T_mel), ``durations`` (B, T_text) from MAS."""
        b = text.shape[0]
        spk = self.speaker_embedding(cond, b)
        mu_x, logw, x_mask, emb = self.encoder(text, text_lengths, spk)
        y = feats
        y_mask = sequence_mask(feats_lengths, y.shape[-1]).unsqueeze(1).to(y.dtype)
        attn_mask = x_mask.transpose(1, 2) * y_mask  # (B, T_text, T_mel)
        with torch.no_grad():
            path = maximum_path(self._log_prior(mu_x, y), attn_mask)
        durations = path.sum(-1)  # (B, T_text)
        logw_target = torch.log(1e-8 + durations).unsqueeze(1) * x_mask
        dur_loss = ((logw - logw_target) ** 2).sum() / text_lengths.sum()

        mu_y = self._upsample(path, mu_x)
        # The U-Net needs a length divisible by its downsampling; pad with masked frames.
        pad = (-y.shape[-1]) % self.length_multiple
        pad_fn = torch.nn.functional.pad
        cfm_loss = self.decoder.loss(
            pad_fn(y, (0, pad)), pad_fn(y_mask, (0, pad)), pad_fn(mu_y, (0, pad)), cond=spk
        )
        n = y_mask.sum() * self.n_feats
        prior_loss = (0.5 * ((y - mu_y) ** 2 + math.log(2 * math.pi)) * y_mask).sum() / n
        loss = dur_loss + cfm_loss + (prior_loss if self.use_prior_loss else 0.0)
        stats = {
            "loss": loss.detach(),
            "dur_loss": dur_loss.detach(),
            "prior_loss": prior_loss.detach(),
            "cfm_loss": cfm_loss.detach(),
        }
        return {
            "loss": loss,
            "stats": stats,
            "weight": b,
            "text_emb_up": self._upsample(path, emb),
            "mu": mu_y,
            "energy": energy(mu_y),
            "durations": durations.long(),
        }

    # -- inference -----------------------------------------------------------------------
    @torch.no_grad()
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
        """Synthesis (see :class:`AbsTTS`). ``length_scale`` > 1 speaks slower. Also returns
        ``mel_denorm``: the mel in the vocoder's (de-normalised) scale."""
        b = text.shape[0]
        spk = self.speaker_embedding(cond, b)
        mu_x, logw, x_mask, emb = self.encoder(text, text_lengths, spk)
        if durations is None:
            w = torch.exp(logw.float()) * x_mask  # float32 under bf16 autocast: exact ceilings
            durations = (torch.ceil(w * length_scale) * x_mask).squeeze(1).long()  # (B, T_text)
            # A sentence gets at least one frame per token (MAS's constraint in training).
            durations = torch.where(x_mask.squeeze(1) > 0, durations.clamp(min=1), durations)
        else:
            durations = durations.to(x_mask.device)
            if durations.shape != x_mask.shape[::2] or (durations[x_mask[:, 0] > 0] < 1).any():
                raise ValueError(
                    f"durations must be (B, T_text) = {tuple(x_mask.shape[::2])} with at least "
                    f"one frame per token, got {tuple(durations.shape)}"
                )
            durations = durations.long() * x_mask.squeeze(1).long()
        mel_lengths = durations.sum(1)
        t_mel = int(mel_lengths.max())
        t_pad = t_mel + (-t_mel) % self.length_multiple
        y_mask = sequence_mask(mel_lengths, t_pad).unsqueeze(1).to(mu_x.dtype)
        path = durations_to_path(durations, t_pad)
        mu_y = self._upsample(path, mu_x)
        mel = self.decoder.sample(
            mu_y, y_mask, n_timesteps, temperature=temperature, cond=spk, generator=generator
        )
        mel, mu_y, path = mel[..., :t_mel], mu_y[..., :t_mel], path[..., :t_mel]
        return {
            "mel": mel,
            "mel_lengths": mel_lengths,
            "durations": durations,
            "text_emb_up": self._upsample(path, emb),
            "mu": mu_y,
            "energy": energy(mu_y),
            "mel_denorm": self.denormalize(mel) * y_mask[..., :t_mel],
        }
