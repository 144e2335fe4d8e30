"""MAS against a brute-force search over every monotonic alignment (exact path)."""

import itertools

import numpy as np
import pytest
import torch

from ttsf.tts.monotonic_align import maximum_path


def _brute_force(log_p: np.ndarray) -> np.ndarray:
    """Enumerate every split of T_mel frames into T_text non-empty consecutive runs."""
    t_x, t_y = log_p.shape
    best, best_path = -np.inf, None
    for cuts in itertools.combinations(range(1, t_y), t_x - 1):
        bounds = (0, *cuts, t_y)
        path = np.zeros_like(log_p)
        for i in range(t_x):
            path[i, bounds[i] : bounds[i + 1]] = 1
        score = (log_p * path).sum()
        if score > best:
            best, best_path = score, path
    return best_path


@pytest.mark.parametrize("seed", range(30))
def test_mas_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    t_x = int(rng.integers(1, 5))
    t_y = int(rng.integers(t_x, 9))
    log_p = rng.normal(size=(t_x, t_y))
    expected = _brute_force(log_p)
    mask = torch.ones(1, t_x, t_y)
    got = maximum_path(torch.from_numpy(log_p)[None].float(), mask)[0].numpy()
    np.testing.assert_array_equal(got, expected)


def test_mas_batch_with_padding_equals_single():
    rng = np.random.default_rng(0)
    lens = [(3, 7), (2, 5), (4, 4)]
    t_x, t_y = 4, 8
    log_p = torch.from_numpy(rng.normal(size=(3, t_x, t_y))).float()
    mask = torch.zeros(3, t_x, t_y)
    for b, (lx, ly) in enumerate(lens):
        mask[b, :lx, :ly] = 1
    path = maximum_path(log_p, mask)
    for b, (lx, ly) in enumerate(lens):
        single = maximum_path(log_p[b : b + 1, :lx, :ly], torch.ones(1, lx, ly))[0]
        torch.testing.assert_close(path[b, :lx, :ly], single)
        assert path[b].sum() == ly  # every valid frame belongs to one token
        assert path[b, lx:].sum() == 0 and path[b, :, ly:].sum() == 0
        np.testing.assert_array_equal(
            path[b, :lx, :ly].numpy(), _brute_force(log_p[b, :lx, :ly].numpy())
        )


def test_mas_rejects_too_few_frames():
    with pytest.raises(ValueError, match="one frame per token"):
        maximum_path(torch.zeros(1, 3, 2), torch.ones(1, 3, 2))
