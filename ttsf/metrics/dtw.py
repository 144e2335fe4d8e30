"""Dynamic time warping of two feature sequences (the alignment MCD and F0 RMSE are taken on)."""

from __future__ import annotations

import numpy as np


def dtw_path(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost monotonic alignment under Euclidean frame distance.

    Steps (1,1), (1,0), (0,1) with equal weight, from (0, 0) to (N-1, M-1): the classic DTW
    that ESPnet's MCD script approximates with fastdtw; here it is exact (librosa's).

    Args:
        a (ndarray): (N, D) features; b (ndarray): (M, D).
    Returns:
        ia, ib (ndarray): (L,) frame indices of the aligned pairs, in time order.
    """
    import librosa
    from scipy.spatial.distance import cdist

    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"dtw_path needs (N, D) and (M, D) features, got {a.shape}, {b.shape}")
    if len(a) == 0 or len(b) == 0:
        raise ValueError("dtw_path: one sequence has no frames")
    cost = cdist(a, b, metric="euclidean")
    _, wp = librosa.sequence.dtw(C=cost, backtrack=True)
    wp = wp[::-1]
    return wp[:, 0].astype(np.int64), wp[:, 1].astype(np.int64)
