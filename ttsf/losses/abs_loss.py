"""Loss family: each weighted term of the paper's Eq. 8 is a registered module."""

from __future__ import annotations

from torch import nn

from ttsf.registry import Registry


class AbsLoss(nn.Module):
    """A loss term; ``forward`` returns a scalar tensor. Its weight lives in the config
    (``loss_weights: {lambda_<name>: w}``), never in the module."""


loss_registry = Registry("loss", AbsLoss)
