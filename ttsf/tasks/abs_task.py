"""A task ties a config to a model, its data and its optimisers for the shared trainer.

``python -m ttsf.bin.train --task <name>`` looks the task up in ``task_registry``; the
trainer (``ttsf/train/trainer.py``) does the rest: devices, DDP, checkpoints, resume, logging.

Model contract (ESPnet's): ``model(**batch)`` returns
``{"loss": scalar, "stats": {name: float | 0-d tensor}, "weight": batch size}``. A GAN task
has several optimisers; its model takes ``optim_idx`` and returns the loss of that optimiser
(``0`` = generator, ``1`` = discriminator), and the trainer steps them in order each batch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from torch.utils.data import Dataset

from ttsf.registry import Registry


class AbsTask(ABC):
    #: component families this task's config may set (checked at load time).
    families: tuple[str, ...] = ()
    #: other top-level config keys it reads (with the trainer's own keys, see TRAINER_KEYS).
    other_keys: tuple[str, ...] = ()
    #: number of optimisers (2 for generator + discriminator).
    n_optimizers: int = 1

    @abstractmethod
    def build_model(self, cfg: dict, data_dir: str | None) -> nn.Module:
        """The model; ``data_dir`` gives access to the token list and stats of the corpus."""

    @abstractmethod
    def build_dataset(self, cfg: dict, data_dir: str, train: bool) -> Dataset:
        """Examples of one data dir (``dump/<set>``); each item a dict of arrays/tensors."""

    @abstractmethod
    def collate_fn(self, cfg: dict) -> Callable[[list[dict]], dict[str, torch.Tensor]]:
        """Pads a list of examples into the keyword arguments of ``model(**batch)``."""

    def build_optimizers(self, cfg: dict, model: nn.Module) -> list[torch.optim.Optimizer]:
        """One Adam over every trainable parameter (override for GANs)."""
        params = [p for p in model.parameters() if p.requires_grad]
        return [torch.optim.Adam(params, **(cfg.get("optim_conf") or {}))]

    def resolve_config(self, cfg: dict, data_dir: str) -> dict:
        """The config as it will be saved with the model: paths that were derived from the
        training data dir (token list, statistics) made explicit and absolute, so decoding
        needs nothing but the experiment dir. The default changes nothing."""
        return cfg

    def export(self, model: nn.Module, exp_dir: Path) -> None:
        """After training, on rank 0, with the n-best average loaded into ``model``: write
        whatever other stages read besides ``model.pth``. The default writes nothing."""
        return None

    def warm_start(self, model: nn.Module, cfg: dict) -> None:
        """Load earlier stages' weights (e.g. the stage-3 TTS) before training starts.

        The default loads nothing: a task trained from scratch has no earlier stage.
        """
        return None


class UtteranceDataset(Dataset):
    """Base of the tasks' datasets: one example per utterance of ``utts`` (sorted keys), with
    ``lengths`` for length-sorted batches and per-example randomness that depends only on
    (seed, epoch, index), so a resumed run draws the same windows."""

    utts: list[str]
    lengths: list[int]
    seed: int = 0
    epoch: int = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.utts)

    def rng(self, index: int):
        """numpy Generator of example ``index`` in this epoch."""
        from ttsf.train.sampler import item_rng

        return item_rng(self.seed, self.epoch, index)


task_registry = Registry("task", AbsTask)

#: top-level config keys the trainer itself reads.
TRAINER_KEYS = (
    "seed",
    "max_epoch",
    "max_steps",
    "batch_size",
    "num_workers",
    "worker_start_method",
    "grad_clip",
    "accum_grad",
    "keep_nbest_models",
    "best_model_criterion",
    "log_interval",
    "save_interval_steps",
    "ema_decay",
    "optim",
    "optim_conf",
    "init_param",
)
