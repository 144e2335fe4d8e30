"""Processes and devices: one process per GPU (NCCL) or several CPU processes (gloo).

Three ways to start, all ending in ``fn(dist_info, *args)`` on every rank:
  * ``torchrun`` / slurm ``srun`` set ``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` (multi-node): we join.
  * ``--ngpu N`` (N > 1) or ``--num_procs N`` on one machine: we spawn N processes.
  * otherwise a single process (``--ngpu 1``: cuda:0, ``--ngpu 0``: CPU).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _device(ngpu: int, local_rank: int) -> torch.device:
    if ngpu <= 0:
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError(
            f"--ngpu {ngpu} was given but CUDA is not available here; use --ngpu 0 for the CPU"
        )
    if local_rank >= torch.cuda.device_count():
        raise RuntimeError(
            f"rank {local_rank} needs GPU {local_rank}, but only "
            f"{torch.cuda.device_count()} are visible (CUDA_VISIBLE_DEVICES?)"
        )
    torch.cuda.set_device(local_rank)
    return torch.device("cuda", local_rank)


def _init(rank: int, world_size: int, local_rank: int, ngpu: int) -> DistInfo:
    device = _device(ngpu, local_rank)
    if world_size > 1:
        dist.init_process_group(
            backend="nccl" if device.type == "cuda" else "gloo",
            rank=rank,
            world_size=world_size,
            device_id=device if device.type == "cuda" else None,
        )
    return DistInfo(rank, world_size, local_rank, device)


def _spawned(local_rank: int, fn: Callable, ngpu: int, nprocs: int, args: tuple) -> None:
    info = _init(local_rank, nprocs, local_rank, ngpu)
    try:
        fn(info, *args)
    finally:
        if info.distributed:
            dist.destroy_process_group()


def launch(fn: Callable[..., Any], ngpu: int = 0, num_procs: int | None = None, *args: Any) -> None:
    """Run ``fn(dist_info, *args)`` on every rank (see the module docstring)."""
    if "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1:
        info = _init(
            int(os.environ["RANK"]),
            int(os.environ["WORLD_SIZE"]),
            int(os.environ.get("LOCAL_RANK", 0)),
            ngpu,
        )
        try:
            fn(info, *args)
        finally:
            dist.destroy_process_group()
        return
    nprocs = num_procs if num_procs is not None else max(ngpu, 1)
    if ngpu > 1 and nprocs != ngpu:
        raise ValueError(f"--num_procs {nprocs} must equal --ngpu {ngpu} (one process per GPU)")
    if nprocs <= 1:
        fn(_init(0, 1, 0, ngpu), *args)
        return
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(_free_port()))
    mp.spawn(_spawned, args=(fn, ngpu, nprocs, args), nprocs=nprocs, join=True)


def all_reduce_stats(stats: dict[str, float], weight: float, info: DistInfo) -> dict[str, float]:
    """Weighted mean of per-rank statistics over all ranks (weight = examples on this rank)."""
    if not info.distributed:
        return stats
    keys = sorted(stats)
    t = torch.tensor([stats[k] * weight for k in keys] + [weight], dtype=torch.float64)
    if info.device.type == "cuda":
        t = t.to(info.device)
    dist.all_reduce(t)
    total = t[-1].item()
    return {k: (t[i].item() / total if total else 0.0) for i, k in enumerate(keys)}
