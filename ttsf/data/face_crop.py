"""Face tracking over a clip, temporal smoothing of the box, and the aligned 256x256 crop.

The detector runs on every ``detect_every``-th frame (faces move little in 0.2 s, and detection
is the cost of stage 2); boxes in between are interpolated, then the box centre and size are
smoothed with a centred moving average so the crop does not jitter. One face is followed: the
largest in the first frame where one is found, then the one nearest the previous choice.
The crop is a square around the box, ``scale`` times its larger side (head and some hair, as
in LIA's/FOMM's VoxCeleb crops), resized to ``size``: alignment is translation and scale only.
"""

from __future__ import annotations

import numpy as np

from ttsf.data.abs_face_detector import AbsFaceDetector

__all__ = ["NoFaceError", "track_face", "smooth_boxes", "crop_faces"]


class NoFaceError(RuntimeError):
    """Too few frames of a clip show a face."""


def track_face(
    detector: AbsFaceDetector,
    frames: np.ndarray,
    detect_every: int = 5,
    min_score: float = 0.9,
    min_face_ratio: float = 0.5,
) -> np.ndarray:
    """Follow one face through a clip.

    Args:
        frames (ndarray): (T, H, W, 3) uint8 RGB.
        min_face_ratio: raise :class:`NoFaceError` if fewer of the probed frames have a face.
    Returns:
        boxes (ndarray): (T, 3) float ``cx, cy, side`` per frame (interpolated, not smoothed).
    """
    t = len(frames)
    probe_idx = sorted(set(range(0, t, max(1, detect_every))) | {t - 1})
    found_idx, found = [], []
    prev = None
    for i in probe_idx:
        dets = detector.detect(frames[i])
        dets = dets[dets[:, 4] >= min_score]
        if not len(dets):
            continue
        cx = (dets[:, 0] + dets[:, 2]) / 2
        cy = (dets[:, 1] + dets[:, 3]) / 2
        side = np.maximum(dets[:, 2] - dets[:, 0], dets[:, 3] - dets[:, 1])
        if prev is None:
            k = int(np.argmax(side))
        else:
            k = int(np.argmin((cx - prev[0]) ** 2 + (cy - prev[1]) ** 2))
        prev = (cx[k], cy[k], side[k])
        found_idx.append(i)
        found.append(prev)
    if len(found) < min_face_ratio * len(probe_idx) or not found:
        raise NoFaceError(f"a face in {len(found)} of {len(probe_idx)} probed frames")
    found = np.asarray(found, np.float64)
    steps = np.arange(t)
    return np.stack([np.interp(steps, found_idx, found[:, j]) for j in range(3)], axis=1)


def smooth_boxes(boxes: np.ndarray, window: int = 9) -> np.ndarray:
    """Centred moving average over time (edges padded by repetition).

    Args:
        boxes (ndarray): (T, D).
        window: frames in the average (9 frames = 0.36 s at 25 fps); 1 disables smoothing.
    """
    if window <= 1 or len(boxes) < 2:
        return boxes
    half = window // 2
    padded = np.pad(boxes, ((half, window - 1 - half), (0, 0)), mode="edge")
    kernel = np.ones(window) / window
    return np.stack(
        [np.convolve(padded[:, j], kernel, mode="valid") for j in range(boxes.shape[1])], axis=1
    )


def crop_faces(
    frames: np.ndarray, boxes: np.ndarray, size: int = 256, scale: float = 1.8
) -> np.ndarray:
    """Square crops around ``boxes``, resized to ``size`` (borders replicated off-frame).

    Args:
        frames (ndarray): (T, H, W, 3) uint8.
        boxes (ndarray): (T, 3) ``cx, cy, side``.
    Returns:
        (T, size, size, 3) uint8.
    """
    import cv2

    out = np.empty((len(frames), size, size, 3), np.uint8)
    for i, (frame, (cx, cy, side)) in enumerate(zip(frames, boxes, strict=True)):
        s = size / (scale * side)
        if s < 0.5:  # strong downscaling: pre-shrink with area averaging so the warp won't alias
            f = 2 * s
            frame = cv2.resize(frame, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            s, cx, cy = s / f, cx * f, cy * f
        # maps the box centre to the crop centre: x' = s * (x - cx) + size / 2
        m = np.array([[s, 0, size / 2 - s * cx], [0, s, size / 2 - s * cy]], np.float64)
        out[i] = cv2.warpAffine(
            frame, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
    return out
