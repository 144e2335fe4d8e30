import numpy as np
import pytest
import torch

from ttsf.metrics.abs_metric import MetricNotRun
from ttsf.metrics.lse import LSE, offset_confidence, sync_distances


def test_offset_and_confidence_on_a_constructed_distance_matrix():
    # mean curve |j - 12| + 1 over j = 0..30: minimum 1 at j = 12 -> offset 15 - 12 = 3;
    # its 31 values sorted are 1,2,2,3,3,...: the median (16th) is 9 -> LSE-C = 9 - 1 = 8
    j = torch.arange(31).float()
    dists = (j - 12).abs()[None].repeat(4, 1) + 1
    assert offset_confidence(dists, vshift=15) == (3, 8.0, 1.0)


def test_sync_distances_finds_a_shift_of_embeddings():
    vid = torch.randn(40, 8)
    k = 4
    aud = torch.zeros_like(vid)
    aud[: 40 - k] = vid[k:]  # audio leads by k windows: video i matches audio i - k
    d = sync_distances(vid, aud, vshift=6)
    assert d.shape == (40, 13)
    assert offset_confidence(d, vshift=6)[0] == k


class EnergyNet:
    """A shift-identifiable stand-in for SyncNet: both embeddings are the z-scored loudness of
    the 5 video frames of a window (mean brightness / mean MFCC log energy)."""

    @staticmethod
    def _z(x):
        return (x - x.mean(1, keepdim=True)) / (x.std(1, keepdim=True) + 1e-6)

    def forward_aud(self, x):  # (B, 1, 13, 20): c0 is the frame log energy
        return self._z(x[:, 0, 0].reshape(-1, 5, 4).mean(-1))

    def forward_lip(self, x):  # (B, 3, 5, 224, 224)
        return self._z(x.mean((1, 3, 4)))


@pytest.mark.parametrize("k", [3, -2, 0])
def test_audio_shifted_by_k_frames_gives_offset_k(k):
    rng = np.random.default_rng(1)
    n_frames = 60
    log_amp = rng.uniform(-4, 0, n_frames)
    wav = np.concatenate([np.exp(a) * rng.standard_normal(640) for a in log_amp]) * 0.2
    bright = (log_amp - log_amp.min()) / np.ptp(log_amp) * 200 + 20
    frames = np.broadcast_to(bright[:, None, None, None], (n_frames, 32, 32, 3)).astype(np.uint8)
    # advance the audio by k frames (k < 0: delay it): video frame i now sounds at i - k
    if k >= 0:
        shifted = np.concatenate([wav[k * 640 :], np.zeros(k * 640)])
    else:
        shifted = np.concatenate([np.zeros(-k * 640), wav[: k * 640]])
    m = LSE(vshift=8)
    m.net = EnergyNet()
    s = m.score({"hyp_frames": frames, "hyp_wav": shifted.astype(np.float32)})
    assert s["av_offset"] == k
    assert s["lse_c"] > 0.5 and s["lse_d"] < 1.0


def test_lse_without_weights_is_not_run():
    with pytest.raises(MetricNotRun, match="syncnet_v2.model"):
        LSE().setup()
