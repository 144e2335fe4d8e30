"""HiFi-GAN training losses for a recipe's vocoder stage: ESPnet's multi-scale + multi-period
discriminators, least-squares adversarial losses and feature matching, plus the L1 mel loss on
:mod:`ttsf.audio.mel`'s log-mel. Weights are HiFi-GAN's (mel 45, feature matching 2, adv 1).

A trainer alternates::

    losses = HiFiGANLosses()
    g_loss, g_stats = losses.generator_loss(wav_real, vocoder(mel))       # optimiser 0
    d_loss, d_stats = losses.discriminator_loss(wav_real, wav_fake.detach())  # optimiser 1
"""

from __future__ import annotations

import torch
from torch import nn

from ttsf.audio.mel import LogMelSpectrogram

__all__ = ["HiFiGANLosses"]


class HiFiGANLosses(nn.Module):
    """Owns the discriminators (trainable) and computes both players' losses.

    Args:
        lambda_mel, lambda_fm, lambda_adv: loss weights (HiFi-GAN: 45, 2, 1).
    """

    def __init__(self, lambda_mel: float = 45.0, lambda_fm: float = 2.0, lambda_adv: float = 1.0):
        super().__init__()
        from espnet2.gan_tts.hifigan import HiFiGANMultiScaleMultiPeriodDiscriminator
        from espnet2.gan_tts.hifigan.loss import (
            DiscriminatorAdversarialLoss,
            FeatureMatchLoss,
            GeneratorAdversarialLoss,
        )

        self.discriminator = HiFiGANMultiScaleMultiPeriodDiscriminator()
        self.adv_g = GeneratorAdversarialLoss(loss_type="mse")
        self.adv_d = DiscriminatorAdversarialLoss(loss_type="mse")
        self.feat_match = FeatureMatchLoss()
        self.mel = LogMelSpectrogram()
        self.weights = {"mel": lambda_mel, "fm": lambda_fm, "adv": lambda_adv}

    @staticmethod
    def _match(real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = min(real.shape[-1], fake.shape[-1])
        return real[..., :n].unsqueeze(1), fake[..., :n].unsqueeze(1)

    def generator_loss(
        self, wav_real: torch.Tensor, wav_fake: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """wav_real, wav_fake (B, T) -> weighted generator loss and its named terms."""
        real, fake = self._match(wav_real, wav_fake)
        mel_loss = nn.functional.l1_loss(self.mel(fake[:, 0]), self.mel(real[:, 0]))
        p_fake = self.discriminator(fake)
        with torch.no_grad():
            p_real = self.discriminator(real)
        adv = self.adv_g(p_fake)
        fm = self.feat_match(p_fake, p_real)
        w = self.weights
        loss = w["mel"] * mel_loss + w["fm"] * fm + w["adv"] * adv
        stats = {"g_loss": loss.detach(), "mel_l1": mel_loss.detach(), "fm": fm.detach(),
                 "g_adv": adv.detach()}  # fmt: skip
        return loss, stats

    def discriminator_loss(
        self, wav_real: torch.Tensor, wav_fake: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """wav_real, wav_fake (B, T) (fake detached) -> discriminator loss and its terms."""
        real, fake = self._match(wav_real, wav_fake.detach())
        real_loss, fake_loss = self.adv_d(self.discriminator(fake), self.discriminator(real))
        loss = real_loss + fake_loss
        return loss, {"d_loss": loss.detach(), "d_real": real_loss.detach(),
                      "d_fake": fake_loss.detach()}  # fmt: skip
