"""bench/spread_by_sentence.py's paired comparison: the sign count, the mean difference and a
bootstrap interval that excludes zero only when the difference is steady over items."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from spread_by_sentence import paired_summary  # noqa: E402


def test_a_steady_difference_has_an_interval_away_from_zero():
    b = np.linspace(0.004, 0.008, 10)
    s = paired_summary(list(b - 0.001), list(b))
    assert s["a_smaller"] == 10 and s["n"] == 10
    assert s["mean_diff"] == pytest.approx(-0.001)
    assert s["ci_high"] < 0 and s["ci_low"] == pytest.approx(-0.001)


def test_a_difference_that_changes_sign_has_an_interval_across_zero():
    rng = np.random.default_rng(0)
    b = rng.uniform(0.004, 0.008, 10)
    a = b + np.array([1, -1] * 5) * 0.002  # half the items each way
    s = paired_summary(list(a), list(b))
    assert s["a_smaller"] == 5 and s["mean_diff"] == pytest.approx(0.0)
    assert s["ci_low"] < 0 < s["ci_high"]


def test_unpaired_figures_are_refused():
    with pytest.raises(ValueError, match="two equal, non-empty lists"):
        paired_summary([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match="two equal, non-empty lists"):
        paired_summary([], [])
