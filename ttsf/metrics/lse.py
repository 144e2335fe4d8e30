"""Lip-sync error LSE-C / LSE-D (synchronisation, TTSF Tables 1, 2, 5; Prajwal et al. 2020)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ttsf.metrics.abs_metric import AbsMetric, MetricNotRun, metric_registry

#: syncnet_python's constants: 25 fps video, 100 MFCC frames/s, 5-frame windows.
FPS = 25
MFCC_PER_FRAME = 4
WINDOW = 5
SAMPLES_PER_FRAME = 640  # 16 kHz / 25 fps


def sync_distances(vid: torch.Tensor, aud: torch.Tensor, vshift: int = 15) -> torch.Tensor:
    """Distance of every video window to the audio windows ``-vshift..+vshift`` around it.

    Audio embeddings outside the clip are zeros (syncnet_python's ``calc_pdist`` pads so).

    Args:
        vid, aud (Tensor): (N, D) embeddings of the same N windows.
    Returns:
        (N, 2 * vshift + 1): column ``j`` is the distance to audio window ``i + j - vshift``.
    """
    n = len(vid)
    padded = torch.nn.functional.pad(aud, (0, 0, vshift, vshift))
    idx = torch.arange(n)[:, None] + torch.arange(2 * vshift + 1)[None]
    return torch.linalg.vector_norm(vid[:, None] - padded[idx] + 1e-6, dim=-1)


def offset_confidence(dists: torch.Tensor, vshift: int = 15) -> tuple[int, float, float]:
    """syncnet_python's decision from the distance matrix of :func:`sync_distances`.

    The distances are averaged over windows; the minimum gives the offset and LSE-D, and
    LSE-C = median - minimum of that mean curve.

    Returns:
        offset: ``vshift - argmin``; positive when the audio leads (the audio that matches video
            frame ``i`` is at frame ``i - offset``).
        confidence (LSE-C), min_dist (LSE-D).
    """
    mean = dists.mean(0)
    min_val, min_idx = torch.min(mean, 0)
    return vshift - int(min_idx), float(torch.median(mean) - min_val), float(min_val)


def lip_clips(frames: np.ndarray, size: int = 224) -> torch.Tensor:
    """(T, H, W, 3) uint8 RGB face crops -> (1, 3, T, size, size) BGR float in [0, 255]."""
    import cv2

    bgr = np.stack([cv2.resize(f[..., ::-1], (size, size), interpolation=cv2.INTER_LINEAR)
                    for f in frames])  # fmt: skip
    return torch.from_numpy(bgr).float().permute(3, 0, 1, 2)[None]


@metric_registry.register("lse")
class LSE(AbsMetric):
    """LSE-C / LSE-D: syncnet_python's SyncNet (syncnet_v2.model) on the generated video (its
    256x256 face crops resized to 224x224, BGR, 0-255, 25 fps) and the generated 16 kHz speech
    (python_speech_features MFCC of 16-bit PCM); 5-frame windows; offsets -15..+15 frames; mean
    distance over windows per offset; LSE-D = its minimum, LSE-C = median - minimum, `av_offset` =
    the best offset (syncnet_python's evaluate()).

    Args:
        weights: syncnet_v2.model.
        vshift: largest offset searched, in video frames.
        batch_size: windows per forward.
    """

    inputs = ("hyp_frames", "hyp_wav")
    outputs = ("lse_c", "lse_d", "av_offset")

    def __init__(self, weights: str | None = None, vshift: int = 15, batch_size: int = 20):
        self.weights, self.vshift, self.batch_size = weights, vshift, batch_size
        self.net = None

    def setup(self) -> None:
        from ttsf.pretrained.syncnet_lse import HOW_TO_GET, load_syncnet_lse

        if not self.weights:
            raise MetricNotRun(f"SyncNet weights not configured. {HOW_TO_GET}")
        self.net = load_syncnet_lse(self.weights)

    @torch.no_grad()
    def embed(self, frames: np.ndarray, wav: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Video and audio embeddings of every 5-frame window: (N, D) each."""
        from ttsf.pretrained.syncnet_lse import syncnet_mfcc

        if self.net is None:
            self.setup()
        n = min(len(frames), len(wav) // SAMPLES_PER_FRAME) - WINDOW
        if n < 1:
            raise ValueError(f"LSE needs more than {WINDOW} frames of video and audio, got {n}")
        clips = lip_clips(frames[: n + WINDOW])
        mfcc = torch.from_numpy(syncnet_mfcc(np.asarray(wav) * 32768.0)).float()[None, None]
        params = getattr(self.net, "parameters", None)
        dev = next(params()).device if params else torch.device("cpu")
        vid, aud = [], []
        for i in range(0, n, self.batch_size):
            js = range(i, min(n, i + self.batch_size))
            v = torch.cat([clips[:, :, j : j + WINDOW] for j in js])
            a = torch.cat([mfcc[..., j * MFCC_PER_FRAME : j * MFCC_PER_FRAME + 20] for j in js])
            vid.append(self.net.forward_lip(v.to(dev)).cpu())
            aud.append(self.net.forward_aud(a.to(dev)).cpu())
        return torch.cat(vid), torch.cat(aud)

    def score(self, item: dict[str, Any]) -> dict[str, float]:
        vid, aud = self.embed(item["hyp_frames"], item["hyp_wav"])
        offset, conf, dist = offset_confidence(sync_distances(vid, aud, self.vshift), self.vshift)
        return {"lse_c": conf, "lse_d": dist, "av_offset": float(offset)}
