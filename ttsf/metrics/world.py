"""WORLD analysis (F0 by Harvest, spectral envelope by CheapTrick) and its mel-cepstrum.

The mel-cepstrum is SPTK's convention computed without pysptk: ``log|H(e^jw)| = sum_m c~_m
cos(m beta(w))`` with the all-pass warped frequency ``beta``; from the power envelope ``P``,
the linear cepstrum is ``irfft(log P)`` with ``c0`` halved (log P is twice the log amplitude),
then warped by SPTK's ``freqt`` recursion (pysptk ``sp2mc``; r9y9's MelGeneralizedCepstrums).
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np

#: ESPnet's best mel-cepstrum settings at 16 kHz (``_get_best_mcep_params``): order 23, alpha 0.42.
MCEP_ORDER_16K = 23
MCEP_ALPHA_16K = 0.42


@functools.lru_cache(maxsize=8)
def freqt_matrix(n_in: int, order: int, alpha: float) -> np.ndarray:
    """The linear map of SPTK ``freqt`` (cepstrum -> frequency-warped cepstrum).

    Returns:
        (n_in, order + 1): ``mc = c @ A`` warps a causal cepstrum ``c`` (n_in,) by ``alpha``.
    """
    basis = np.eye(n_in)
    wc = np.zeros((n_in, order + 1))
    for i in range(n_in - 1, -1, -1):  # SPTK feeds the cepstrum from the highest index down
        prev = wc.copy()
        wc[:, 0] = basis[:, i] + alpha * prev[:, 0]
        if order >= 1:
            wc[:, 1] = (1.0 - alpha * alpha) * prev[:, 0] + alpha * prev[:, 1]
        for m in range(2, order + 1):
            wc[:, m] = prev[:, m - 1] + alpha * (prev[:, m] - wc[:, m - 1])
    return wc


def sp2mcep(
    sp: np.ndarray, order: int = MCEP_ORDER_16K, alpha: float = MCEP_ALPHA_16K
) -> np.ndarray:
    """Power spectral envelope -> mel-cepstrum (pysptk ``sp2mc`` semantics).

    Args:
        sp (ndarray): (T, n_fft // 2 + 1) power envelope (WORLD CheapTrick output).
    Returns:
        (T, order + 1) mel-cepstrum, ``c0`` first.
    """
    sp = np.asarray(sp, dtype=np.float64)
    n_fft = 2 * (sp.shape[-1] - 1)
    c = np.fft.irfft(np.log(np.maximum(sp, 1e-300)), n=n_fft, axis=-1)
    c[..., 0] /= 2.0
    half = n_fft // 2 + 1  # the causal half; the mirrored half is the same cepstrum again
    return c[..., :half] @ freqt_matrix(half, order, float(alpha))


def _key(wav: np.ndarray, *args) -> tuple:
    return (hashlib.sha1(np.ascontiguousarray(wav).tobytes()).hexdigest(), len(wav), *args)


_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def world_features(
    wav: np.ndarray,
    sr: int = 16000,
    frame_period: float = 5.0,
    fft_size: int = 1024,
    order: int = MCEP_ORDER_16K,
    alpha: float = MCEP_ALPHA_16K,
    f0_floor: float = 71.0,
    f0_ceil: float = 800.0,
) -> tuple[np.ndarray, np.ndarray]:
    """F0 (Harvest) and mel-cepstrum (CheapTrick -> :func:`sp2mcep`) of one waveform.

    Memoised on the samples, so MCD and F0 RMSE of the same utterance analyse it once.

    Args:
        wav (ndarray): (N,) float waveform at ``sr``.
    Returns:
        f0 (ndarray): (T,) Hz, 0 where unvoiced; mcep (ndarray): (T, order + 1).
    """
    import pyworld

    key = _key(wav, sr, frame_period, fft_size, order, alpha, f0_floor, f0_ceil)
    if key not in _CACHE:
        x = np.asarray(wav, dtype=np.float64)
        if len(x) < fft_size:
            x = np.pad(x, (0, fft_size - len(x)))
        f0, t = pyworld.harvest(
            x, sr, f0_floor=f0_floor, f0_ceil=f0_ceil, frame_period=frame_period
        )
        sp = pyworld.cheaptrick(x, f0, t, sr, fft_size=fft_size)
        if len(_CACHE) >= 16:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (f0, sp2mcep(sp, order, alpha))
    return _CACHE[key]
