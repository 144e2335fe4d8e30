"""Read a pretrained network's weights from a local file, with errors that say what to do.

No weights are ever downloaded: each network names the file it wants and how to obtain it
(``how_to_get``), and a file of the wrong network is rejected with the keys that do not fit.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

import torch
from torch import nn

logger = logging.getLogger(__name__)

#: wrappers a checkpoint may put around the state dict (Lightning, ESPnet, Wav2Lip, DDP...).
_WRAPPER_KEYS = ("state_dict", "model", "model_state_dict", "net")


class PretrainedWeightsError(ValueError):
    """A weights file that is missing, unreadable or belongs to another network."""


def read_state_dict(path: str | Path, what: str, how_to_get: str) -> dict[str, torch.Tensor]:
    """The tensors of a state-dict file (unwrapped, ``module.`` prefixes removed).

    Args:
        path: the file (``torch.save(model.state_dict(), path)`` format).
        what: the network's name for messages, e.g. "VGG19 (torchvision)".
        how_to_get: one sentence on how to obtain the file.
    """
    path = Path(path)
    if not path.is_file():
        raise PretrainedWeightsError(f"{what} weights file {path} does not exist. {how_to_get}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001  (any unpickling failure means: not a state dict)
        raise PretrainedWeightsError(
            f"{path} is not a readable PyTorch state dict for {what} ({exc}). {how_to_get}"
        ) from exc
    for key in _WRAPPER_KEYS:
        if isinstance(obj, Mapping) and isinstance(obj.get(key), Mapping):
            obj = obj[key]
            break
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise PretrainedWeightsError(
            f"{path} does not hold a state dict of tensors for {what}. {how_to_get}"
        )
    return {k.removeprefix("module."): v for k, v in obj.items()}


def load_checked(
    model: nn.Module,
    state: Mapping[str, torch.Tensor],
    path: str | Path,
    what: str,
    how_to_get: str,
    ignore_prefixes: tuple[str, ...] = (),
) -> nn.Module:
    """Load ``state`` into ``model`` only if every key and shape matches (else a clear error).

    ``ignore_prefixes``: keys of the file that are not part of ``model`` (e.g. a classifier
    head the loss never uses).
    """
    own = model.state_dict()
    theirs = {k: v for k, v in state.items() if not k.startswith(ignore_prefixes)}
    missing = sorted(set(own) - set(theirs))
    unexpected = sorted(set(theirs) - set(own))
    shapes = [
        f"{k}: file {tuple(theirs[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in theirs and theirs[k].shape != own[k].shape
    ]
    if missing or unexpected or shapes:
        problems = []
        if missing:
            problems.append(f"{len(missing)} missing key(s), e.g. {missing[:3]}")
        if unexpected:
            problems.append(f"{len(unexpected)} unexpected key(s), e.g. {unexpected[:3]}")
        if shapes:
            problems.append(f"{len(shapes)} shape mismatch(es), e.g. {shapes[:2]}")
        raise PretrainedWeightsError(
            f"{path} is not a {what} state dict: {'; '.join(problems)}. {how_to_get}"
        )
    model.load_state_dict(theirs)
    return model


def freeze(model: nn.Module) -> nn.Module:
    """eval mode and no gradients for the network's own weights (a fixed loss network)."""
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def warn_disabled(loss_name: str, option: str, how_to_get: str) -> None:
    """Log that a loss is switched off because its weights file is not configured."""
    logger.warning(
        "loss '%s' is switched OFF: no weights file configured (%s). %s",
        loss_name,
        option,
        how_to_get,
    )


def keep_out_of_checkpoints(owner: nn.Module, name: str) -> None:
    """Leave the frozen network ``owner.<name>`` out of every state dict that contains
    ``owner``, and accept state dicts without it.

    A loss network (VGG19, the face recogniser, SyncNet) is loaded from its own file; saving
    it inside each model checkpoint would add hundreds of MB and tie the checkpoint to the
    loss configuration it was trained with.
    """

    def drop(module: nn.Module, state_dict: dict, prefix: str, local_metadata: dict) -> None:
        for key in [k for k in state_dict if k.startswith(f"{prefix}{name}.")]:
            del state_dict[key]

    def fill(module: nn.Module, state_dict: dict, prefix: str, *args) -> None:
        net = getattr(module, name, None)
        if net is not None:
            for key, value in net.state_dict().items():
                state_dict.setdefault(f"{prefix}{name}.{key}", value)

    owner.register_state_dict_post_hook(drop)
    owner.register_load_state_dict_pre_hook(fill)
