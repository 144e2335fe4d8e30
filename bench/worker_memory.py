"""Memory of the data-loader workers by how they start, on a recipe's own training.

    cd egs/mini && python ../../bench/worker_memory.py --config conf/train_ttsf.yaml \
        --data dump/train --override losses.sync.conf.syncnet_path=exp/syncnet/syncnet.pth

For each start method (``worker_start_method``, ttsf/train/trainer.py) ``ttsf.bin.train`` runs
``--epochs`` epochs of the first ``--utterances`` utterances of ``--data`` (a subset dump in a
temp dir; random weights), one thread, ``num_workers: 1``, and this script reads ``/proc`` of
the trainer and its descendants every half second. A worker is re-made every epoch; the
epochs are short so that several start from the trainer's full heap. Per method it prints the
peak of: the trainer's resident set, a worker's private memory (``Private_Clean`` +
``Private_Dirty``: what it holds that no other process shares), and the whole tree's
proportional set (PSS, shared pages counted once), and the seconds per epoch.

Why: a forked worker shares the trainer's pages until the trainer writes them, and the
trainer rewrites its heap every step, so a worker forked from a 3 GB trainer ends up owning
the heap it inherited (measured 1.9-2.2 GB per worker in the mini joint stage under glibc's
defaults, 2.5-2.9 GB under the kept heap, 2026-12-07).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ttsf.data.datadir import PER_UTT, read_table, write_data_dir

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402


def subset_dump(src: Path, dst: Path, n: int) -> Path:
    """The first ``n`` utterances of dump dir ``src`` as a dump dir ``dst`` (written and checked
    by :func:`write_data_dir`); what the tasks read beside a dump dir (token_list/,
    feats_stats.npz) is linked beside it."""
    utts = list(read_table(src / "utt2spk"))  # in the tables' (byte) order
    if len(utts) < n:
        raise SystemExit(f"{src} holds {len(utts)} utterances; pass --utterances <= {len(utts)}")
    keep = utts[:n]
    dst.parent.mkdir(parents=True)
    for shared in src.resolve().parent.iterdir():
        if not (shared / "text").is_file():  # not another dump dir
            (dst.parent / shared.name).symlink_to(shared)
    tables = {}
    for name in PER_UTT:
        if (src / name).is_file():
            table = read_table(src / name)
            tables[name] = {utt: table[utt] for utt in keep}
    return write_data_dir(dst, tables)


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except OSError:
        return []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _is_worker(pid: int) -> bool:
    """Whether a descendant of the trainer is a data-loader worker: not multiprocessing's
    resource tracker, nor the forkserver itself (whose forks keep its command line)."""
    cmd = _cmdline(pid)
    if "resource_tracker" in cmd:
        return False
    return "forkserver" not in cmd or "forkserver" in _cmdline(_parent(pid))


def sample(root: int) -> tuple[int, int, int]:
    """(trainer RSS, largest worker private, tree PSS) in MB."""
    tree, todo = [root], [root]
    while todo:
        children = _children(todo.pop())
        tree += children
        todo += children
    rollups = {pid: benchlib.smaps_rollup(pid) for pid in tree}
    private = [r.get("Private_Clean", 0) + r.get("Private_Dirty", 0)
               for pid, r in rollups.items() if pid != root and _is_worker(pid)]  # fmt: skip
    pss = sum(r.get("Pss", 0) for r in rollups.values())
    return rollups[root].get("Rss", 0) // 1024, max(private, default=0) // 1024, pss // 1024


def run(method: str, args: argparse.Namespace, data: Path, work: Path) -> dict:
    out = work / f"exp_{method}"
    cmd = [sys.executable, "-m", "ttsf.bin.train", "--task", args.task, "--config",
           str(args.config), "--train_data", str(data), "--output_dir", str(out),
           "--max_epoch", str(args.epochs), "--num_workers", "1",
           "--worker_start_method", method, "--keep_nbest_models", "1"]  # fmt: skip
    for kv in args.override:
        key, value = kv.split("=", 1)
        cmd += [f"--{key}", value]
    env = benchlib.allocator_env(kept=False)  # training runs under glibc's defaults
    env["OMP_NUM_THREADS"] = "1"
    peak = [0, 0, 0]
    start = time.perf_counter()
    with open(work / f"{method}.log", "w") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        while proc.poll() is None:
            peak = [max(p, s) for p, s in zip(peak, sample(proc.pid), strict=True)]
            time.sleep(0.5)
    if proc.returncode != 0:
        tail = "\n".join((work / f"{method}.log").read_text().splitlines()[-15:])
        raise SystemExit(f"{method}: training failed (exit {proc.returncode}):\n{tail}")
    seconds = (time.perf_counter() - start) / args.epochs
    return {"trainer_rss": peak[0], "worker_private": peak[1], "tree_pss": peak[2],
            "s_per_epoch": seconds}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", type=Path, required=True, help="a training config of a recipe")
    p.add_argument("--data", type=Path, required=True, help="its dump dir, e.g. dump/train")
    p.add_argument("--task", default="ttsf")
    p.add_argument("--override", nargs="*", default=[], help="config overrides, key=value")
    p.add_argument("--methods", nargs="+", default=["fork", "forkserver"])
    p.add_argument("--utterances", type=int, default=16, help="per epoch (a subset dump)")
    p.add_argument("--epochs", type=int, default=4)
    args = p.parse_args()
    if not (args.data / "text").is_file():
        raise SystemExit(f"{args.data}: not a dump dir (no 'text'); run the recipe's stage 2")
    print(benchlib.machine_header(1))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = subset_dump(args.data, work / "dump" / args.data.name, args.utterances)
        rows = {m: run(m, args, data, work) for m in args.methods}
    print(f"\n{args.epochs} epochs of {args.utterances} utterances, {args.config}, one worker")
    print("| worker_start_method | trainer RSS MB | worker private MB | tree PSS MB | s/epoch |")
    print("|---|---|---|---|---|")
    for m, r in rows.items():
        print(f"| {m} | {r['trainer_rss']} | {r['worker_private']} | {r['tree_pss']} "
              f"| {r['s_per_epoch']:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
