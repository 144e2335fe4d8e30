"""F0 RMSE (voice similarity, TTSF Table 3 "RMSE")."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ttsf.metrics.abs_metric import AbsMetric, metric_registry
from ttsf.metrics.dtw import dtw_path
from ttsf.metrics.world import MCEP_ALPHA_16K, MCEP_ORDER_16K, world_features


def f0_rmse(f0_hyp: np.ndarray, f0_ref: np.ndarray) -> tuple[float, float, int]:
    """RMSE in Hz and in natural-log F0 over pairs voiced in both (F0 > 0 in each).

    Args:
        f0_hyp, f0_ref (ndarray): (L,) aligned F0 tracks, 0 = unvoiced.
    Returns:
        (rmse_hz, rmse_log, n_voiced_pairs); NaNs if no pair is voiced in both.
    """
    voiced = (f0_hyp > 0) & (f0_ref > 0)
    n = int(voiced.sum())
    if n == 0:
        return math.nan, math.nan, 0
    h, r = f0_hyp[voiced], f0_ref[voiced]
    return (
        float(np.sqrt(np.mean((h - r) ** 2))),
        float(np.sqrt(np.mean((np.log(h) - np.log(r)) ** 2))),
        n,
    )


@metric_registry.register("f0_rmse")
class F0RMSE(AbsMetric):
    """F0 RMSE: pyworld Harvest F0 (5 ms hop, 71-800 Hz) of hypothesis and reference at 16 kHz;
    frames aligned by exact DTW on the WORLD mel-cepstrum (order 23, alpha 0.42, as MCD); RMSE
    over aligned pairs voiced in both, in Hz (`f0_rmse`, the paper's scale) and in natural-log
    F0 (`log_f0_rmse`); NaN if no pair is voiced in both.

    Args:
        frame_period: analysis hop in ms.
        f0_floor, f0_ceil: Harvest's search range in Hz.
    """

    inputs = ("hyp_wav", "ref_wav")
    outputs = ("f0_rmse", "log_f0_rmse", "f0_voiced_pairs")
    lower_is_better = True

    def __init__(self, frame_period: float = 5.0, f0_floor: float = 71.0, f0_ceil: float = 800.0):
        self.opts = dict(
            frame_period=frame_period,
            fft_size=1024,
            order=MCEP_ORDER_16K,
            alpha=MCEP_ALPHA_16K,
            f0_floor=f0_floor,
            f0_ceil=f0_ceil,
        )

    def score(self, item: dict[str, Any]) -> dict[str, float]:
        f0_h, mc_h = world_features(item["hyp_wav"], **self.opts)
        f0_r, mc_r = world_features(item["ref_wav"], **self.opts)
        ia, ib = dtw_path(mc_h, mc_r)
        hz, log, n = f0_rmse(f0_h[ia], f0_r[ib])
        return {"f0_rmse": hz, "log_f0_rmse": log, "f0_voiced_pairs": float(n)}
