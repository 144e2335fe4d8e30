"""The shared trainer: one loop for TTS pretraining (stage 3), joint training (stage 4) and the
lip-sync expert, on CPU or GPUs, one process or many (DDP).

Why not ESPnet's trainer: it resumes only at epoch boundaries, writes checkpoints in place (a kill
during ``torch.save`` loses the run) and has no multi-process CPU mode to test DDP without GPUs.
This loop keeps ESPnet's model contract ({"loss", "stats", "weight"}, several optimisers for GANs),
its n-best averaging and tensorboard logging, and adds step-exact resume with atomic checkpoints.

The whole training step is :meth:`Trainer.train_step`.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import pickle
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset

from ttsf.train.checkpoint import (
    load_checkpoint,
    point_model_at,
    rng_state,
    seed_everything,
    set_rng_state,
    update_nbest,
    write_averaged_model,
)
from ttsf.train.distributed import DistInfo, all_reduce_stats
from ttsf.train.ema import WeightEMA
from ttsf.train.sampler import epoch_batches, shard
from ttsf.utils.fileio import atomic_open, atomic_torch_save

log = logging.getLogger("ttsf.train")


@dataclass
class TrainerOptions:
    """The trainer's config keys (top level of the YAML); see ``ttsf/tasks/abs_task.py``."""

    seed: int = 0
    max_epoch: int = 100
    max_steps: int | None = None
    batch_size: int = 16
    num_workers: int = 0
    # how data-loader workers start (multiprocessing): "forkserver" forks them from a small
    # server process, so a worker holds the dataset and its batches only. "fork" copies the
    # trainer, and as the trainer rewrites its heap every step each worker is left owning the
    # pages it inherited: 1.9-2.9 GB per worker in the mini recipe's joint stage on the CPU,
    # against 0.26 GB from a forkserver (bench/worker_memory.py, docs/benchmarks.md). The
    # dataset and collate_fn must pickle for "forkserver" and "spawn". None: "forkserver"
    # where the platform has it, else "spawn".
    worker_start_method: str | None = None
    grad_clip: float | None = None
    keep_nbest_models: int = 5
    best_model_criterion: tuple[str, str] = ("loss", "min")
    log_interval: int = 50
    save_interval_steps: int = 500
    # validate, save and average a moving average of the weights instead of the live ones
    # (StyleGAN2's G_ema, ttsf/train/ema.py); e.g. 0.99. None: the live weights.
    ema_decay: float | None = None

    @classmethod
    def from_config(cls, cfg: dict) -> TrainerOptions:
        fields = cls.__dataclass_fields__
        opts = cls(**{k: cfg[k] for k in fields if k in cfg})
        opts.best_model_criterion = tuple(opts.best_model_criterion)
        methods = multiprocessing.get_all_start_methods()
        if opts.worker_start_method is None:
            opts.worker_start_method = "forkserver" if "forkserver" in methods else "spawn"
        if opts.worker_start_method not in methods:
            raise ValueError(
                f"worker_start_method must be one of {methods} on this platform, "
                f"got {opts.worker_start_method!r}"
            )
        if opts.best_model_criterion[1] not in ("min", "max"):
            raise ValueError(
                f"best_model_criterion must be [stat, min|max], got {opts.best_model_criterion}"
            )
        return opts


def _to_device(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: _to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_device(v, device) for v in batch)
    return batch


def _float_stats(stats: dict[str, Any]) -> dict[str, float]:
    return {
        k: float(v.detach()) if isinstance(v, torch.Tensor) else float(v) for k, v in stats.items()
    }


