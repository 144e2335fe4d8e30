import numpy as np
import pytest

from ttsf.metrics.abs_metric import MetricNotRun
from ttsf.metrics.cs_sim import CSim, cosine


def test_cosine():
    assert cosine([1, 0], [0, 2]) == 0.0
    assert cosine([1, 2], [2, 4]) == pytest.approx(1.0)


def test_missing_xvector_folder_is_not_run():
    with pytest.raises(MetricNotRun, match="not configured"):
        CSim(backend="xvector").setup()


def test_resemblyzer_backend_self_similarity_is_one():
    t = np.arange(32000) / 16000
    rng = np.random.default_rng(0)
    # voiced-like bursts so resemblyzer's VAD keeps something
    wav = (0.3 * np.sin(2 * np.pi * 150 * t) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32)
    wav += 0.01 * rng.standard_normal(len(t)).astype(np.float32)
    m = CSim(backend="resemblyzer")
    assert m.score({"hyp_wav": wav, "ref_wav": wav})["cs_sim"] == pytest.approx(1.0, abs=1e-5)
