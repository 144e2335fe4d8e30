"""dlib's face models from the face_recognition_models wheel: HOG detector, 68-point landmarks,
ResNet face descriptor. The offline back-ends of ID-SIM and DIV."""

from __future__ import annotations

import functools

import numpy as np


@functools.lru_cache(maxsize=1)
def _models():
    import dlib
    import face_recognition_models as frm

    return (
        dlib.get_frontal_face_detector(),
        dlib.shape_predictor(frm.pose_predictor_model_location()),
        dlib.face_recognition_model_v1(frm.face_recognition_model_location()),
    )


def face_rect(img: np.ndarray):
    """``dlib.rectangle`` of the largest face of an RGB uint8 image (the whole image if none:
    a face crop the detector misses is the face)."""
    import dlib

    detector = _models()[0]
    faces = detector(np.ascontiguousarray(img), 1)
    if len(faces):
        return max(faces, key=lambda r: r.width() * r.height())
    return dlib.rectangle(0, 0, img.shape[1] - 1, img.shape[0] - 1)


def face_shape(img: np.ndarray, rect=None):
    """68-point ``dlib.full_object_detection`` of the face in ``rect`` (default: the largest
    detected face). A video's frames can share the first frame's rect: the detector is ~15x
    slower than the shape predictor.

    Args:
        img (ndarray): (H, W, 3) uint8 RGB.
    """
    predictor = _models()[1]
    img = np.ascontiguousarray(img)
    return predictor(img, face_rect(img) if rect is None else rect)


def landmarks68(img: np.ndarray, rect=None) -> np.ndarray:
    """(68, 2) float landmark coordinates (x, y) in pixels."""
    s = face_shape(img, rect)
    return np.array([[p.x, p.y] for p in s.parts()], dtype=np.float64)


def face_descriptor(img: np.ndarray, rect=None) -> np.ndarray:
    """dlib's 128-d face descriptor of the face of an RGB uint8 image (see :func:`face_shape`)."""
    _, _, recogniser = _models()
    img = np.ascontiguousarray(img)
    return np.asarray(
        recogniser.compute_face_descriptor(img, face_shape(img, rect)), dtype=np.float64
    )
