"""Round trip of ttsf.video.io: frames, fps, AAC track present (checked by ffprobe and PyAV)."""

import shutil
import subprocess

import numpy as np
import pytest

from ttsf.video.io import VideoIOError, probe, read_audio, read_video, write_video


def _clip(t: int = 30, h: int = 48, w: int = 64) -> np.ndarray:
    """A moving bar over a gradient: smooth content x264 keeps almost exactly at crf 18."""
    frames = np.zeros((t, h, w, 3), np.uint8)
    frames[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, None, :]
    for i in range(t):
        frames[i, :, (2 * i) % (w - 8) : (2 * i) % (w - 8) + 8, 1] = 220
    return frames


def test_round_trip_with_audio(tmp_path):
    frames = _clip()
    sr = 16000
    wav = 0.3 * np.sin(2 * np.pi * 330 * np.arange(int(1.2 * sr)) / sr).astype(np.float32)
    path = tmp_path / "clip.mp4"
    write_video(path, frames, fps=25, audio=wav, sr=sr)

    got, fps = read_video(path)
    assert got.shape == frames.shape and got.dtype == np.uint8
    assert fps == 25.0
    assert np.abs(got.astype(float) - frames).mean() < 3.0  # near-lossless at crf 18

    info = probe(path)
    assert info.num_frames == 30 and info.has_audio and info.audio_sample_rate == sr
    assert info.duration == pytest.approx(30 / 25)

    back = read_audio(path, sr=sr)
    assert back.shape == wav.shape
    # AAC at 64 kb/s keeps a pure tone: high correlation, same alignment (edit list honoured)
    assert np.corrcoef(back[1000:-1000], wav[1000:-1000])[0, 1] > 0.99


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
def test_ffprobe_sees_h264_and_aac(tmp_path):
    path = tmp_path / "clip.mp4"
    write_video(path, _clip(10), fps=25, audio=np.zeros(8000, np.float32))
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,r_frame_rate,sample_rate",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "h264" in out and "25/1" in out
    assert "aac" in out and "16000" in out


def test_no_audio_track_and_determinism(tmp_path):
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    write_video(a, _clip(), fps=25)
    write_video(b, _clip(), fps=25)
    assert a.read_bytes() == b.read_bytes()
    assert not probe(a).has_audio
    with pytest.raises(VideoIOError, match="no audio stream"):
        read_audio(a)


def test_bad_inputs_name_the_file(tmp_path):
    bad = tmp_path / "corrupt.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4)
    with pytest.raises(VideoIOError, match="corrupt.mp4"):
        read_video(bad)
    with pytest.raises(VideoIOError, match="no such file"):
        read_video(tmp_path / "missing.mp4")
    with pytest.raises(VideoIOError, match="even"):
        write_video(tmp_path / "odd.mp4", np.zeros((2, 5, 6, 3), np.uint8))
    assert not (tmp_path / "odd.mp4").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["corrupt.mp4"]  # no temp file left behind
