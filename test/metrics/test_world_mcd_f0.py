import math

import numpy as np
import pytest

from ttsf.metrics.f0_rmse import F0RMSE, f0_rmse
from ttsf.metrics.mcd import MCD, mel_cepstral_distortion
from ttsf.metrics.stats import mean_ci95
from ttsf.metrics.world import sp2mcep

SR = 16000


def harmonic(f0: float, seconds: float = 0.6, gap: float = 0.2) -> np.ndarray:
    """A vowel-like harmonic tone at ``f0`` with a silent gap (unvoiced frames)."""
    t = np.arange(int(seconds * SR)) / SR
    x = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 25) if k * f0 < 7000)
    x = 0.3 * x / np.abs(x).max()
    rng = np.random.default_rng(0)
    silence = 1e-4 * rng.standard_normal(int(gap * SR))
    return np.concatenate([silence, x, silence]).astype(np.float64)


def test_sp2mcep_recovers_a_warped_cepstrum():
    # An envelope built from a known mel-cepstrum (SPTK convention, log|H| = sum c~ cos(m beta))
    # must analyse back to that mel-cepstrum: an independent check of irfft + freqt.
    alpha, order, n_fft = 0.42, 23, 2048
    w = np.linspace(0, np.pi, n_fft // 2 + 1)
    beta = w + 2 * np.arctan(alpha * np.sin(w) / (1 - alpha * np.cos(w)))
    mc = np.zeros(order + 1)
    mc[:5] = [0.7, 0.9, -0.4, 0.2, -0.1]
    logamp = sum(mc[m] * np.cos(m * beta) for m in range(order + 1))
    est = sp2mcep(np.exp(2 * logamp)[None], order, alpha)[0]
    np.testing.assert_allclose(est, mc, atol=2e-3)


def test_mcd_of_signal_with_itself_is_zero():
    x = harmonic(140.0)
    s = MCD().score({"hyp_wav": x, "ref_wav": x})
    assert s["mcd"] == 0.0 and s["mcd_c0"] == 0.0


def test_mcd_of_gain_copy_is_the_c0_shift():
    # x * g scales the power envelope by g^2: c0 moves by ln g, c1.. do not move. So MCD
    # without c0 is 0 and with c0 it is 10/ln10 * sqrt(2) * |ln g| on every frame.
    # broadband noise keeps every bin of the envelope above CheapTrick's safety floor
    noise = 1e-2 * np.random.default_rng(1).standard_normal(int(0.6 * SR))
    x, g = harmonic(140.0, gap=0.0) + noise, 0.5
    s = MCD().score({"hyp_wav": g * x, "ref_wav": x})
    assert s["mcd"] == pytest.approx(0.0, abs=1e-6)
    expected = 10 / math.log(10) * math.sqrt(2) * abs(math.log(g))
    assert s["mcd_c0"] == pytest.approx(expected, rel=1e-4)


def test_mel_cepstral_distortion_on_constant_offset():
    a = np.zeros((10, 4))
    b = a + np.array([0.0, 0.1, 0.0, 0.0])
    without_c0, with_c0 = mel_cepstral_distortion(a, b)
    assert without_c0 == pytest.approx(10 / math.log(10) * math.sqrt(2) * 0.1)
    assert with_c0 == pytest.approx(without_c0)


def test_f0_rmse_self_zero_and_pitched_copy():
    x, y = harmonic(120.0), harmonic(150.0)
    same = F0RMSE().score({"hyp_wav": x, "ref_wav": x})
    assert same["f0_rmse"] == 0.0 and same["log_f0_rmse"] == 0.0
    s = F0RMSE().score({"hyp_wav": y, "ref_wav": x})
    assert s["f0_rmse"] == pytest.approx(30.0, abs=1.5)
    assert s["log_f0_rmse"] == pytest.approx(math.log(150 / 120), abs=0.01)
    # the silent gaps are unvoiced in both and excluded: fewer pairs than frames
    assert 0 < s["f0_voiced_pairs"] < len(x) / SR * 200


def test_f0_rmse_uses_only_pairs_voiced_in_both():
    h = np.array([0.0, 100.0, 200.0, 0.0])
    r = np.array([100.0, 110.0, 0.0, 0.0])
    hz, log, n = f0_rmse(h, r)
    assert n == 1 and hz == pytest.approx(10.0) and log == pytest.approx(math.log(110 / 100))
    assert math.isnan(f0_rmse(np.zeros(3), r[:3])[0])


def test_mean_ci95_against_scipy():
    from scipy import stats

    xs = [1.0, 2.0, 4.0, 7.0, float("nan")]
    m, h, n = mean_ci95(xs)
    lo, hi = stats.t.interval(0.95, 3, loc=np.mean(xs[:4]), scale=stats.sem(xs[:4]))
    assert n == 4 and m == pytest.approx(3.5) and h == pytest.approx((hi - lo) / 2)
