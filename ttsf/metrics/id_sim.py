"""Identity similarity ID-SIM (video quality, TTSF Tables 1, 2, 5)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ttsf.metrics.abs_metric import AbsMetric, MetricNotRun, metric_registry
from ttsf.metrics.cs_sim import cosine


@metric_registry.register("id_sim")
class IDSim(AbsMetric):
    """ID-SIM: mean over every `frame_stride`-th generated frame of the cosine similarity between
    its face embedding and that of the source portrait (frame `source_frame` of the ground-truth
    video). Back-end `arcface` (paper's face recogniser: an insightface IResNet,
    ArcFace/CurricularFace weights from a local backbone.pth; the 256x256 face crop resized to
    112x112, RGB in [-1, 1]) or `dlib` (offline: dlib's 128-d ResNet descriptor from
    face_recognition_models, HOG detector + 68 landmarks; the whole crop if no face is detected).

    Args:
        backend: "arcface" or "dlib".
        weights: IResNet backbone.pth (arcface back-end).
        depth: IResNet depth (50 or 100).
        frame_stride: score every n-th generated frame.
        source_frame: index of the portrait in the ground-truth video.
    """

    inputs = ("hyp_frames", "ref_frames")
    outputs = ("id_sim",)

    def __init__(
        self,
        backend: str = "arcface",
        weights: str | None = None,
        depth: int = 50,
        frame_stride: int = 1,
        source_frame: int = 0,
    ) -> None:
        if backend not in ("arcface", "dlib"):
            raise ValueError(f"id_sim backend must be 'arcface' or 'dlib', got '{backend}'")
        self.backend, self.weights, self.depth = backend, weights, depth
        self.frame_stride, self.source_frame = frame_stride, source_frame
        self.embed = None

    def setup(self) -> None:
        if self.backend == "dlib":
            from ttsf.metrics.dlib_face import face_descriptor

            self.embed = lambda frames: np.stack([face_descriptor(f) for f in frames])
            return
        from ttsf.pretrained.iresnet import HOW_TO_GET, load_iresnet

        if not self.weights:
            raise MetricNotRun(f"IResNet face-recogniser weights not configured. {HOW_TO_GET}")
        net = load_iresnet(self.weights, self.depth)

        @torch.no_grad()
        def embed(frames: np.ndarray) -> np.ndarray:
            x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
            x = torch.nn.functional.interpolate(x, size=(112, 112), mode="bilinear",
                                                align_corners=False, antialias=True)  # fmt: skip
            dev = next(net.parameters()).device
            return net((x / 127.5 - 1.0).to(dev)).cpu().numpy()

        self.embed = embed

    def score(self, item: dict[str, Any]) -> dict[str, float]:
        if self.embed is None:
            self.setup()
        ref = item["ref_frames"]
        src = self.embed(ref[min(self.source_frame, len(ref) - 1)][None])[0]
        hyp = self.embed(item["hyp_frames"][:: self.frame_stride])
        return {"id_sim": float(np.mean([cosine(h, src) for h in hyp]))}
