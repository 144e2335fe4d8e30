"""Fréchet Inception Distance (video quality, TTSF Tables 1)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ttsf.metrics.abs_metric import AbsMetric, MetricNotRun, metric_registry


def frechet_distance(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> float:
    """``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))`` (pytorch-fid's computation).

    A singular product gets ``1e-6 I`` added to both covariances; a complex square root with a
    negligible imaginary part (numerical error) is reduced to its real part.
    """
    from scipy import linalg

    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    s1, s2 = np.atleast_2d(s1).astype(np.float64), np.atleast_2d(s2).astype(np.float64)
    if mu1.shape != mu2.shape or s1.shape != s2.shape:
        raise ValueError(f"frechet_distance: shapes differ {mu1.shape}/{mu2.shape}, {s1.shape}")
    covmean = linalg.sqrtm(s1 @ s2)
    if not np.isfinite(covmean).all():
        eps = 1e-6 * np.eye(len(s1))
        covmean = linalg.sqrtm((s1 + eps) @ (s2 + eps))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"frechet_distance: imaginary component {np.abs(covmean.imag).max()}")
        covmean = covmean.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def feature_stats(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and unbiased covariance (D, D) of (N, D) features."""
    return feats.mean(0), np.cov(feats, rowvar=False)


def frames_to_tensor(frames: np.ndarray, stride: int) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> every ``stride``-th frame as (T', 3, H, W) float in [0, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(frames[::stride]))
    return x.permute(0, 3, 1, 2).float() / 255.0


@metric_registry.register("fid")
class FID(AbsMetric):
    """FID: pytorch-fid's Inception v3 pool3 (2048-d; frames resized to 299 bilinear, scaled to [-1,
    1]) on every `frame_stride`-th frame of each generated video and of its ground-truth video;
    Fréchet distance between the two Gaussian fits over the whole set (corpus-level;
    no per-utterance value).

    Args:
        weights: pt_inception-2015-12-05-6726825d.pth.
        frame_stride: take every n-th frame.
        batch_size: frames per Inception forward.
    """

    inputs = ("hyp_frames", "ref_frames")
    outputs = ("fid",)
    lower_is_better = True

    def __init__(self, weights: str | None = None, frame_stride: int = 1, batch_size: int = 16):
        self.weights, self.frame_stride, self.batch_size = weights, frame_stride, batch_size
        self.net = None
        self.feats: dict[str, list[np.ndarray]] = {"hyp": [], "ref": []}

    def setup(self) -> None:
        from ttsf.pretrained.inception_fid import HOW_TO_GET, load_fid_inception

        if not self.weights:
            raise MetricNotRun(f"Inception weights not configured. {HOW_TO_GET}")
        self.net = load_fid_inception(self.weights)

    def features(self, frames: np.ndarray) -> np.ndarray:
        """(T, H, W, 3) uint8 -> (T', 2048)."""
        if self.net is None:
            self.setup()
        x = frames_to_tensor(frames, self.frame_stride)
        dev = next(self.net.parameters()).device
        out = [self.net(x[i : i + self.batch_size].to(dev)).cpu().numpy()
               for i in range(0, len(x), self.batch_size)]  # fmt: skip
        return np.concatenate(out).astype(np.float64)

    def score(self, item: dict[str, Any]) -> dict[str, float]:
        self.feats["hyp"].append(self.features(item["hyp_frames"]))
        self.feats["ref"].append(self.features(item["ref_frames"]))
        return {}

    def corpus_scores(self) -> dict[str, float]:
        if not self.feats["hyp"]:
            return {}
        hyp, ref = np.concatenate(self.feats["hyp"]), np.concatenate(self.feats["ref"])
        if len(hyp) < 2 or len(ref) < 2:
            return {"fid": float("nan")}
        return {"fid": frechet_distance(*feature_stats(hyp), *feature_stats(ref))}
