"""Resident memory of a joint training loop by epoch, under each allocator setting.

    python bench/train_memory.py [--epochs 30] [--allocators kept default jemalloc_nopurge]
    # a recipe's own config, from its directory (dumps hold paths relative to it):
    cd egs/mini && python ../../bench/train_memory.py --config conf/train_ttsf.yaml \
        --data dump/train --batches 4 \
        --override losses.sync.conf.syncnet_path=exp/syncnet/syncnet.pth

Each allocator runs in a fresh process (the setting is process-wide): generator and
discriminator steps of a joint config over the same batches every epoch (one thread), so a
healthy loop's memory is flat after the first epoch. By default the tiny test config on a tiny
dump (test/fixtures/tiny_dump.py, 8 batches); ``--config``/``--data`` take a recipe's own
(random weights; its first ``--batches`` batches). Prints the
resident set (``/proc/self/smaps_rollup``) every 5 epochs, then per allocator the growth in MB
per epoch after epoch 1 and the seconds per epoch.

* ``kept``: glibc malloc keeping freed memory (``GLIBC_TUNABLES``), as the inference CLIs set it;
* ``default``: glibc malloc's defaults, which training runs under;
* ``jemalloc_nopurge``: jemalloc preloaded with purging off, tools/activate.sh's choice until
  2026-12 (skipped when libjemalloc is not installed). Measured then: 733 -> 1236 MB over 25
  epochs, against flat for the other two.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

_JEMALLOC_LIBS = ("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
                  "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2")  # fmt: skip


def allocator_envs(names: list[str]) -> dict[str, dict]:
    envs = {}
    for name in names:
        if name == "jemalloc_nopurge":
            lib = next((lib for lib in _JEMALLOC_LIBS if os.path.isfile(lib)), None)
            if lib is None:
                print("jemalloc_nopurge skipped: libjemalloc.so.2 is not installed "
                      "(apt-get install libjemalloc2)")
                continue
            env = benchlib.allocator_env(kept=False)
            env.update(LD_PRELOAD=lib, MALLOC_CONF="dirty_decay_ms:-1,muzzy_decay_ms:-1")
        else:
            env = benchlib.allocator_env(kept=name == "kept")
        envs[name] = env
    return envs


def child(args: argparse.Namespace) -> None:
    """The training loop; prints ``epoch rss_mb seconds`` lines."""
    import torch

    sys.path.insert(0, str(benchlib.ROOT / "test" / "fixtures"))
    from tiny_dump import TINY_JOINT, make_dump

    import ttsf.tasks  # noqa: F401  (registers the tasks)
    from ttsf.config import load_config
    from ttsf.registry import get_registry

    torch.set_num_threads(1)
    torch.manual_seed(0)
    if args.config:
        cfg, data = load_config(args.config, args.override), str(args.data)
    else:
        cfg, data = TINY_JOINT, str(args.work_dir / "train")
        if not Path(data).is_dir():
            make_dump(args.work_dir, n_utt=16, set_name="train")
    task = get_registry("task").build("ttsf")
    dataset = task.build_dataset(cfg, data, train=True)
    collate = task.collate_fn(cfg)
    size = cfg["batch_size"]
    if len(dataset) < size * args.batches:
        sys.exit(f"{data} holds {len(dataset)} utterances; {args.batches} batches of {size} need "
                 f"{size * args.batches}: pass a smaller --batches")
    batches = [collate([dataset[i * size + j] for j in range(size)]) for i in range(args.batches)]
    model = task.build_model(cfg, data)
    params = {True: [], False: []}
    for name, p in model.named_parameters():
        params[name.startswith("discriminator")].append(p)
    optims = [torch.optim.Adam(params[False], 1e-4), torch.optim.Adam(params[True], 1e-4)]
    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        for batch in batches:
            for optim_idx, optim in enumerate(optims):
                optim.zero_grad()
                model(**batch, optim_idx=optim_idx)["loss"].backward()
                optim.step()
        rss_mb = benchlib.smaps_rollup()["Rss"] // 1024
        print(epoch, rss_mb, f"{time.perf_counter() - t0:.1f}", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--allocators", nargs="+", default=["kept", "default", "jemalloc_nopurge"],
                   choices=["kept", "default", "jemalloc_nopurge"])  # fmt: skip
    p.add_argument("--config", type=Path, help="a joint training config (default: the tiny one)")
    p.add_argument("--data", type=Path, help="its dump dir, e.g. egs/mini/dump/train")
    p.add_argument("--override", nargs="*", default=[], help="config overrides, key=value")
    p.add_argument("--batches", type=int, default=8)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--work_dir", type=Path, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if (args.config is None) != (args.data is None):
        p.error("--config and --data go together")
    if args.child:
        child(args)
        return
    print(benchlib.machine_header(1))
    summary = []
    with tempfile.TemporaryDirectory() as work:
        for name, env in allocator_envs(args.allocators).items():
            cmd = [sys.executable, __file__, "--child", "--epochs", str(args.epochs),
                   "--work_dir", work, "--batches", str(args.batches)]  # fmt: skip
            if args.config:
                cmd += ["--config", str(args.config), "--data", str(args.data),
                        "--override", *args.override]  # fmt: skip
            env["OMP_NUM_THREADS"] = "1"
            out = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if out.returncode:
                sys.exit(f"{name}: the training loop failed:\n{out.stderr[-3000:]}")
            rows = [tuple(map(float, line.split())) for line in out.stdout.split("\n") if line]
            for epoch, rss, seconds in rows:
                if epoch == 1 or epoch % 5 == 0:
                    print(f"{name:>16s} epoch {epoch:3.0f}  RSS {rss:6.0f} MB  {seconds:6.1f} s")
            (_, first, t_first), (last_epoch, last, t_last) = rows[0], rows[-1]
            per_epoch = (t_last - t_first) / max(last_epoch - 1, 1)
            summary.append((name, first, last, (last - first) / max(last_epoch - 1, 1), per_epoch))
    head = ("allocator", "RSS ep 1", "RSS last", "MB/epoch", "s/epoch")
    print("\n{:>16s} {:>9s} {:>9s} {:>9s} {:>8s}".format(*head))
    for name, first, last, growth, per_epoch in summary:
        print(f"{name:>16s} {first:9.0f} {last:9.0f} {growth:9.1f} {per_epoch:8.2f}")


if __name__ == "__main__":
    main()
