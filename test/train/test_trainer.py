"""The shared trainer on a toy task: exact resume, n-best averaging, GAN optimisers, DDP."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from toy_plugins import ddp_worker, make_trainer, record_losses

from ttsf.train.checkpoint import average_state_dicts, load_checkpoint
from ttsf.train.distributed import launch

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.mark.parametrize("gan,ema", [(False, None), (True, None), (True, 0.9)])
def test_resume_replays_the_same_steps(tmp_path, gan, ema):
    full = make_trainer(tmp_path / "full", dropout=0.3, gan=gan, max_steps=14, ema_decay=ema)
    full_losses = record_losses(full)
    full.run()
    assert len(full_losses) == 14

    # stops mid-epoch 1
    first = make_trainer(tmp_path / "cut", dropout=0.3, gan=gan, max_steps=5, ema_decay=ema)
    first.run()
    second = make_trainer(tmp_path / "cut", dropout=0.3, gan=gan, max_steps=14, ema_decay=ema)
    resumed = record_losses(second)
    second.run()
    assert second.step == 14 and len(resumed) == 9
    for a, b in zip(full_losses[5:], resumed, strict=True):
        assert a == pytest.approx(b, rel=1e-6, abs=1e-9)
    if gan:
        assert "critic" in resumed[0]
    for p, q in zip(full.model.parameters(), second.model.parameters(), strict=True):
        torch.testing.assert_close(p, q)
    if ema:
        assert second.ema.updates == 14
        torch.testing.assert_close(full.ema.shadow, second.ema.shadow)


@pytest.mark.parametrize("method", ["forkserver", "fork"])
def test_data_loader_workers_give_the_batches_the_main_process_does(tmp_path, method):
    inline = make_trainer(tmp_path / "inline", max_steps=6)
    inline_losses = record_losses(inline)
    inline.run()
    workers = make_trainer(
        tmp_path / method, max_steps=6, num_workers=1, worker_start_method=method
    )
    worker_losses = record_losses(workers)
    workers.run()
    assert len(worker_losses) == 6
    for a, b in zip(inline_losses, worker_losses, strict=True):
        assert a == pytest.approx(b, rel=1e-6)
    with pytest.raises(ValueError, match="worker_start_method must be one of"):
        make_trainer(tmp_path / "bad", worker_start_method="thread")
    if sys.platform.startswith("linux"):  # workers never start as copies of the trainer
        assert inline.opts.worker_start_method == "forkserver"


def test_a_collate_fn_that_does_not_pickle_gets_a_clear_error(tmp_path):
    trainer = make_trainer(tmp_path, max_steps=1, num_workers=1)
    trainer.collate = lambda items: items  # a closure cannot reach a forkserver's worker
    with pytest.raises(TypeError, match="do not pickle.*or set worker_start_method: fork"):
        trainer.run()


def test_training_learns_and_averages_nbest(tmp_path):
    trainer = make_trainer(tmp_path, max_epoch=4)
    losses = record_losses(trainer)
    trainer.run()
    assert losses[-1]["loss"] < 0.2 * losses[0]["loss"]
    kept = sorted(p.name for p in tmp_path.glob("epoch*.pth"))
    assert len(kept) == 2  # keep_nbest_models
    history = [
        line.split("\t") for line in (tmp_path / "valid_history.tsv").read_text().splitlines()[1:]
    ]
    best2 = sorted(history, key=lambda r: float(r[1]))[:2]
    assert kept == sorted(f"epoch{e}.pth" for e, _ in best2)
    ave = torch.load(tmp_path / "model.pth", weights_only=True)  # symlink to the average
    states = [torch.load(tmp_path / k, weights_only=True) for k in kept]
    torch.testing.assert_close(
        ave["lin.weight"], (states[0]["lin.weight"] + states[1]["lin.weight"]) / 2
    )
    assert (tmp_path / "tensorboard").is_dir()
    assert not list(tmp_path.glob(".*.pth*"))  # no temporary files left


def test_ema_weights_are_the_ones_validated_and_saved(tmp_path):
    trainer = make_trainer(tmp_path, max_epoch=2, keep_nbest_models=2, ema_decay=0.8)
    live = []  # the live weights after every step, to average by hand
    step = trainer.train_step

    def recorded(batch):
        out = step(batch)
        live.append(trainer.model.lin.weight.detach().clone())
        return out

    trainer.train_step = recorded
    initial = trainer.model.lin.weight.detach().clone()
    trainer.run()
    per_epoch = len(live) // 2
    expected, n = initial, 0
    for epoch in (1, 2):
        for w in live[(epoch - 1) * per_epoch : epoch * per_epoch]:
            keep = min(0.8, (1 + n) / (10 + n))  # the warmed-up decay
            expected, n = keep * expected + (1 - keep) * w, n + 1
        saved = torch.load(tmp_path / f"epoch{epoch}.pth", weights_only=True)
        torch.testing.assert_close(saved["lin.weight"], expected)
        assert not torch.allclose(saved["lin.weight"], live[epoch * per_epoch - 1])
    # training went on with the live weights: validation swapped the average in and out
    torch.testing.assert_close(trainer.model.lin.weight, live[-1])


def test_epoch_criterion_keeps_the_latest_epochs(tmp_path):
    trainer = make_trainer(tmp_path, max_epoch=4, best_model_criterion=["epoch", "max"])
    trainer.run()
    assert sorted(p.name for p in tmp_path.glob("epoch*.pth")) == ["epoch3.pth", "epoch4.pth"]
    assert (tmp_path / "model.pth").resolve().name == "valid.epoch.ave_2best.pth"


def test_ema_rejects_a_checkpoint_without_one(tmp_path):
    make_trainer(tmp_path, max_steps=3).run()
    with pytest.raises(RuntimeError, match="written without ema_decay"):
        make_trainer(tmp_path, max_steps=6, ema_decay=0.9).run()


def test_stopping_before_an_epoch_ends_still_gives_a_model(tmp_path):
    trainer = make_trainer(tmp_path, max_steps=3)  # 8 batches per epoch
    trainer.run()
    assert (tmp_path / "model.pth").resolve().name == "last.pth"
    state = torch.load(tmp_path / "model.pth", weights_only=True)
    torch.testing.assert_close(state["lin.weight"], trainer.model.lin.weight)


def test_average_rejects_mismatched_checkpoints(tmp_path):
    torch.save({"a": torch.ones(2)}, tmp_path / "1.pth")
    torch.save({"b": torch.ones(2)}, tmp_path / "2.pth")
    with pytest.raises(ValueError, match="holds different parameters"):
        average_state_dicts([tmp_path / "1.pth", tmp_path / "2.pth"])


def test_corrupt_checkpoint_gives_a_clear_error(tmp_path):
    (tmp_path / "checkpoint.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(RuntimeError, match=r"checkpoint.pth cannot be read"):
        make_trainer(tmp_path).run()


def test_ddp_two_gloo_processes_match_one(tmp_path):
    launch(ddp_worker, 0, 1, tmp_path / "one", tmp_path / "one.pt")
    launch(ddp_worker, 0, 2, tmp_path / "two", tmp_path / "two.pt")
    one, two = torch.load(tmp_path / "one.pt"), torch.load(tmp_path / "two.pt")
    assert [s["loss"] for s in one["losses"]] == pytest.approx(
        [s["loss"] for s in two["losses"]], rel=1e-5
    )
    for k in one["state"]:
        torch.testing.assert_close(one["state"][k], two["state"][k], rtol=1e-5, atol=1e-6)


def _train_cmd(exp_dir, max_steps):
    return [
        sys.executable,
        "-m",
        "ttsf.bin.train",
        "--task",
        "toy",
        "--train_data",
        "unused",
        "--valid_data",
        "unused",
        "--output_dir",
        str(exp_dir),
        "--plugins",
        "[toy_plugins]",
        "--max_steps",
        str(max_steps),
        "--batch_size",
        "4",
        "--max_epoch",
        "1000",
        "--log_interval",
        "1",
        "--save_interval_steps",
        "1",
        "--dropout",
        "0.3",
    ]


def _logged_losses(exp_dir):
    text = (exp_dir / "train.log").read_text()
    return {int(s): float(v) for s, v in re.findall(r"step (\d+) loss=(\S+)", text)}


def test_kill_at_any_point_then_resume(tmp_path):
    """SIGKILL a real training process while it checkpoints every step; the resumed run must
    load the checkpoint and log exactly the losses of an uninterrupted run."""
    env = {**os.environ, "PYTHONPATH": str(FIXTURES)}
    steps = 400
    subprocess.run(_train_cmd(tmp_path / "full", steps), env=env, check=True, capture_output=True)
    full = _logged_losses(tmp_path / "full")

    proc = subprocess.Popen(
        _train_cmd(tmp_path / "cut", steps),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not (tmp_path / "cut" / "checkpoint.pth").exists():
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = load_checkpoint(tmp_path / "cut" / "checkpoint.pth")["step"]  # never corrupt
    assert 0 < killed_at < steps, "the process was not killed mid-training; raise steps"
    subprocess.run(_train_cmd(tmp_path / "cut", steps), env=env, check=True, capture_output=True)
    cut = _logged_losses(tmp_path / "cut")
    assert max(cut) == steps
    for s in range(killed_at + 1, steps + 1):
        assert cut[s] == pytest.approx(full[s], rel=1e-6), s
