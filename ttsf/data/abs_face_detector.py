"""Face detector family used to crop portraits and videos to aligned 256x256 faces."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from ttsf.registry import Registry


class AbsFaceDetector(ABC):
    @abstractmethod
    def detect(self, image: np.ndarray) -> np.ndarray:
        """
        Args:
            image (ndarray): (H, W, 3) uint8 RGB.
        Returns:
            boxes (ndarray): (N, 5) float ``x0, y0, x1, y1, score`` per face, best first.
        """


face_detector_registry = Registry("face_detector", AbsFaceDetector, default="mtcnn")
