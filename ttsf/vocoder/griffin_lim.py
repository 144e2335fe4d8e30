"""``griffin_lim``: a vocoder with no weights, so decoding works without a trained vocoder.

The log-mel is exponentiated, mapped back to a linear magnitude with the pseudo-inverse of the
mel filterbank of :mod:`ttsf.audio.mel`, and given a phase by fast Griffin-Lim (Perraudin et
al. 2013: Griffin-Lim with momentum). Quality is that of Griffin-Lim: intelligible, buzzy.
"""

from __future__ import annotations

import torch

from ttsf.audio.mel import F_MAX, F_MIN, HOP_LENGTH, N_FFT, SAMPLE_RATE, WIN_LENGTH, mel_filterbank
from ttsf.vocoder.abs_vocoder import AbsVocoder, vocoder_registry

__all__ = ["GriffinLimVocoder"]


@vocoder_registry.register("griffin_lim")
class GriffinLimVocoder(AbsVocoder):
    """Args:
    n_iter: Griffin-Lim iterations.
    momentum: the fast-Griffin-Lim momentum (0 = classic Griffin-Lim).
    power: raise the magnitude to this power before phase recovery (>1 reduces noise).
    """

    def __init__(
        self, n_iter: int = 32, momentum: float = 0.99, power: float = 1.2, n_mels: int = 80
    ) -> None:
        super().__init__()
        self.sample_rate = SAMPLE_RATE
        self.hop_length = HOP_LENGTH
        self.n_iter = n_iter
        self.momentum = momentum
        self.power = power
        basis = mel_filterbank(SAMPLE_RATE, N_FFT, n_mels, F_MIN, F_MAX)  # (n_mels, F)
        self.register_buffer("inv_basis", torch.linalg.pinv(basis), persistent=False)
        self.register_buffer("window", torch.hann_window(WIN_LENGTH), persistent=False)

    def _stft(self, wav: torch.Tensor) -> torch.Tensor:
        return torch.stft(wav, N_FFT, HOP_LENGTH, WIN_LENGTH, self.window, return_complex=True)

    def _istft(self, spec: torch.Tensor, length: int) -> torch.Tensor:
        return torch.istft(spec, N_FFT, HOP_LENGTH, WIN_LENGTH, self.window, length=length)

    @torch.no_grad()
    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """mel (B, n_mels, T_mel) de-normalised log-mel -> wav (B, T_mel * 160)."""
        with torch.autocast(mel.device.type, enabled=False):  # cheap: always full precision
            mag = torch.clamp(self.inv_basis @ mel.float().exp(), min=1e-8) ** self.power
        # torch's centred frames give T + 1 frames for T * hop samples: repeat the last one.
        mag = torch.cat([mag, mag[..., -1:]], dim=-1)
        length = mel.shape[-1] * HOP_LENGTH
        g = torch.Generator(device="cpu").manual_seed(0)  # the same phase start every call
        phase = torch.rand(mag.shape, generator=g).to(mag.device) * 2 * torch.pi
        spec = torch.polar(mag, phase)
        prev = torch.zeros_like(spec)
        for _ in range(self.n_iter):
            rebuilt = self._stft(self._istft(spec, length))
            accel = rebuilt - self.momentum / (1 + self.momentum) * prev
            prev = rebuilt
            spec = mag * accel / accel.abs().clamp(min=1e-8)
        wav = self._istft(spec, length)
        return wav / wav.abs().amax(-1, keepdim=True).clamp(min=1.0)
