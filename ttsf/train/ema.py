"""An exponential moving average of the model's weights (StyleGAN2's ``G_ema``).

A GAN's weights swing from step to step: the joint model of the mini recipe, saved after each
epoch of a 240-step run, ranges from a sharp face with lips that follow the speech to a blurred
one (docs/mini_results.md, session 6). StyleGAN2 (and LIA's generator, built on it) evaluate
an average of the recent weights instead. With ``ema_decay`` set, the trainer validates, saves
and averages these weights; training itself goes on with the live ones.

The decay warms up as in TensorFlow's ``ExponentialMovingAverage(num_updates=...)``: after n
updates it is ``min(decay, (1 + n) / (10 + n))``, so a short run is not dominated by the
random initial weights (at 0.99 without warm-up, 9% of the average after 240 steps would be).
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch
from torch import nn


class WeightEMA:
    """Args:
    model: the trained module (not its DDP wrapper); its floating-point parameters and buffers
        are averaged, anything else (step counters) is taken as it is.
    decay: the largest weight of the old average, e.g. 0.99 (a half-life of ~70 updates).
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"ema_decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self.shadow = {k: v.detach().clone() for k, v in _averaged(model)}

    def current_decay(self) -> float:
        """The weight of the old average at the next update (warmed up)."""
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average towards the model's current weights (after an optimiser step)."""
        keep = self.current_decay()
        for name, value in _averaged(model):
            self.shadow[name].lerp_(value.detach(), 1.0 - keep)
        self.updates += 1

    def averaged_state(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """The model's state dict with the averaged weights in place of the live ones."""
        state = model.state_dict()
        return {k: self.shadow.get(k, v).detach().clone() for k, v in state.items()}

    @contextlib.contextmanager
    def swapped_in(self, model: nn.Module) -> Iterator[None]:
        """Run the block (validation) with the averaged weights loaded; restore the live ones."""
        live = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict(self.averaged_state(model))
        try:
            yield
        finally:
            model.load_state_dict(live)

    def state_dict(self) -> dict:
        return {"decay": self.decay, "updates": self.updates, "shadow": self.shadow}

    def load_state_dict(self, state: dict) -> None:
        if set(state["shadow"]) != set(self.shadow):
            raise RuntimeError(
                "the checkpoint's weight average holds other parameters than this model: "
                "it belongs to another model; use a new output_dir"
            )
        self.updates = int(state["updates"])
        for k, v in state["shadow"].items():
            self.shadow[k].copy_(v)


def _averaged(model: nn.Module) -> Iterator[tuple[str, torch.Tensor]]:
    """The state entries that are averaged: floating-point parameters and buffers."""
    for name, value in model.state_dict(keep_vars=True).items():
        if value.is_floating_point():
            yield name, value
