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


def face_shape(img: np.ndarray):
    """68-point ``dlib.full_object_detection`` of the largest face (the whole image if none).

    Args:
        img (ndarray): (H, W, 3) uint8 RGB.
    """
    import dlib

    detector, predictor, _ = _models()
    img = np.ascontiguousarray(img)
    faces = detector(img, 1)
    if len(faces):
        rect = max(faces, key=lambda r: r.width() * r.height())
    else:  # a face crop the detector misses: the crop is the face
        rect = dlib.rectangle(0, 0, img.shape[1] - 1, img.shape[0] - 1)
    return predictor(img, rect)


def landmarks68(img: np.ndarray) -> np.ndarray:
    """(68, 2) float landmark coordinates (x, y) in pixels."""
    s = face_shape(img)
    return np.array([[p.x, p.y] for p in s.parts()], dtype=np.float64)


def face_descriptor(img: np.ndarray) -> np.ndarray:
    """dlib's 128-d face descriptor of the largest face of an RGB uint8 image."""
    _, _, recogniser = _models()
    img = np.ascontiguousarray(img)
    return np.asarray(recogniser.compute_face_descriptor(img, face_shape(img)), dtype=np.float64)
