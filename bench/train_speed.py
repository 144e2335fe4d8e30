"""Seconds per training step of a recipe's config: one process on one thread against gloo DDP.

    python bench/train_speed.py [--steps 12] [--skip 2] [--procs 1 2]
    # a recipe's own joint config, from its directory (its dumps hold paths relative to it):
    cd egs/mini && python ../../bench/train_speed.py --config conf/tuning/train_ttsf_long.yaml \
        --data dump/train -- --tts_init exp/tts_long/model.pth \
        --losses.sync.conf.syncnet_path exp/syncnet_long/syncnet.pth

Each process count runs ``python -m ttsf.bin.train --num_procs P --max_steps N`` on a fresh
output dir, every process on one thread (``OMP_NUM_THREADS=1``), as the recipes run their jobs;
the arguments after ``--`` go to every run. The trainer logs the seconds since its loop started
at each step (``--log_interval 1``); the figure is the mean over steps ``skip+1 .. N``, past the
warm-up (oneDNN's primitive creation, the first data-loader batches). With P processes each
step reads the same global batch, ``batch_size / P`` utterances per process, so a step does the
same work and the speed-up is what P cores buy one job. By default the tiny joint config on a
tiny dump (test/fixtures/tiny_dump.py); with ``--config``/``--data`` a recipe's own.
Keep ``--steps`` inside one epoch (the mini corpus: 20 steps of 8): an epoch's end adds its
checkpoint (and validation, given ``--valid_data``) to the step that ends it; the tiny dump's
epochs are 2 steps, so its figure includes those saves. Run it on an otherwise idle machine:
every other process takes a core from the runs.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

_STEP_LINE = re.compile(r"\[rank0\] .* step (\d+) .*\((\d+(?:\.\d+)?) s\)$")


def step_times(log_text: str) -> dict[int, float]:
    """``{step: seconds since the loop started}`` from rank 0's step lines of a train.log."""
    return {int(m[1]): float(m[2]) for m in map(_STEP_LINE.search, log_text.splitlines()) if m}


def seconds_per_step(log_text: str, skip: int) -> float:
    """Mean seconds of the steps after ``skip`` (the warm-up), from a train.log."""
    times = step_times(log_text)
    if skip not in times or not any(step > skip for step in times):
        raise ValueError(f"the log has steps {sorted(times)}: it needs step {skip} and a later one")
    last = max(times)
    return (times[last] - times[skip]) / (last - skip)


def run(config: Path, data: Path, procs: int, steps: int, work: Path, extra: list[str]) -> str:
    """Train ``steps`` steps with ``procs`` processes; returns the train.log."""
    out = work / f"procs{procs}"
    cmd = [sys.executable, "-m", "ttsf.bin.train", "--task", "ttsf", "--config", str(config),
           "--train_data", str(data), "--output_dir", str(out), "--num_procs", str(procs),
           "--max_steps", str(steps), "--log_interval", "1", "--seed", "0", *extra]  # fmt: skip
    env = benchlib.allocator_env(kept=False)  # training runs under glibc's defaults
    env["OMP_NUM_THREADS"] = "1"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{procs} process(es): training failed:\n{done.stderr[-3000:]}")
    return (out / "train.log").read_text()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", type=Path, help="a joint training config (default: the tiny one)")
    p.add_argument("--data", type=Path, help="its dump dir, e.g. egs/mini/dump/train")
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--skip", type=int, default=2, help="warm-up steps left out of the mean")
    p.add_argument("--procs", type=int, nargs="+", default=[1, 2])
    p.add_argument("extra", nargs="*", help="after --: arguments for every training run")
    args = p.parse_args()
    if (args.config is None) != (args.data is None):
        p.error("--config and --data go together")
    if not 0 < args.skip < args.steps:
        p.error(f"--skip {args.skip} must be at least 1 and below --steps {args.steps}")
    print(benchlib.machine_header(1))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config, data = args.config, args.data
        if config is None:
            sys.path.insert(0, str(benchlib.ROOT / "test" / "fixtures"))
            from tiny_dump import TINY_JOINT, make_dump

            data = make_dump(work / "dump", n_utt=16)
            config = work / "tiny.yaml"
            config.write_text(yaml.safe_dump({**TINY_JOINT, "batch_size": 8}))
        rows = []
        for procs in args.procs:
            rows.append((procs, seconds_per_step(
                run(config, data, procs, args.steps, work, args.extra), args.skip)))
            print(f"{procs} process(es): {rows[-1][1]:.2f} s/step", flush=True)
    base = rows[0][1]
    steps = f"steps {args.skip + 1}-{args.steps}"
    print(f"\n{'processes':>9s} {'s/step':>8s} {'speed-up':>9s}   ({steps}, "
          f"load {os.getloadavg()[0]:.2f} after)")
    for procs, sec in rows:
        print(f"{procs:>9d} {sec:8.2f} {base / sec:8.2f}x")


if __name__ == "__main__":
    main()
