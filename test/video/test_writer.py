"""Streaming mp4 writer: chunks in, a complete file out (or nothing at all)."""

import numpy as np
import pytest

from ttsf.video.io import VideoIOError, probe, read_audio, read_video
from ttsf.video.writer import VideoWriter


def _frames(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, size=(n, 32, 48, 3), dtype=np.uint8)


def test_chunks_make_one_video_with_audio(tmp_path):
    out = tmp_path / "a.mp4"
    with VideoWriter(out, 48, 32, sr=16000) as w:
        for k in range(3):
            w.write_frames(_frames(10, k))
            w.write_audio(0.1 * np.sin(np.arange(6400) / 10.0))  # 0.4 s per 10 frames
    info = probe(out)
    assert info.num_frames == 30 and info.has_audio and info.audio_sample_rate == 16000
    assert info.duration == pytest.approx(1.2, abs=0.04)
    assert len(read_audio(out)) == pytest.approx(19200, abs=1024)
    frames, fps = read_video(out)
    assert frames.shape == (30, 32, 48, 3) and fps == 25


def test_failure_leaves_nothing(tmp_path):
    out = tmp_path / "b.mp4"
    with pytest.raises(RuntimeError, match="stop"):
        with VideoWriter(out, 48, 32) as w:
            w.write_frames(_frames(5))
            raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(VideoIOError, match="no frames were written"):
        with VideoWriter(out, 48, 32):
            pass
    assert list(tmp_path.iterdir()) == []


def test_bad_input(tmp_path):
    with pytest.raises(VideoIOError, match="must be even"):
        VideoWriter(tmp_path / "c.mp4", 47, 32)
    with pytest.raises(VideoIOError, match=r"frames must be \(n, 32, 48, 3\)"):
        with VideoWriter(tmp_path / "c.mp4", 48, 32) as w:
            w.write_frames(_frames(2)[:, :16])
    assert list(tmp_path.iterdir()) == []
