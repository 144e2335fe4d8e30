import numpy as np
import pytest
from scipy import linalg

from ttsf.metrics.abs_metric import MetricNotRun
from ttsf.metrics.fid import FID, feature_stats, frechet_distance


def test_frechet_distance_matches_direct_scipy_and_closed_form():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((200, 6))
    b = rng.standard_normal((150, 6)) @ rng.standard_normal((6, 6)) + 0.5
    mu1, s1 = a.mean(0), np.cov(a, rowvar=False)
    mu2, s2 = b.mean(0), np.cov(b, rowvar=False)
    direct = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1 @ s2).real)
    assert frechet_distance(*feature_stats(a), *feature_stats(b)) == pytest.approx(direct)
    # diagonal covariances: sum (mu1-mu2)^2 + sum (sqrt(v1) - sqrt(v2))^2
    v1, v2 = np.array([1.0, 4.0]), np.array([9.0, 1.0])
    fd = frechet_distance(np.zeros(2), np.diag(v1), np.ones(2), np.diag(v2))
    assert fd == pytest.approx(2 + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2))
    assert frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0.0, abs=1e-6)


def test_fid_without_weights_is_not_run():
    with pytest.raises(MetricNotRun, match="pt_inception"):
        FID().setup()


def test_fid_metric_accumulates_and_is_zero_for_identical_sets():
    import torch

    m = FID(frame_stride=2)
    m.net = lambda x: torch.cat([x.mean((2, 3)), x.std((2, 3))], 1)  # a 6-d stand-in extractor
    m.net.parameters = lambda: iter([torch.zeros(1)])
    rng = np.random.default_rng(0)
    for _ in range(3):
        frames = rng.integers(0, 255, (8, 16, 16, 3), dtype=np.uint8)
        assert m.score({"hyp_frames": frames, "ref_frames": frames}) == {}
    assert len(m.feats["hyp"][0]) == 4  # stride 2 over 8 frames
    assert m.corpus_scores()["fid"] == pytest.approx(0.0, abs=1e-6)
