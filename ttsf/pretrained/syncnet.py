"""Save / load the toolkit's lip-sync expert (:class:`ttsf.tfg.syncnet.SyncNet`).

File format: ``{"conf": SyncNet constructor arguments, "state_dict": weights}`` written by
:func:`save_syncnet`; a bare ``torch.save(syncnet.state_dict())`` file is accepted too, with
the architecture given by ``conf``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import torch

from ttsf.pretrained.loading import (
    PretrainedWeightsError,
    freeze,
    load_checked,
    read_state_dict,
)
from ttsf.tfg.syncnet import SyncNet
from ttsf.utils.fileio import atomic_torch_save

WHAT = "TTSF SyncNet lip-sync expert"
HOW_TO_GET = (
    "No pretrained expert is public: train one with the recipe's SyncNet stage "
    "(ttsf.tfg.syncnet.syncnet_contrastive_loss on mel windows vs mouth crops), which writes "
    "it with ttsf.pretrained.syncnet.save_syncnet; then set its path in the config."
)


def save_syncnet(syncnet: SyncNet, path: str | Path) -> None:
    """Write the expert's conf and weights atomically."""
    atomic_torch_save({"conf": dict(syncnet.conf), "state_dict": syncnet.state_dict()}, path)


def load_syncnet(path: str | Path, conf: Mapping[str, Any] | None = None) -> SyncNet:
    """Frozen SyncNet from ``path``; the file's own conf wins over ``conf``."""
    state = read_state_dict(path, WHAT, HOW_TO_GET)
    saved = torch.load(path, map_location="cpu", weights_only=True)
    conf = dict(conf or {})
    if isinstance(saved, Mapping) and isinstance(saved.get("conf"), Mapping):
        conf.update(saved["conf"])
    try:
        model = SyncNet(**conf)
    except TypeError as exc:
        raise PretrainedWeightsError(f"{path}: bad SyncNet conf {conf}: {exc}") from exc
    load_checked(model, state, path, WHAT, HOW_TO_GET)
    return freeze(model)
