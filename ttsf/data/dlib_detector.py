"""``dlib``: dlib's face detectors with the weights face-recognition-models ships.

``model: hog`` is dlib's frontal HOG + linear SVM detector (fast on CPU, frontal faces only);
``model: cnn`` is the MMOD CNN detector (``mmod_human_face_detector.dat`` from
face-recognition-models), more robust to pose but ~10x slower on CPU.
"""

from __future__ import annotations

import numpy as np

from ttsf.data.abs_face_detector import AbsFaceDetector, face_detector_registry

__all__ = ["DlibDetector"]


@face_detector_registry.register("dlib")
class DlibDetector(AbsFaceDetector):
    """
    Args:
        model: ``hog`` or ``cnn``.
        upsample: times dlib upsamples the image first (finds faces half as small each time).
    """

    def __init__(self, model: str = "hog", upsample: int = 1) -> None:
        if model not in ("hog", "cnn"):
            raise ValueError(f"dlib face detector model must be 'hog' or 'cnn', got {model!r}")
        self.model = model
        self.upsample = upsample
        self._det = None

    def _detector(self):
        if self._det is None:
            try:
                import dlib
            except ImportError as e:
                raise ImportError("face detector 'dlib' needs dlib: pip install dlib-bin") from e
            if self.model == "hog":
                self._det = dlib.get_frontal_face_detector()
            else:
                try:
                    import face_recognition_models as frm
                except ImportError as e:
                    raise ImportError(
                        "dlib's CNN detector weights come with face-recognition-models: "
                        "pip install face-recognition-models"
                    ) from e
                self._det = dlib.cnn_face_detection_model_v1(frm.cnn_face_detector_model_location())
        return self._det

    def detect(self, image: np.ndarray) -> np.ndarray:
        """image (H, W, 3) uint8 RGB -> boxes (N, 5) ``x0, y0, x1, y1, score``, best first."""
        det = self._detector()
        image = np.ascontiguousarray(image)
        rows = []
        if self.model == "hog":
            rects, scores, _ = det.run(image, self.upsample, 0.0)
            for r, s in zip(rects, scores, strict=True):
                rows.append((r.left(), r.top(), r.right(), r.bottom(), s))
        else:
            for d in det(image, self.upsample):
                r = d.rect
                rows.append((r.left(), r.top(), r.right(), r.bottom(), d.confidence))
        if not rows:
            return np.zeros((0, 5), np.float32)
        out = np.asarray(rows, np.float32)
        return out[np.argsort(-out[:, 4], kind="stable")]
