"""Identities of the mini corpus: real portraits shipped in packages, augmented.

Two photographs ship offline: scikit-image's ``astronaut`` (Eileen Collins, NASA, public
domain) and matplotlib's sample ``grace_hopper.jpg``. Each identity is one of them, mirrored or
not, framed tighter or looser and re-coloured (hue, saturation, brightness), with its own
espeak-ng voice. 68 facial landmarks are found once per photograph with dlib's shape predictor
(weights from face-recognition-models) and carried through the framing transform, so the mouth
is known in every identity without detecting again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ttsf.data.mini.speech import Voice

__all__ = ["Identity", "IDENTITY_SPECS", "make_identity", "portrait_landmarks"]


@dataclass(frozen=True)
class IdentitySpec:
    portrait: str  # "astronaut" | "grace_hopper"
    flip: bool
    zoom: float  # crop side / face width
    hue: int  # OpenCV hue shift (0..180 scale)
    saturation: float
    brightness: float
    voice: Voice
    split: str  # LRS3 subset the identity speaks in: trainval (+pretrain) or test


#: six training identities and two unseen test identities (LRS3's test speakers are unseen too)
IDENTITY_SPECS: list[IdentitySpec] = [
    IdentitySpec("astronaut", False, 2.4, 0, 1.0, 1.0, Voice("en-us+f2", 55), "trainval"),
    IdentitySpec("astronaut", True, 2.1, 6, 1.2, 1.1, Voice("en-gb+m3", 40), "trainval"),
    IdentitySpec("astronaut", False, 2.8, -6, 0.8, 0.9, Voice("en-gb-scotland+f4", 65), "trainval"),
    IdentitySpec("grace_hopper", False, 2.3, 0, 1.0, 1.0, Voice("en-us+f3", 60), "trainval"),
    IdentitySpec("grace_hopper", True, 2.6, 8, 1.3, 1.05, Voice("en-gb-x-rp+m1", 35), "trainval"),
    IdentitySpec("grace_hopper", False, 2.0, -8, 0.7, 1.15, Voice("en-029+f1", 70), "trainval"),
    IdentitySpec("astronaut", True, 2.5, 12, 0.9, 0.85, Voice("en-us-nyc+m2", 45), "test"),
    IdentitySpec("grace_hopper", True, 2.2, -12, 1.1, 0.95, Voice("en-gb+f5", 75), "test"),
]


@dataclass(frozen=True)
class Identity:
    speaker: str  # an 11-character id, like LRS3's YouTube ids
    image: np.ndarray  # (S, S, 3) uint8 RGB, the still frame
    landmarks: np.ndarray  # (68, 2) float x, y in ``image``
    voice: Voice
    split: str


def _portrait(name: str) -> np.ndarray:
    if name == "astronaut":
        import skimage.data

        return skimage.data.astronaut()
    if name == "grace_hopper":
        import matplotlib.cbook
        from PIL import Image

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
            return np.asarray(Image.open(f).convert("RGB"))
    raise ValueError(f"unknown packaged portrait {name!r}; have astronaut, grace_hopper")


@cache
def portrait_landmarks(name: str) -> np.ndarray:
    """(68, 2) iBUG landmarks of a packaged portrait (dlib HOG detector + shape predictor)."""
    import dlib
    import face_recognition_models

    img = _portrait(name)
    detector = dlib.get_frontal_face_detector()
    faces = detector(img, 0) or detector(img, 1)  # upsample only if the face is small
    if not faces:
        raise RuntimeError(f"dlib found no face in the packaged portrait {name!r}")
    face = max(faces, key=lambda r: r.width() * r.height())
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
    shape = predictor(img, face)
    return np.array([(p.x, p.y) for p in shape.parts()], np.float64)


def _recolour(img: np.ndarray, hue: int, saturation: float, brightness: float) -> np.ndarray:
    import cv2

    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + hue) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * saturation, 0, 255)
    hsv[..., 2] = np.clip(hsv[..., 2] * brightness, 0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)


def make_identity(spec: IdentitySpec, speaker: str, size: int = 224) -> Identity:
    """Frame, mirror and re-colour a packaged portrait into a ``size`` x ``size`` still."""
    import cv2

    img = _portrait(spec.portrait)
    lm = portrait_landmarks(spec.portrait)
    face_w = lm[16, 0] - lm[0, 0]
    cx, cy = lm[:, 0].mean(), lm[:, 1].mean() - 0.1 * face_w  # centre a little above the nose
    s = size / (spec.zoom * face_w)
    sx = -s if spec.flip else s
    m = np.array([[sx, 0, size / 2 - sx * cx], [0, s, size / 2 - s * cy]])
    still = cv2.warpAffine(img, m, (size, size), flags=cv2.INTER_AREA,
                           borderMode=cv2.BORDER_REFLECT)  # fmt: skip
    lm2 = lm @ m[:, :2].T + m[:, 2]
    # mirrored, iBUG's left eye becomes the right one; the points animated (mouth 48-67, chin 8)
    # are used as a set or lie on the midline, so they need no re-indexing
    still = _recolour(still, spec.hue, spec.saturation, spec.brightness)
    return Identity(speaker, still, lm2, spec.voice, spec.split)
