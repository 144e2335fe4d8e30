"""The log-mel against librosa computed independently, shapes, stats round trip."""

import librosa
import numpy as np
import pytest
import torch

from ttsf.audio.mel import HOP_LENGTH, LogMelSpectrogram, MelStats, compute_logmel, energy


def _librosa_logmel(wav: np.ndarray) -> np.ndarray:
    """The HiFi-GAN recipe written with librosa only: (T_mel, 80)."""
    pad = (640 - 160) // 2
    y = np.pad(wav, (pad, pad), mode="reflect")
    spec = librosa.stft(y, n_fft=640, hop_length=160, win_length=640, window="hann", center=False)
    mag = np.sqrt(np.abs(spec) ** 2 + 1e-9)
    fb = librosa.filters.mel(sr=16000, n_fft=640, n_mels=80, fmin=0.0, fmax=8000.0)
    return np.log(np.maximum(fb @ mag, 1e-5)).T


def _test_wav(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    chirp = 0.5 * np.sin(2 * np.pi * (200 + 3000 * t) * t)
    return (chirp + 0.05 * rng.standard_normal(n)).astype(np.float32)


@pytest.mark.parametrize("n", [16000, 12345, 481])
def test_logmel_matches_librosa(n):
    wav = _test_wav(n)
    ours = compute_logmel(wav, 16000)
    ref = _librosa_logmel(wav)
    assert ours.shape == (n // HOP_LENGTH, 80) == ref.shape
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, ref, atol=2e-3, rtol=0)


def test_module_batch_equals_single():
    wavs = torch.from_numpy(np.stack([_test_wav(8000, 1), _test_wav(8000, 2)]))
    mel = LogMelSpectrogram()(wavs)
    assert mel.shape == (2, 80, 50)
    single = LogMelSpectrogram()(wavs[1])
    torch.testing.assert_close(mel[1], single)
    assert energy(mel).shape == (2, 1, 50)
    torch.testing.assert_close(energy(mel)[:, 0], mel.mean(1))


def test_compute_logmel_resamples():
    wav16 = _test_wav(16000)
    wav8 = librosa.resample(wav16, orig_sr=16000, target_sr=8000)
    mel = compute_logmel(wav8, 8000)
    assert mel.shape == (100, 80)
    with pytest.raises(ValueError, match="mono"):
        compute_logmel(np.zeros((2, 100), np.float32), 16000)


def test_stats_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    frames = [rng.normal(3.0, 2.0, size=(n, 80)).astype(np.float32) for n in (50, 70, 30)]
    stats = MelStats.from_frames(frames)
    allf = np.concatenate(frames)
    np.testing.assert_allclose(stats.mean, allf.mean(0), rtol=1e-5)
    np.testing.assert_allclose(stats.std, allf.std(0), rtol=1e-4)
    assert stats.count == 150
    stats.save(tmp_path / "feats_stats.npz")
    loaded = MelStats.load(tmp_path / "feats_stats.npz")
    np.testing.assert_array_equal(loaded.mean, stats.mean)
    norm = loaded.normalize(allf)
    np.testing.assert_allclose(norm.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(norm.std(0), 1, atol=1e-3)
    mel_t = torch.from_numpy(allf.T[None])  # (1, 80, T)
    back = loaded.denormalize(loaded.normalize(mel_t, axis=1), axis=1)
    torch.testing.assert_close(back, mel_t, atol=1e-4, rtol=0)
    with pytest.raises(FileNotFoundError, match="stage 2"):
        MelStats.load(tmp_path / "missing.npz")


def test_too_short_wav_is_an_error():
    with pytest.raises(ValueError, match="too short"):
        compute_logmel(np.zeros(200, np.float32), 16000)
