"""Frame-rate conversion by picking the nearest source frame (what ``ffmpeg -r`` does).

The toolkit's video rate is 25 fps (4 mel frames of 10 ms per video frame); LRS2/LRS3 are
already 25 fps, VoxCeleb2 too, so this usually returns its input unchanged.
"""

from __future__ import annotations

import numpy as np

__all__ = ["resample_fps"]


def resample_fps(frames: np.ndarray, fps_in: float, fps_out: float = 25.0) -> np.ndarray:
    """
    Args:
        frames (ndarray): (T, ...) frames at ``fps_in``.
    Returns:
        (round(T * fps_out / fps_in), ...) frames at ``fps_out``; output frame ``k`` shows the
        source frame on screen at its mid-time ``(k + 0.5) / fps_out``.
    """
    if fps_in <= 0 or fps_out <= 0:
        raise ValueError(f"frame rates must be positive, got {fps_in} -> {fps_out}")
    if abs(fps_in - fps_out) < 1e-3:
        return frames
    n_out = max(1, round(len(frames) * fps_out / fps_in))
    idx = np.floor((np.arange(n_out) + 0.5) * fps_in / fps_out).astype(np.int64)
    return frames[np.clip(idx, 0, len(frames) - 1)]
