"""Checkpoints: atomic saves, exact resume, n-best bookkeeping and averaging.

Layout of an experiment dir::

    checkpoint.pth        everything needed to resume (model, optimisers, RNG, position)
    epoch<N>.pth          model weights after epoch N (only the n best are kept)
    valid.<crit>.best.pth the best single epoch, valid.<crit>.ave_<n>best.pth their average
    model.pth             -> the averaged model (what decoding uses)
"""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ttsf.utils.fileio import atomic_torch_save

log = logging.getLogger(__name__)


def rng_state() -> dict[str, Any]:
    state = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Load a checkpoint on the CPU, with a clear error for a missing or broken file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means the same thing
        raise RuntimeError(
            f"checkpoint {path} cannot be read ({type(exc).__name__}: {exc}); "
            "it is not a file written by torch.save"
        ) from exc


def update_nbest(exp_dir: Path, history: list[tuple[int, float]], n: int, mode: str) -> list[int]:
    """Delete ``epoch<N>.pth`` files outside the ``n`` best; returns the kept epochs, best first.

    Args:
        history: (epoch, validation value) of every finished epoch.
        mode: "min" or "max": whether smaller values are better.
    """
    ranked = sorted(history, key=lambda ev: ev[1], reverse=(mode == "max"))
    keep = [e for e, _ in ranked[:n]]
    for e, _ in ranked[n:]:
        (exp_dir / f"epoch{e}.pth").unlink(missing_ok=True)
    return keep


def average_state_dicts(paths: list[Path]) -> dict[str, torch.Tensor]:
    """Element-wise mean of floating-point parameters; integer buffers (counters) are taken
    from the first file. Fails clearly if the files do not hold the same tensors."""
    if not paths:
        raise ValueError("no checkpoints to average")
    avg: dict[str, torch.Tensor] = {}
    first_keys = None
    for path in paths:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if first_keys is None:
            first_keys = set(state)
            avg = {
                k: v.clone().double() if v.is_floating_point() else v.clone()
                for k, v in state.items()
            }
            continue
        if set(state) != first_keys:
            raise ValueError(f"{path} holds different parameters from {paths[0]}; cannot average")
        for k, v in state.items():
            if v.is_floating_point():
                avg[k] += v.double()
    ref = torch.load(paths[0], map_location="cpu", weights_only=True)
    return {
        k: (v / len(paths)).to(ref[k].dtype) if ref[k].is_floating_point() else v
        for k, v in avg.items()
    }


def write_averaged_model(exp_dir: Path, keep: list[int], criterion: str) -> Path:
    """Write the best and the averaged model, point ``model.pth`` at the average."""
    exp_dir = Path(exp_dir)
    paths = [exp_dir / f"epoch{e}.pth" for e in keep]
    best = exp_dir / f"valid.{criterion}.best.pth"
    atomic_torch_save(torch.load(paths[0], map_location="cpu", weights_only=True), best)
    ave = exp_dir / f"valid.{criterion}.ave_{len(paths)}best.pth"
    atomic_torch_save(average_state_dicts(paths), ave)
    point_model_at(exp_dir, ave.name)
    log.info("averaged epochs %s into %s", keep, ave)
    return ave


def point_model_at(exp_dir: Path, name: str) -> None:
    """Make ``<exp_dir>/model.pth`` a symlink to ``name`` (atomically replaced)."""
    link = Path(exp_dir) / "model.pth"
    tmp = Path(exp_dir) / ".model.pth.link"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(name)
    os.replace(tmp, link)


def load_init_params(model: torch.nn.Module, specs: list[str] | str | None) -> None:
    """ESPnet's ``init_param``: start parts of ``model`` from other experiments' weights.

    Each spec is ``<file>[:<src_key>[:<dst_key>]]``: the ``<src_key>.*`` entries of the state
    dict in ``<file>`` (all of it when empty) are loaded into the submodule ``<dst_key>``
    (default: ``<src_key>``; empty: the whole model), which they must fill exactly.
    A submodule the model names in ``init_param_copies`` ({submodule: [its copies]}, e.g. the
    TTSF voice's own motion extractor) passes the weights on to its copies, so they start as
    it does; a later spec naming a copy overrides that.
    """
    if not specs:
        return
    for spec in [specs] if isinstance(specs, str) else specs:
        path, src, dst = (str(spec).split(":") + ["", ""])[:3]
        dst = dst or src
        if not Path(path).is_file():
            raise FileNotFoundError(f"init_param {spec}: {path} does not exist; train it first")
        state = torch.load(path, map_location="cpu", weights_only=True)
        if src:
            state = {k[len(src) + 1 :]: v for k, v in state.items() if k.startswith(src + ".")}
            if not state:
                raise ValueError(f"init_param {spec}: {path} has no '{src}.*' weights")
        try:
            target = model.get_submodule(dst) if dst else model
        except AttributeError as exc:
            raise ValueError(f"init_param {spec}: the model has no submodule '{dst}'") from exc
        own = target.state_dict()
        # checked before anything is copied: load_state_dict would copy what fits, then raise
        wrong = sorted(set(own) ^ set(state)) or [k for k in own if own[k].shape != state[k].shape]
        if wrong:
            k = wrong[0]
            what = (f"'{k}' is {tuple(state[k].shape)} there, {tuple(own[k].shape)} here"
                    if k in own and k in state else f"'{k}' is only on one side")  # fmt: skip
            raise ValueError(
                f"init_param {spec}: the weights do not fit '{dst or 'the model'}' (was {path} "
                f"trained with the same config?): {what}"
            )
        target.load_state_dict(state)
        log.info("init_param: '%s' initialised from %s", dst or "the model", spec)
        for copy_name in getattr(model, "init_param_copies", {}).get(dst, ()):
            model.get_submodule(copy_name).load_state_dict(state)
            log.info("init_param: '%s' initialised from %s (a copy of '%s')", copy_name, spec, dst)
