"""Streaming mp4 writer: frames and audio are encoded as they come, so a long synthesis never
holds its whole video in memory. The file appears at its path only when complete."""

from __future__ import annotations

import contextlib
import os
from fractions import Fraction
from pathlib import Path

import numpy as np

from ttsf.utils.fileio import atomic_path
from ttsf.video.io import VideoIOError

__all__ = ["VideoWriter"]


class VideoWriter:
    """H.264 (yuv420p) video + optional AAC mono audio, written incrementally.

    Usage::

        with VideoWriter("out.mp4", 256, 256, sr=16000) as w:
            for chunk in chunks:                 # (n, H, W, 3) uint8 RGB
                w.write_frames(chunk)
            w.write_audio(wav)                   # (N,) float in [-1, 1], any number of calls

    Args:
        fps: frame rate (the toolkit's video rate is 25).
        sr: audio sample rate, or None for a silent video.
        crf, preset: x264 quality and speed; threads: 1 keeps output byte-reproducible.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        width: int,
        height: int,
        fps: float = 25.0,
        sr: int | None = 16000,
        crf: int = 18,
        preset: str = "medium",
        audio_bitrate: int = 64000,
        threads: int = 1,
    ) -> None:
        if width % 2 or height % 2:
            raise VideoIOError(f"{path}: frame size {width}x{height} must be even for yuv420p")
        self.path = Path(path)
        self.width, self.height, self.fps, self.sr = width, height, fps, sr
        self._opts = {"crf": str(crf), "preset": preset, "threads": str(threads)}
        self._threads = threads
        self._bitrate = audio_bitrate
        self._stack: contextlib.ExitStack | None = None
        self.n_frames = 0
        self.n_samples = 0

    def __enter__(self) -> VideoWriter:
        import av

        self._stack = contextlib.ExitStack()
        tmp = self._stack.enter_context(atomic_path(self.path, suffix=".mp4"))
        self._container = av.open(str(tmp), mode="w", format="mp4")
        rate = Fraction(self.fps).limit_denominator(1001)
        self._video = self._container.add_stream("libx264", rate=rate, options=self._opts)
        self._video.width, self._video.height = self.width, self.height
        self._video.pix_fmt = "yuv420p"
        self._video.codec_context.thread_count = self._threads
        self._audio = None
        if self.sr is not None:
            self._audio = self._container.add_stream("aac", rate=self.sr, layout="mono")
            self._audio.bit_rate = self._bitrate
        return self

    def write_frames(self, frames: np.ndarray) -> None:
        """frames (ndarray): (n, H, W, 3) uint8 RGB."""
        import av

        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[1:] != (self.height, self.width, 3):
            raise VideoIOError(
                f"{self.path}: frames must be (n, {self.height}, {self.width}, 3), "
                f"got {frames.shape}"
            )
        if frames.dtype != np.uint8:
            raise VideoIOError(f"{self.path}: frames must be uint8, got {frames.dtype}")
        for img in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            frame.pts = self.n_frames
            self._container.mux(self._video.encode(frame))
            self.n_frames += 1

    def write_audio(self, wav: np.ndarray) -> None:
        """wav (ndarray): (N,) float mono in [-1, 1] at ``sr``."""
        import av

        if self._audio is None:
            raise VideoIOError(f"{self.path}: this writer was opened without audio (sr=None)")
        wav = np.clip(np.asarray(wav, dtype=np.float32).reshape(1, -1), -1.0, 1.0)
        if wav.shape[1] == 0:
            return
        frame = av.AudioFrame.from_ndarray(wav, format="flt", layout="mono")
        frame.sample_rate = self.sr
        frame.pts = self.n_samples
        self._container.mux(self._audio.encode(frame))
        self.n_samples += wav.shape[1]

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                if self.n_frames == 0:
                    raise VideoIOError(f"{self.path}: no frames were written")
                self._container.mux(self._video.encode(None))
                if self._audio is not None:
                    self._container.mux(self._audio.encode(None))
            self._container.close()
        except BaseException as err:
            with contextlib.suppress(Exception):
                self._container.close()
            self._stack.__exit__(type(err), err, err.__traceback__)  # removes the temp file
            raise
        # renames the temporary file into place, or (after an exception) removes it
        self._stack.__exit__(exc_type, exc, tb)
