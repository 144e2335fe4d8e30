"""Video container I/O through PyAV (its wheel bundles FFmpeg with libx264 and AAC).

The one place the toolkit opens or writes an mp4:

* :func:`read_video` -> ``frames (T, H, W, 3) uint8 RGB``, ``fps``;
* :func:`read_audio` -> the container's audio track as 16 kHz mono float32 (LRS3's clips carry
  their speech inside the mp4);
* :func:`write_video` -> H.264 (yuv420p) at 25 fps, optionally with an AAC mono track, written to a
  temporary file and renamed (:mod:`ttsf.utils.fileio`), so a killed job never leaves half an mp4;
* :func:`probe` -> stream facts (fps, frame count, duration, audio present) without decoding.

Errors name the file and what is wrong (:class:`VideoIOError`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

__all__ = ["VideoIOError", "VideoInfo", "probe", "read_audio", "read_video", "write_video"]


class VideoIOError(RuntimeError):
    """A video file that cannot be read or written; the message names the file."""


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` learns from a container's headers."""

    fps: float
    num_frames: int
    width: int
    height: int
    duration: float  # seconds, of the video stream
    has_audio: bool
    audio_sample_rate: int | None


def _open(path: str | os.PathLike):
    import av

    if not os.path.isfile(path):
        raise VideoIOError(f"{path}: no such file")
    try:
        return av.open(str(path))
    except Exception as e:  # av.error.InvalidDataError and friends
        raise VideoIOError(f"{path}: not a readable video container ({e})") from e


def _fps(stream) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate:
        raise VideoIOError(f"{stream.container.name}: video stream has no frame rate")
    return float(rate)


def probe(path: str | os.PathLike) -> VideoInfo:
    """Stream facts of ``path`` from its headers (the frame count is counted by demuxing
    when the container does not store it)."""
    with _open(path) as container:
        if not container.streams.video:
            raise VideoIOError(f"{path}: has no video stream")
        vs = container.streams.video[0]
        fps = _fps(vs)
        n = vs.frames
        if not n:  # e.g. webm/mkv: count packets instead of decoding
            n = sum(1 for p in container.demux(vs) if p.size)
        if vs.duration is not None and vs.time_base is not None:
            duration = float(vs.duration * vs.time_base)
        else:
            duration = n / fps
        aud = container.streams.audio
        return VideoInfo(
            fps=fps,
            num_frames=int(n),
            width=vs.codec_context.width,
            height=vs.codec_context.height,
            duration=duration,
            has_audio=bool(aud),
            audio_sample_rate=aud[0].codec_context.sample_rate if aud else None,
        )


def read_video(path: str | os.PathLike) -> tuple[np.ndarray, float]:
    """Decode every frame of the first video stream.

    Returns:
        frames (ndarray): (T, H, W, 3) uint8 RGB.
        fps (float): the stream's average frame rate.
    """
    with _open(path) as container:
        if not container.streams.video:
            raise VideoIOError(f"{path}: has no video stream")
        vs = container.streams.video[0]
        # no frame threading: FFmpeg's frame-threaded decoder was seen to hang on a corrupt
        # stream when the error surfaced in Python (intermittent test hang)
        fps = _fps(vs)
        try:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(vs)]
        except Exception as e:
            raise VideoIOError(f"{path}: video stream is corrupt ({e})") from e
    if not frames:
        raise VideoIOError(f"{path}: video stream has no decodable frames")
    return np.stack(frames), fps


def read_audio(path: str | os.PathLike, sr: int = 16000) -> np.ndarray:
    """Decode the first audio stream of a container, down-mixed to mono and resampled to ``sr``.

    Returns:
        wav (ndarray): (N,) float32 in [-1, 1].
    """
    import av

    with _open(path) as container:
        if not container.streams.audio:
            raise VideoIOError(f"{path}: has no audio stream")
        stream = container.streams.audio[0]
        declared = None
        if stream.duration is not None and stream.time_base is not None:
            declared = float(stream.duration * stream.time_base)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sr)
        chunks = []
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):  # flush the resampler's delay line
                chunks.append(out.to_ndarray().reshape(-1))
        except Exception as e:
            raise VideoIOError(f"{path}: audio stream is corrupt ({e})") from e
    if not chunks:
        raise VideoIOError(f"{path}: audio stream has no decodable samples")
    wav = np.concatenate(chunks).astype(np.float32, copy=False)
    if declared is not None:  # AAC pads its last 1024-sample frame; keep the declared length
        wav = wav[: max(1, round(declared * sr))]
    return wav


def write_video(
    path: str | os.PathLike,
    frames: np.ndarray,
    fps: float = 25.0,
    audio: np.ndarray | None = None,
    sr: int = 16000,
    crf: int = 18,
    preset: str = "medium",
    audio_bitrate: int = 64000,
) -> None:
    """Write an H.264 mp4 (yuv420p, so players and browsers show it), atomically.

    Args:
        path: target ``.mp4``; replaced only once the file is complete.
        frames (ndarray): (T, H, W, 3) uint8 RGB; H and W must be even (yuv420p halves chroma).
        fps: frame rate (the toolkit's video rate is 25).
        audio (ndarray | None): (N,) float mono in [-1, 1] at ``sr``, stored as AAC.
        crf: x264 constant rate factor; 18 is visually lossless, lower is larger.
        preset: x264 speed/size trade-off.

    The encoder runs single-threaded so the same input gives the same bytes (the mini corpus
    promises byte-identical output for a seed). Measured with PyAV 18's libx264: byte-stable at
    48x64, 64x96 and 256x256, but NOT at 224x224 (differs run to run; decoded frames differ).
    """
    from ttsf.video.writer import VideoWriter

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise VideoIOError(
            f"{path}: frames must be (T, H, W, 3) uint8, got {frames.shape} {frames.dtype}"
        )
    t, h, w, _ = frames.shape
    if t == 0:
        raise VideoIOError(f"{path}: no frames to write")
    sr_or_none = None if audio is None else sr
    with VideoWriter(path, w, h, fps, sr_or_none, crf, preset, audio_bitrate) as writer:
        writer.write_frames(frames)
        if audio is not None:
            writer.write_audio(audio)
