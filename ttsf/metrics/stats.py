"""Summary statistics of per-utterance scores: mean and 95% confidence interval."""

from __future__ import annotations

import math
from typing import Iterable


def mean_ci95(values: Iterable[float]) -> tuple[float, float, int]:
    """Mean, half-width of the two-sided 95% Student-t confidence interval, and count.

    NaNs (an utterance a metric could not score, e.g. no voiced frame) are left out. The
    half-width is NaN for fewer than two values.
    """
    from scipy import stats

    xs = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    n = len(xs)
    if n == 0:
        return math.nan, math.nan, 0
    mean = sum(xs) / n
    if n < 2:
        return mean, math.nan, n
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    return mean, float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n), n
