"""Head-motion diversity DIV (TTSF Tables 1, 2, 5; SadTalker's protocol)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ttsf.metrics.abs_metric import AbsMetric, MetricNotRun, metric_registry

#: a generic 3-D face (mm) in camera axes (x right, y down, z away from the camera), for the
#: six landmarks nose tip (30), chin (8), outer eye corners (36, 45), mouth corners (48, 54).
_MODEL_3D = np.array(
    [[0, 0, 0], [0, 330, 65], [-225, -170, 135], [225, -170, 135], [-150, 150, 125],
     [150, 150, 125]], dtype=np.float64,
)  # fmt: skip
_LANDMARKS = [30, 8, 36, 45, 48, 54]


def pose_from_landmarks(lm: np.ndarray, width: int, height: int) -> np.ndarray:
    """Yaw, pitch, roll (degrees) of a face from its 68 landmarks by cv2.solvePnP.

    The camera is a pinhole with focal length = image width and the centre as principal point.
    The solver starts from a frontal head at the distance the eye corners give: six points
    admit a mirrored solution (roll near +-180 degrees), which an unguided start reaches on
    some frames of a blurry face and which would count as 180 degrees of head motion.
    """
    import cv2

    cam = np.array([[width, 0, width / 2], [0, width, height / 2], [0, 0, 1]], dtype=np.float64)
    pts = lm[_LANDMARKS].astype(np.float64)
    eyes_px = max(float(np.linalg.norm(pts[3] - pts[2])), 1.0)
    z = width * float(np.linalg.norm(_MODEL_3D[3] - _MODEL_3D[2])) / eyes_px
    nose = (pts[0] - [width / 2, height / 2]) * z / width
    ok, rvec, _ = cv2.solvePnP(_MODEL_3D, pts, cam, np.zeros(4), rvec=np.zeros((3, 1)),
                               tvec=np.array([[nose[0]], [nose[1]], [z]]),
                               useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE)  # fmt: skip
    if not ok:
        return np.full(3, np.nan)
    rot, _ = cv2.Rodrigues(rvec)
    pitch, yaw, roll = cv2.RQDecomp3x3(rot)[0]  # rotations about x, y, z
    return np.array([yaw, pitch, roll])


@metric_registry.register("div")
class DIV(AbsMetric):
    """DIV: head pose (yaw, pitch, roll) of every `frame_stride`-th generated frame; per video the
    standard deviation over frames of each angle, averaged over the three angles; `div` in radians,
    `div_deg` in degrees. Back-end `hopenet` (paper's, via SadTalker: Hopenet ResNet-50, 66 bins,
    256x256 crop resized to 224x224, ImageNet normalisation, from a local state dict) or `dlib_pnp`
    (offline: dlib 68 landmarks + cv2.solvePnP of a generic 6-point 3-D face).

    Args:
        backend: "hopenet" or "dlib_pnp".
        weights: Hopenet state dict (hopenet back-end).
        frame_stride: use every n-th frame.
        batch_size: frames per Hopenet forward.
    """

    inputs = ("hyp_frames",)
    outputs = ("div", "div_deg")

    def __init__(
        self,
        backend: str = "hopenet",
        weights: str | None = None,
        frame_stride: int = 1,
        batch_size: int = 32,
    ) -> None:
        if backend not in ("hopenet", "dlib_pnp"):
            raise ValueError(f"div backend must be 'hopenet' or 'dlib_pnp', got '{backend}'")
        self.backend, self.weights = backend, weights
        self.frame_stride, self.batch_size = frame_stride, batch_size
        self.poses = None

    def setup(self) -> None:
        if self.backend == "dlib_pnp":
            from ttsf.metrics.dlib_face import landmarks68

            def poses(frames: np.ndarray) -> np.ndarray:
                h, w = frames.shape[1:3]
                return np.stack([pose_from_landmarks(landmarks68(f), w, h) for f in frames])

            self.poses = poses
            return
        from ttsf.pretrained.hopenet import HOW_TO_GET, IMAGENET_MEAN, IMAGENET_STD, load_hopenet

        if not self.weights:
            raise MetricNotRun(f"Hopenet weights not configured. {HOW_TO_GET}")
        net = load_hopenet(self.weights)
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)

        @torch.no_grad()
        def poses(frames: np.ndarray) -> np.ndarray:
            x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255
            x = torch.nn.functional.interpolate(x, size=(224, 224), mode="bilinear",
                                                align_corners=False, antialias=True)  # fmt: skip
            x = (x - mean) / std
            dev = next(net.parameters()).device
            return torch.cat([net(x[i : i + self.batch_size].to(dev)).cpu()
                              for i in range(0, len(x), self.batch_size)]).numpy()  # fmt: skip

        self.poses = poses

    def score(self, item: dict[str, Any]) -> dict[str, float]:
        if self.poses is None:
            self.setup()
        angles = self.poses(item["hyp_frames"][:: self.frame_stride])  # (T, 3) degrees
        div_deg = float(np.nanmean(np.nanstd(angles, axis=0)))
        return {"div": float(np.deg2rad(div_deg)), "div_deg": div_deg}
