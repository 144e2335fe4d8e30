"""Train a task (stage 3: ``--task tts``; stage 4: ``--task ttsf``) with the shared trainer.

    python -m ttsf.bin.train --task tts --config conf/train_tts.yaml \\
        --train_data dump/train --valid_data dump/dev --output_dir exp/tts \\
        [--ngpu N] [--num_procs N] [--optim_conf.lr=1e-4 ...]

Any other ``--key value`` / ``--a.b=value`` is a config override (YAML-parsed). The config
actually used is written to ``<output_dir>/config.yaml``; re-running continues from
``<output_dir>/checkpoint.pth``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import torch
from torch import nn

from ttsf.config import ConfigError, check_config, load_config, save_config
from ttsf.registry import get_registry
from ttsf.tasks.abs_task import TRAINER_KEYS, AbsTask
from ttsf.train.checkpoint import load_init_params, seed_everything
from ttsf.train.distributed import DistInfo, launch
from ttsf.train.trainer import Trainer, TrainerOptions


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--task", required=True, help="registered task name (tts, ttsf, ...)")
    p.add_argument("--config", help="YAML config")
    p.add_argument("--train_data", required=True, help="stage-2 dump dir of the training set")
    p.add_argument("--valid_data", help="stage-2 dump dir of the validation set")
    p.add_argument("--output_dir", required=True, help="experiment dir")
    p.add_argument("--ngpu", type=int, default=0, help="GPUs (0: CPU); one process per GPU")
    p.add_argument("--num_procs", type=int, default=None, help="processes on the CPU (gloo DDP)")
    p.add_argument("--log_level", default="INFO")
    return p


def parse_overrides(rest: list[str]) -> list[str]:
    """``--a.b 3 --c=4`` -> ``["a.b=3", "c=4"]``."""
    out, i = [], 0
    while i < len(rest):
        arg = rest[i]
        if not arg.startswith("--"):
            raise ConfigError(
                f"unexpected argument '{arg}' (config overrides look like --key value)"
            )
        if "=" in arg:
            out.append(arg[2:])
            i += 1
        elif i + 1 < len(rest):
            out.append(f"{arg[2:]}={rest[i + 1]}")
            i += 2
        else:
            raise ConfigError(f"config override {arg} needs a value")
    return out


def _setup_logging(level: str, exp_dir: Path | None, rank: int) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if exp_dir is not None and rank == 0:
        exp_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(exp_dir / "train.log"))
    logging.basicConfig(
        level=level,
        format=f"%(asctime)s [rank{rank}] %(name)s %(levelname)s: %(message)s",
        handlers=handlers,
        force=True,
    )


def initial_model(task: AbsTask, cfg: dict, train_data: str) -> nn.Module:
    """The model as training starts: built from ``cfg``, then warm-started by the task (e.g.
    ``tts_init``) and given the ``init_param`` weights."""
    model = task.build_model(cfg, train_data)
    task.warm_start(model, cfg)
    load_init_params(model, cfg.get("init_param"))
    return model


def _worker(info: DistInfo, args: argparse.Namespace, cfg: dict) -> None:
    exp_dir = Path(args.output_dir)
    _setup_logging(args.log_level, exp_dir, info.rank)
    task = get_registry("task").build(args.task)
    seed_everything(cfg.get("seed", 0) + info.rank)  # the same initial weights on every run
    model = initial_model(task, cfg, args.train_data)
    trainer = Trainer(
        model=model,
        optimizers=task.build_optimizers(cfg, model),
        train_set=task.build_dataset(cfg, args.train_data, train=True),
        valid_set=task.build_dataset(cfg, args.valid_data, train=False)
        if args.valid_data
        else None,
        collate=task.collate_fn(cfg),
        exp_dir=exp_dir,
        options=TrainerOptions.from_config(cfg),
        info=info,
    )
    trainer.run()
    if info.is_main and (exp_dir / "model.pth").exists():
        model.load_state_dict(
            torch.load(exp_dir / "model.pth", map_location="cpu", weights_only=True)
        )
        task.export(model, exp_dir)


def main(argv: list[str] | None = None) -> int:
    args, rest = get_parser().parse_known_args(argv)
    try:
        cfg = load_config(args.config, parse_overrides(rest))
        task_cls = get_registry("task").get(args.task)
        check_config(cfg, task_cls.families, other_keys=(*TRAINER_KEYS, *task_cls.other_keys))
        cfg = task_cls().resolve_config(cfg, args.train_data)
    except (ConfigError, ValueError, FileNotFoundError) as exc:
        print(f"ttsf.bin.train: {exc}", file=sys.stderr)
        return 2
    save_config(cfg, Path(args.output_dir) / "config.yaml")
    launch(_worker, args.ngpu, args.num_procs, args, cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
