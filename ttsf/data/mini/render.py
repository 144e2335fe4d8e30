"""Animate a still portrait: a jaw that opens with the speech energy, and a head that sways.

* Lip motion: the per-frame opening is the speech RMS in that frame's 40 ms, normalised by the
  utterance's loud frames. The lower lip and chin are pulled down by a smooth displacement field
  (zero above the mouth line, full from the lower lip to the chin, fading below it, Gaussian
  across the mouth's width) and the gap between the lips is darkened: a mouth cavity.
* Head motion: small smooth rotations, translations and zoom, sums of two slow sinusoids with
  random frequencies (0.1-0.6 Hz) and phases per utterance, like a speaker's idle sway.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mouth_openness", "head_motion", "apply_pose", "Animator"]


def mouth_openness(wav: np.ndarray, sr: int, n_frames: int, fps: float = 25.0) -> np.ndarray:
    """(T,) jaw opening in [0, 1] per video frame from the waveform's energy."""
    hop = int(round(sr / fps))
    padded = np.zeros(n_frames * hop, np.float32)
    padded[: min(len(wav), len(padded))] = wav[: len(padded)]
    rms = np.sqrt(np.mean(padded.reshape(n_frames, hop) ** 2, axis=1))
    loud = np.percentile(rms, 90) if rms.max() > 0 else 1.0
    opening = np.clip(rms / max(loud, 1e-6), 0.0, 1.0) ** 0.7
    # a jaw cannot move in one frame: a short smoothing kernel (about 0.1 s)
    return np.convolve(opening, np.array([0.25, 0.5, 0.25]), mode="same").astype(np.float32)


def head_motion(
    rng: np.random.Generator,
    n_frames: int,
    fps: float = 25.0,
    max_deg: float = 3.0,
    max_shift: float = 0.02,
    max_zoom: float = 0.02,
) -> np.ndarray:
    """(T, 4) per frame: rotation (degrees), shift x, shift y (fractions of the frame), zoom."""
    t = np.arange(n_frames) / fps
    out = np.zeros((n_frames, 4))
    for j, amp in enumerate([max_deg, max_shift, max_shift, max_zoom]):
        for _ in range(2):
            f, ph = rng.uniform(0.1, 0.6), rng.uniform(0, 2 * np.pi)
            out[:, j] += 0.5 * amp * np.sin(2 * np.pi * f * t + ph)
    out[:, 3] += 1.0
    return out


class Animator:
    """Renders frames of one identity.

    Args:
        image (ndarray): (S, S, 3) uint8 still.
        landmarks (ndarray): (68, 2) iBUG landmarks in ``image``.
        max_jaw: jaw drop at full opening, as a fraction of the mouth width.
    """

    def __init__(self, image: np.ndarray, landmarks: np.ndarray, max_jaw: float = 0.45) -> None:
        self.image = image
        h, w = image.shape[:2]
        mouth = landmarks[48:68]
        self.mx = mouth[:, 0].mean()
        self.my = landmarks[[62, 66], 1].mean()  # between the inner lips
        self.width = np.ptp(mouth[:, 0])
        lower_lip = landmarks[57, 1]
        chin = landmarks[8, 1]
        self.max_jaw = max_jaw * self.width
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        across = np.exp(-(((xx - self.mx) / (0.8 * self.width)) ** 2))
        ramp_in = np.clip((yy - self.my) / max(lower_lip - self.my, 1.0), 0, 1)
        ramp_out = np.clip(1 - (yy - chin) / (0.6 * max(chin - self.my, 1.0)), 0, 1)
        self.weight = (across * np.minimum(ramp_in, ramp_out)).astype(np.float32)
        self.xx, self.yy = xx, yy

    def frame(self, opening: float, pose: np.ndarray) -> np.ndarray:
        """One (S, S, 3) uint8 frame: mouth ``opening`` in [0, 1], ``pose`` from head_motion."""
        import cv2

        drop = float(opening * self.max_jaw)
        map_y = (self.yy - np.float32(drop) * self.weight).astype(np.float32)
        img = cv2.remap(self.image, self.xx, map_y, cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REFLECT)  # fmt: skip
        if drop > 0.5:  # the dark mouth cavity between the parted lips
            cavity = np.zeros(img.shape[:2], np.float32)
            centre = (int(round(self.mx)), int(round(self.my + drop / 2)))
            axes = (max(1, int(0.3 * self.width * (0.6 + 0.4 * opening))), max(1, int(drop / 2)))
            cv2.ellipse(cavity, centre, axes, 0, 0, 360, 1.0, -1, cv2.LINE_AA)
            cavity = cv2.GaussianBlur(cavity, (5, 5), 0)[..., None] * 0.85
            img = (img * (1 - cavity) + np.array([60, 20, 25]) * cavity).astype(np.uint8)
        return apply_pose(img, pose)


def apply_pose(img: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """(S, S, 3) image seen with a head pose from :func:`head_motion`: rotated about the centre,
    shifted and zoomed (reflected at the borders)."""
    import cv2

    h, w = img.shape[:2]
    deg, tx, ty, zoom = pose
    m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, zoom)
    m[:, 2] += (tx * w, ty * h)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