class Trainer:
    """Args:
    model: the task's model (not yet wrapped in DDP; on the CPU or already on ``info.device``).
    optimizers: one per optimiser index (GANs: generator first).
    train_set / valid_set: datasets with a ``lengths`` attribute (for length-sorted batches).
    collate: pads examples into ``model(**batch)`` keyword arguments.
    """

    def __init__(
        self,
        model: nn.Module,
        optimizers: list[torch.optim.Optimizer],
        train_set: Dataset,
        valid_set: Dataset | None,
        collate: Callable[[list[dict]], dict],
        exp_dir: str | Path,
        options: TrainerOptions,
        info: DistInfo = DistInfo(),
    ) -> None:
        self.opts = options
        self.info = info
        self.exp_dir = Path(exp_dir)
        self.model = model.to(info.device)
        self.optimizers = optimizers
        self.train_set, self.valid_set, self.collate = train_set, valid_set, collate
        self.ddp = (
            DistributedDataParallel(
                self.model,
                device_ids=[info.local_rank] if info.device.type == "cuda" else None,
                find_unused_parameters=len(optimizers) > 1,
            )
            if info.distributed
            else self.model
        )
        self.ema = WeightEMA(self.model, options.ema_decay) if options.ema_decay else None
        self.epoch, self.batch_in_epoch, self.step = 1, 0, 0
        self.history: list[tuple[int, float]] = []
        self.writer = None
        if info.is_main:
            from torch.utils.tensorboard import SummaryWriter

            self.exp_dir.mkdir(parents=True, exist_ok=True)
            self.writer = SummaryWriter(self.exp_dir / "tensorboard")

    # -- checkpointing ------------------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.exp_dir / "checkpoint.pth"

    def save_checkpoint(self) -> None:
        if not self.info.is_main:
            return
        atomic_torch_save(
            {
                "model": self.model.state_dict(),
                "optimizers": [o.state_dict() for o in self.optimizers],
                "epoch": self.epoch,
                "batch_in_epoch": self.batch_in_epoch,
                "step": self.step,
                "history": self.history,
                "rng": rng_state(),
                "ema": self.ema.state_dict() if self.ema is not None else None,
            },
            self.checkpoint_path,
        )

    def resume(self) -> bool:
        """Continue from ``checkpoint.pth`` if there is one. Returns whether it did."""
        if not self.checkpoint_path.exists():
            return False
        ckpt = load_checkpoint(self.checkpoint_path)
        self.model.load_state_dict(ckpt["model"])
        if len(ckpt["optimizers"]) != len(self.optimizers):
            raise RuntimeError(
                f"{self.checkpoint_path} has {len(ckpt['optimizers'])} optimiser states but this "
                f"task has {len(self.optimizers)}: it belongs to another task; use a new output_dir"
            )
        for opt, state in zip(self.optimizers, ckpt["optimizers"], strict=True):
            opt.load_state_dict(state)
        if self.ema is not None:
            if ckpt.get("ema") is None:
                raise RuntimeError(
                    f"{self.checkpoint_path} was written without ema_decay: resume it without "
                    "ema_decay, or train with ema_decay in a new output_dir"
                )
            self.ema.load_state_dict(ckpt["ema"])
        self.epoch, self.batch_in_epoch = ckpt["epoch"], ckpt["batch_in_epoch"]
        self.step, self.history = ckpt["step"], [tuple(h) for h in ckpt["history"]]
        if self.info.world_size == 1:
            set_rng_state(ckpt["rng"])  # ranks > 0 reseed below: their state is not saved
        else:
            seed_everything(self.opts.seed + 1000 * self.step + self.info.rank)
        log.info(
            "resumed from %s at epoch %d, batch %d, step %d",
            self.checkpoint_path,
            self.epoch,
            self.batch_in_epoch,
            self.step,
        )
        return True

    # -- one step -----------------------------------------------------------------------
    def train_step(self, batch: dict) -> dict[str, float]:
        """Forward, backward and update every optimiser once on ``batch``."""
        stats: dict[str, float] = {}
        weight = 1.0
        for idx, opt in enumerate(self.optimizers):
            kwargs = {"optim_idx": idx} if len(self.optimizers) > 1 else {}
            out = self.ddp(**batch, **kwargs)
            loss = out["loss"]
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"loss is {loss.item()} at step {self.step} (optimiser {idx}); "
                    f"stats: {_float_stats(out.get('stats', {}))}"
                )
            for o in self.optimizers:
                o.zero_grad(set_to_none=True)
            loss.backward()
            if self.opts.grad_clip:
                params = [p for g in opt.param_groups for p in g["params"]]
                grad_norm = torch.nn.utils.clip_grad_norm_(params, self.opts.grad_clip)
                stats[f"grad_norm_{idx}"] = float(grad_norm)
            opt.step()
            stats.update(_float_stats(out.get("stats", {"loss": loss})))
            weight = float(out.get("weight", 1.0))
        if self.ema is not None:
            self.ema.update(self.model)
        return all_reduce_stats(stats, weight, self.info)

    # -- loops --------------------------------------------------------------------------
    def _loader(self, dataset: Dataset, batches: list[list[int]], epoch: int) -> DataLoader:
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(epoch)
        local = [shard(b, self.info.rank, self.info.world_size) for b in batches]
        return DataLoader(
            dataset,
            batch_sampler=[b for b in local if b],
            collate_fn=self.collate,
            num_workers=self.opts.num_workers,
            multiprocessing_context=self._worker_context(dataset),
            # an explicit generator keeps worker seeding off the global RNG, so a resumed run
            # draws the same random numbers as an uninterrupted one
            generator=torch.Generator().manual_seed(self.opts.seed + epoch),
        )

    def _worker_context(self, dataset: Dataset) -> multiprocessing.context.BaseContext | None:
        """The data-loader workers' start method (``worker_start_method``); None without them.
        A forkserver imports torch and the dataset's module once, so each epoch's worker does
        not import them again."""
        if self.opts.num_workers == 0:
            return None
        method = self.opts.worker_start_method
        if method != "fork":  # fail here, not in a worker with a bare pickling error
            try:
                pickle.dumps((dataset, self.collate))
            except Exception as e:
                raise TypeError(
                    f"worker_start_method '{method}' sends the dataset ({type(dataset).__name__})"
                    f" and collate_fn to each data-loader worker pickled, and they do not pickle:"
                    f" {e}. Make them picklable (module-level classes and functions, "
                    "functools.partial for arguments) or set worker_start_method: fork"
                ) from e
        ctx = multiprocessing.get_context(method)
        if method == "forkserver":
            ctx.set_forkserver_preload(["torch", type(dataset).__module__])
        return ctx

    def _batches(self, dataset: Dataset, epoch: int, shuffle: bool) -> list[list[int]]:
        lengths = getattr(dataset, "lengths", None) or [1] * len(dataset)
        return epoch_batches(lengths, self.opts.batch_size, self.opts.seed, epoch, shuffle=shuffle)

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        if self.valid_set is None or len(self.valid_set) == 0:
            return {}
        self.model.eval()
        totals: dict[str, float] = {}
        weight_sum = 0.0
        batches = self._batches(self.valid_set, 0, shuffle=False)
        for batch in self._loader(self.valid_set, batches, 0):
            batch = _to_device(batch, self.info.device)
            kwargs = {"optim_idx": 0} if len(self.optimizers) > 1 else {}
            out = self.model(**batch, **kwargs)
            w = float(out.get("weight", 1.0))
            for k, v in _float_stats(out.get("stats", {"loss": out["loss"]})).items():
                totals[k] = totals.get(k, 0.0) + v * w
            weight_sum += w
        self.model.train()
        local = {k: v / max(weight_sum, 1e-12) for k, v in totals.items()}
        return all_reduce_stats(local, weight_sum, self.info)

    def _log(self, group: str, stats: dict[str, float], step: int) -> None:
        if self.writer is None:
            return
        for k, v in stats.items():
            self.writer.add_scalar(f"{group}/{k}", v, step)

    def run(self) -> None:
        """Train until ``max_epoch`` or ``max_steps``, then write the n-best average."""
        seed_everything(self.opts.seed + self.info.rank)
        self.resume()
        self.model.train()
        crit, mode = self.opts.best_model_criterion
        t0 = time.time()
        while self.epoch <= self.opts.max_epoch and not self._done():
            batches = self._batches(self.train_set, self.epoch, shuffle=True)
            loader = self._loader(self.train_set, batches[self.batch_in_epoch :], self.epoch)
            for batch in loader:
                stats = self.train_step(_to_device(batch, self.info.device))
                self.step += 1
                self.batch_in_epoch += 1
                if self.step % self.opts.log_interval == 0 or self.step == 1:
                    self._log("train", stats, self.step)
                    log.info(
                        "epoch %d step %d %s (%.1f s)",
                        self.epoch,
                        self.step,
                        " ".join(f"{k}={v:.4g}" for k, v in stats.items()),
                        time.time() - t0,
                    )
                if self._done():
                    break
                if self.step % self.opts.save_interval_steps == 0:
                    self.save_checkpoint()
            if self.batch_in_epoch >= len(batches):
                self._end_epoch(crit, mode)
            else:  # stopped by max_steps inside the epoch
                self.save_checkpoint()
        if self.info.is_main and self.history:
            keep = update_nbest(self.exp_dir, self.history, self.opts.keep_nbest_models, mode)
            write_averaged_model(self.exp_dir, keep, crit)
        elif self.info.is_main:  # stopped (max_steps) before any epoch ended: the last weights
            atomic_torch_save(self._evaluated_state(), self.exp_dir / "last.pth")
            point_model_at(self.exp_dir, "last.pth")
            log.info("no epoch finished: model.pth is the last weights (step %d)", self.step)
        if self.writer is not None:
            self.writer.close()

    def _evaluated_state(self) -> dict[str, torch.Tensor]:
        """The weights that are validated and saved: the moving average, if there is one."""
        if self.ema is None:
            return self.model.state_dict()
        return self.ema.averaged_state(self.model)

    def _done(self) -> bool:
        return self.opts.max_steps is not None and self.step >= self.opts.max_steps

    def _end_epoch(self, crit: str, mode: str) -> None:
        with self.ema.swapped_in(self.model) if self.ema is not None else nullcontext():
            valid = self.validate()
        self._log("valid", valid, self.step)
        if self.info.is_main:
            # [epoch, max]: the latest epochs (ESPnet's GAN recipes select by recency too: a
            # GAN's validation loss holds the adversarial term, not a measure of quality)
            value = self.epoch if crit == "epoch" else valid.get(crit)
            if value is None or not math.isfinite(value):
                # no validation set (or the stat is missing): rank epochs by recency
                value = -self.epoch if mode == "min" else self.epoch
            self.history.append((self.epoch, value))
            atomic_torch_save(self._evaluated_state(), self.exp_dir / f"epoch{self.epoch}.pth")
            update_nbest(self.exp_dir, self.history, self.opts.keep_nbest_models, mode)
            with atomic_open(self.exp_dir / "valid_history.tsv") as f:
                f.write(f"epoch\tvalid.{crit}\n")
                f.writelines(f"{e}\t{v}\n" for e, v in self.history)
            log.info(
                "epoch %d done: valid %s",
                self.epoch,
                " ".join(f"{k}={v:.4g}" for k, v in valid.items()) or "(no valid set)",
            )
        self.epoch += 1
        self.batch_in_epoch = 0
        self.save_checkpoint()
