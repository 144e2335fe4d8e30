"""bench/train_speed.py's reading of a train.log."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from train_speed import seconds_per_step, step_times  # noqa: E402

LOG = """\
19:38:29,148 [rank0] INFO: resumed from x at epoch 11, batch 0, step 200
19:38:35,000 [rank0] INFO: epoch 11 step 201 tts=2.1 loss=3.9 d_loss=1.2 (5.5 s)
19:38:43,000 [rank0] INFO: epoch 11 step 202 tts=2.1 loss=3.9 d_loss=1.2 (13.0 s)
19:38:43,000 [rank1] INFO: epoch 11 step 203 tts=2.1 loss=3.9 (99.0 s)
19:38:50,000 [rank0] INFO: epoch 11 step 203 tts=2.1 loss=3.9 d_loss=1.2 (20.0 s)
19:38:58,000 [rank0] INFO: epoch 11 step 204 tts=2.1 loss=3.9 d_loss=1.2 (28.0 s)
2026-12-07 19:39:05,000 [rank0] INFO: epoch 11 done: valid tts=1.95 loss=3.78
"""


def test_step_times_reads_rank_zero_step_lines_only():
    assert step_times(LOG) == {201: 5.5, 202: 13.0, 203: 20.0, 204: 28.0}


def test_seconds_per_step_leaves_out_the_warm_up():
    assert seconds_per_step(LOG, skip=202) == pytest.approx((28.0 - 13.0) / 2)
    with pytest.raises(ValueError, match="needs step 204 and a later one"):
        seconds_per_step(LOG, skip=204)
    with pytest.raises(ValueError, match=r"the log has steps \[201, 202, 203, 204\]"):
        seconds_per_step(LOG, skip=1)
