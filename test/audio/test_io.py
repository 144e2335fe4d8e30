"""Audio I/O: resampling to the requested rate, channel mixing, atomic write, clear errors."""

import numpy as np
import pytest
import soundfile as sf

from ttsf.audio.io import AudioError, load_wav, save_wav


def test_load_stereo_44k_to_mono_16k(tmp_path):
    sr = 44100
    t = np.arange(sr) / sr
    left = 0.5 * np.sin(2 * np.pi * 440 * t)
    stereo = np.stack([left, left], axis=1).astype(np.float32)
    sf.write(tmp_path / "a.wav", stereo, sr, subtype="FLOAT")
    wav = load_wav(tmp_path / "a.wav", sr=16000)
    assert wav.dtype == np.float32 and wav.shape == (16000,)
    # the 440 Hz tone survives: its spectral peak is at 440 Hz (1 Hz bins)
    spec = np.abs(np.fft.rfft(wav))
    assert abs(int(np.argmax(spec)) - 440) <= 1


def test_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    wav = (0.5 * rng.standard_normal(1600)).astype(np.float32)
    assert np.abs(wav).max() > 1  # clipping is part of the contract
    save_wav(tmp_path / "sub" / "b.wav", wav, 16000)
    back = load_wav(tmp_path / "sub" / "b.wav", 16000)
    np.testing.assert_allclose(back, np.clip(wav, -1, 1), atol=1 / 32768 + 1e-6)
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["b.wav"]  # no temp left


def test_mp4_audio_via_pyav(tmp_path):
    av = pytest.importorskip("av")
    path = tmp_path / "c.m4a"
    sr = 16000
    tone = (0.3 * np.sin(2 * np.pi * 300 * np.arange(sr) / sr)).astype(np.float32)
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=sr, layout="mono")
        frame = av.AudioFrame.from_ndarray(tone[None], format="fltp", layout="mono")
        frame.sample_rate = sr
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    wav = load_wav(path, 16000)
    assert abs(len(wav) - sr) < 2048  # AAC priming/padding
    spec = np.abs(np.fft.rfft(wav[:sr]))
    freq = np.argmax(spec) * sr / len(wav[:sr])
    assert abs(freq - 300) < 3


def test_errors(tmp_path):
    with pytest.raises(AudioError, match="does not exist"):
        load_wav(tmp_path / "nope.wav")
    (tmp_path / "bad.wav").write_bytes(b"not audio at all")
    with pytest.raises(AudioError, match="bad.wav"):
        load_wav(tmp_path / "bad.wav")
