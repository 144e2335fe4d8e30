"""Deterministic, resumable batching: the order depends only on (seed, epoch), so a run resumed
from a checkpoint taken after batch k replays exactly batches k+1, k+2, ... of that epoch."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def epoch_batches(
    lengths: Sequence[int],
    batch_size: int,
    seed: int,
    epoch: int,
    shuffle: bool = True,
    sort_window: int = 100,
    drop_last: bool = False,
) -> list[list[int]]:
    """Index batches of one epoch (global: all ranks see the same list).

    Examples are shuffled, then sorted by length inside windows of ``sort_window`` batches so
    that a batch holds similar lengths (little padding), then the batches are shuffled.
    """
    n = len(lengths)
    if n == 0:
        return []
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(n) if shuffle else np.arange(n)
    window = max(batch_size * sort_window, 1)
    lengths = np.asarray(lengths)
    sorted_order = []
    for start in range(0, n, window):
        chunk = order[start : start + window]
        sorted_order.extend(chunk[np.argsort(-lengths[chunk], kind="stable")].tolist())
    batches = [sorted_order[i : i + batch_size] for i in range(0, n, batch_size)]
    if drop_last and batches and len(batches[-1]) < batch_size:
        batches.pop()
    if shuffle:
        perm = rng.permutation(len(batches))
        batches = [batches[i] for i in perm]
    return batches


def shard(batch: list[int], rank: int, world_size: int) -> list[int]:
    """This rank's part of a global batch (strided, so each rank gets a length mix)."""
    return batch[rank::world_size]


def item_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """Random numbers for one example (e.g. where to cut a training window) that do not depend
    on the worker, the rank or on whether the run was resumed."""
    return np.random.default_rng([seed, epoch, index])
