"""Waveform I/O: any file -> mono float32 at the rate asked for; atomic wav output.

soundfile (libsndfile) reads wav/flac/ogg; anything else (the audio track of an mp4, m4a,
mp3) is decoded with PyAV, whose wheel bundles FFmpeg.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ttsf.utils.fileio import atomic_path

__all__ = ["AudioError", "load_wav", "save_wav", "resample"]


class AudioError(ValueError):
    """An audio file that cannot be read; the message names it."""


def resample(wav: torch.Tensor, orig_sr: int, new_sr: int) -> torch.Tensor:
    """Band-limited (windowed-sinc) resampling along the last axis.

    Args:
        wav (Tensor): (..., T)
    Returns:
        (..., round(T * new_sr / orig_sr))
    """
    if orig_sr == new_sr:
        return wav
    import torchaudio.functional as AF

    return AF.resample(wav, int(orig_sr), int(new_sr))


def _read_soundfile(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    data, sr = sf.read(str(path), dtype="float32", always_2d=True)  # (T, C)
    return data.mean(axis=1), sr


def _read_av(path: Path) -> tuple[np.ndarray, int]:
    import av

    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise AudioError(f"{path} has no audio stream")
        stream = container.streams.audio[0]
        sr = stream.codec_context.sample_rate
        # Ask FFmpeg for planar float mono at the native rate; rate conversion is ours.
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=sr)
        chunks = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray()[0])
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray()[0])
    if not chunks:
        raise AudioError(f"{path}: the audio stream is empty")
    return np.concatenate(chunks).astype(np.float32), sr


def load_wav(path: str | os.PathLike, sr: int = 16000) -> np.ndarray:
    """Read an audio file as a mono waveform at ``sr``.

    Channels are averaged; other rates are resampled.

    Returns:
        (T,) float32 in [-1, 1].
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"audio file {path} does not exist")
    try:
        wav, file_sr = _read_soundfile(path)
    except AudioError:
        raise
    except Exception:  # not a libsndfile format: let FFmpeg try
        try:
            wav, file_sr = _read_av(path)
        except AudioError:
            raise
        except Exception as exc:
            raise AudioError(f"cannot decode audio file {path}: {exc}") from exc
    if file_sr != sr:
        wav = resample(torch.from_numpy(np.ascontiguousarray(wav)), file_sr, sr).numpy()
    return np.ascontiguousarray(wav, dtype=np.float32)


def save_wav(path: str | os.PathLike, wav, sr: int = 16000) -> None:
    """Write a mono waveform as 16-bit PCM wav, atomically.

    Args:
        wav: (T,) ndarray or tensor in [-1, 1] (clipped).
    """
    import soundfile as sf

    if isinstance(wav, torch.Tensor):
        wav = wav.detach().cpu().float().numpy()
    wav = np.asarray(wav, dtype=np.float32).squeeze()
    if wav.ndim != 1:
        raise ValueError(f"save_wav expects a mono (T,) waveform, got shape {wav.shape}")
    with atomic_path(path, suffix=".wav") as tmp:
        sf.write(str(tmp), np.clip(wav, -1.0, 1.0), sr, subtype="PCM_16", format="WAV")
