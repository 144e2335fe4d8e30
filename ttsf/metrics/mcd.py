"""Mel-cepstral distortion (naturalness, TTSF Table 3)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ttsf.metrics.abs_metric import AbsMetric, metric_registry
from ttsf.metrics.dtw import dtw_path
from ttsf.metrics.world import MCEP_ALPHA_16K, MCEP_ORDER_16K, world_features

#: dB per natural-log cepstral unit: 10 / ln 10 * sqrt(2) (Kubichek 1993).
_DB = 10.0 / math.log(10.0)


def mel_cepstral_distortion(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean over DTW-aligned frames of ``10/ln10 * sqrt(2 * sum_d (a_d - b_d)^2)`` in dB.

    The alignment uses every coefficient (as ESPnet's ``evaluate_mcd.py``).

    Args:
        a, b (ndarray): (N, D) and (M, D) mel-cepstra, ``c0`` in column 0.
    Returns:
        (MCD over c1..c_{D-1}, MCD over c0..c_{D-1}).
    """
    ia, ib = dtw_path(a, b)
    d = a[ia] - b[ib]
    without_c0 = _DB * np.sqrt(2.0 * np.sum(d[:, 1:] ** 2, axis=1))
    with_c0 = _DB * np.sqrt(2.0 * np.sum(d**2, axis=1))
    return float(without_c0.mean()), float(with_c0.mean())


@metric_registry.register("mcd")
class MCD(AbsMetric):
    """MCD (dB): WORLD (Harvest F0, CheapTrick envelope, 5 ms hop, FFT 1024) at 16 kHz -> SPTK
    mel-cepstrum of order 23 (24 coefficients c0..c23), alpha 0.42 (ESPnet's 16 kHz setting);
    exact DTW on all 24 coefficients; mean over aligned frames of 10/ln10*sqrt(2*sum(dc^2)).
    `mcd` sums c1..c23 (c0, the energy, EXCLUDED); `mcd_c0` includes c0 (ESPnet's
    evaluate_mcd.py sums every column, so it compares to `mcd_c0`).

    Args:
        order: mel-cepstrum order (coefficients c0..c_order).
        alpha: all-pass constant of the frequency warping.
        frame_period: analysis hop in ms.
        fft_size: CheapTrick FFT size.
    """

    inputs = ("hyp_wav", "ref_wav")
    outputs = ("mcd", "mcd_c0")
    lower_is_better = True

    def __init__(
        self,
        order: int = MCEP_ORDER_16K,
        alpha: float = MCEP_ALPHA_16K,
        frame_period: float = 5.0,
        fft_size: int = 1024,
    ) -> None:
        self.opts = dict(frame_period=frame_period, fft_size=fft_size, order=order, alpha=alpha)

    def score(self, item: dict[str, Any]) -> dict[str, float]:
        _, hyp = world_features(item["hyp_wav"], **self.opts)
        _, ref = world_features(item["ref_wav"], **self.opts)
        mcd, mcd_c0 = mel_cepstral_distortion(hyp, ref)
        return {"mcd": mcd, "mcd_c0": mcd_c0}
