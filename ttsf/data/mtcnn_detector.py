"""``mtcnn``: the default face detector, facenet-pytorch's MTCNN (Zhang et al. 2016).

Its wheel ships the P/R/O-net weights, so detection works offline on a fresh machine.
facenet_pytorch and torch are imported on first use only (plugin listing stays light).
"""

from __future__ import annotations

import numpy as np

from ttsf.data.abs_face_detector import AbsFaceDetector, face_detector_registry

__all__ = ["MTCNNDetector"]


@face_detector_registry.register("mtcnn")
class MTCNNDetector(AbsFaceDetector):
    """
    Args:
        min_face_size: smallest face side in pixels that MTCNN searches for.
        thresholds: P-, R- and O-net score thresholds (facenet-pytorch's defaults).
        device: torch device for the three small CNNs.
    """

    def __init__(
        self,
        min_face_size: int = 40,
        thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7),
        device: str = "cpu",
    ) -> None:
        self.min_face_size = min_face_size
        self.thresholds = list(thresholds)
        self.device = device
        self._net = None

    def _mtcnn(self):
        if self._net is None:
            try:
                from facenet_pytorch import MTCNN
            except ImportError as e:
                raise ImportError(
                    "face detector 'mtcnn' needs facenet-pytorch: run tools/install.sh, or "
                    "'pip install --no-deps facenet-pytorch'"
                ) from e
            self._net = MTCNN(
                keep_all=True,
                min_face_size=self.min_face_size,
                thresholds=self.thresholds,
                device=self.device,
            )
        return self._net

    def detect(self, image: np.ndarray) -> np.ndarray:
        """image (H, W, 3) uint8 RGB -> boxes (N, 5) ``x0, y0, x1, y1, score``, best first."""
        boxes, probs = self._mtcnn().detect(np.ascontiguousarray(image))
        if boxes is None:
            return np.zeros((0, 5), np.float32)
        out = np.concatenate([boxes, probs[:, None]], axis=1).astype(np.float32)
        return out[np.argsort(-out[:, 4], kind="stable")]
