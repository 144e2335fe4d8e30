"""The one log-mel feature of the toolkit (TTSF §4: 16 kHz, window 640, hop 160, 80 bins).

Training targets, decoding, vocoder input and scoring all use this module, so every part of
the system agrees on the feature scale. The recipe is HiFi-GAN's (and so Matcha-TTS's):

* reflect-pad ``(n_fft - hop) / 2`` samples on each side and frame with ``center=False``, so a
  wav of ``T`` samples gives exactly ``T // hop`` frames and a vocoder with an upsampling factor
  of ``hop`` returns ``T_mel * hop`` samples;
* magnitude spectrum ``sqrt(|STFT|^2 + 1e-9)`` with a periodic Hann window;
* Slaney-scale, Slaney-normalised mel filters (librosa's default, as in HiFi-GAN);
* natural log of the mel magnitude clamped at ``1e-5``.

Normalisation with global per-bin statistics (:class:`MelStats`) is done by the models, not
here: the features written to disk are the raw log-mel.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ttsf.utils.fileio import atomic_path

__all__ = [
    "SAMPLE_RATE",
    "HOP_LENGTH",
    "N_MELS",
    "LogMelSpectrogram",
    "compute_logmel",
    "energy",
    "MelStats",
    "mel_filterbank",
]

#: paper's feature settings (TTSF §4 Implementation Details)
SAMPLE_RATE = 16000
N_FFT = 640
WIN_LENGTH = 640
HOP_LENGTH = 160
N_MELS = 80
F_MIN = 0.0
F_MAX = 8000.0
#: floor before the log: log(1e-5) ~ -11.5 is the value of silence
LOG_FLOOR = 1e-5


def mel_filterbank(
    sample_rate: int = SAMPLE_RATE,
    n_fft: int = N_FFT,
    n_mels: int = N_MELS,
    f_min: float = F_MIN,
    f_max: float | None = F_MAX,
) -> torch.Tensor:
    """Slaney mel filters (librosa's default scale and area normalisation).

    Returns:
        (n_mels, n_fft // 2 + 1) float32 tensor.
    """
    import torchaudio.functional as AF

    fb = AF.melscale_fbanks(
        n_freqs=n_fft // 2 + 1,
        f_min=f_min,
        f_max=f_max if f_max is not None else sample_rate / 2,
        n_mels=n_mels,
        sample_rate=sample_rate,
        norm="slaney",
        mel_scale="slaney",
    )
    return fb.T.contiguous().float()


class LogMelSpectrogram(nn.Module):
    """wav (B, T) -> log-mel (B, n_mels, T // hop_length).

    Args:
        sample_rate, n_fft, win_length, hop_length, n_mels, f_min, f_max: feature settings;
            the defaults are the paper's and the only ones the rest of the toolkit assumes.
    """

    def __init__(
        self,
        sample_rate: int = SAMPLE_RATE,
        n_fft: int = N_FFT,
        win_length: int = WIN_LENGTH,
        hop_length: int = HOP_LENGTH,
        n_mels: int = N_MELS,
        f_min: float = F_MIN,
        f_max: float | None = F_MAX,
    ) -> None:
        super().__init__()
        if (n_fft - hop_length) % 2:
            raise ValueError(f"n_fft - hop_length must be even, got {n_fft} - {hop_length}")
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.win_length = win_length
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.register_buffer("window", torch.hann_window(win_length), persistent=False)
        self.register_buffer(
            "mel_basis", mel_filterbank(sample_rate, n_fft, n_mels, f_min, f_max), persistent=False
        )

    def magnitude(self, wav: torch.Tensor) -> torch.Tensor:
        """wav (B, T) -> linear magnitude spectrum (B, n_fft // 2 + 1, T // hop)."""
        pad = (self.n_fft - self.hop_length) // 2
        if wav.shape[-1] <= pad:
            raise ValueError(
                f"wav of {wav.shape[-1]} samples is too short for a mel frame (needs > {pad})"
            )
        x = torch.nn.functional.pad(wav.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
        spec = torch.stft(
            x.float(),
            self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=self.window.to(x.device),
            center=False,
            return_complex=True,
        )
        return torch.sqrt(spec.real**2 + spec.imag**2 + 1e-9)

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        """
        Args:
            wav (Tensor): (B, T) or (T,) float waveform in [-1, 1] at ``sample_rate``.
        Returns:
            mel (Tensor): (B, n_mels, T // hop_length) natural-log mel magnitude.
        """
        squeeze = wav.dim() == 1
        if squeeze:
            wav = wav.unsqueeze(0)
        mag = self.magnitude(wav)
        mel = torch.matmul(self.mel_basis.to(mag.device), mag)
        mel = torch.log(torch.clamp(mel, min=LOG_FLOOR))
        return mel[0] if squeeze else mel


_EXTRACTOR: LogMelSpectrogram | None = None


def compute_logmel(wav: np.ndarray, sr: int) -> np.ndarray:
    """The stage-2 feature: a mono waveform -> log-mel frames.

    Args:
        wav (ndarray): (T,) float waveform; resampled to 16 kHz if ``sr`` differs.
        sr: its sample rate.
    Returns:
        (T_mel, 80) float32, ``T_mel = T_16k // 160``.
    """
    global _EXTRACTOR
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim != 1:
        raise ValueError(f"compute_logmel expects a mono (T,) waveform, got shape {wav.shape}")
    x = torch.from_numpy(wav)
    if sr != SAMPLE_RATE:
        from ttsf.audio.io import resample

        x = resample(x, sr, SAMPLE_RATE)
    if _EXTRACTOR is None:
        _EXTRACTOR = LogMelSpectrogram()
    with torch.no_grad():
        mel = _EXTRACTOR(x)
    return mel.T.contiguous().numpy()


def energy(mel: torch.Tensor) -> torch.Tensor:
    """Frame energy as TTSF's audio mapper uses it: the mean of a log-mel over its channels.

    Args:
        mel (Tensor): (B, n_mels, T_mel) (e.g. the TTS prior ``mu``).
    Returns:
        (B, 1, T_mel)
    """
    return mel.mean(dim=1, keepdim=True)


@dataclass
class MelStats:
    """Global per-bin mean and standard deviation of the log-mel over a training set.

    Stored as an npz file with arrays ``mean`` (n_mels,), ``std`` (n_mels,) and ``count`` (the
    number of frames they were computed from).
    """

    mean: np.ndarray
    std: np.ndarray
    count: int = 0

    @classmethod
    def from_frames(cls, mels, min_std: float = 1e-3) -> MelStats:
        """Accumulate the statistics from an iterable of (T_mel, n_mels) arrays (one pass,
        float64 sums so that large corpora do not lose precision)."""
        total = None
        total_sq = None
        count = 0
        for m in mels:
            m = np.asarray(m, dtype=np.float64)
            if m.ndim != 2:
                raise ValueError(f"expected (T_mel, n_mels) frames, got shape {m.shape}")
            if total is None:
                total = np.zeros(m.shape[1])
                total_sq = np.zeros(m.shape[1])
            total += m.sum(0)
            total_sq += (m**2).sum(0)
            count += m.shape[0]
        if count == 0:
            raise ValueError("no mel frames to compute statistics from")
        mean = total / count
        std = np.sqrt(np.maximum(total_sq / count - mean**2, 0.0))
        return cls(mean.astype(np.float32), np.maximum(std, min_std).astype(np.float32), count)

    def save(self, path: str | os.PathLike) -> None:
        with atomic_path(path, suffix=".npz") as tmp:
            np.savez(tmp, mean=self.mean, std=self.std, count=np.int64(self.count))

    @classmethod
    def load(cls, path: str | os.PathLike) -> MelStats:
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"mel statistics file {path} not found; it is written by the feature-extraction "
                "stage (stage 2) of the recipe"
            )
        with np.load(path) as z:
            missing = {"mean", "std"} - set(z.files)
            if missing:
                raise ValueError(f"{path} lacks array(s) {sorted(missing)}; is it a MelStats file?")
            return cls(
                z["mean"].astype(np.float32),
                z["std"].astype(np.float32),
                int(z["count"]) if "count" in z.files else 0,
            )

    def _shaped(self, x, axis: int):
        mean, std = self.mean, self.std
        shape = [1] * x.ndim
        shape[axis] = -1
        if isinstance(x, torch.Tensor):
            mean = torch.as_tensor(mean, dtype=x.dtype, device=x.device)
            std = torch.as_tensor(std, dtype=x.dtype, device=x.device)
        return mean.reshape(shape), std.reshape(shape)

    def normalize(self, x, axis: int = -1):
        """(x - mean) / std along the mel-bin ``axis`` (-1 for (T, 80) arrays, 1 for
        (B, 80, T) tensors); works on ndarrays and tensors."""
        mean, std = self._shaped(x, axis)
        return (x - mean) / std

    def denormalize(self, x, axis: int = -1):
        """Inverse of :meth:`normalize`."""
        mean, std = self._shaped(x, axis)
        return x * std + mean
