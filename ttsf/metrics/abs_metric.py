"""Metric family: judges outputs (wav, mp4, text) and imports no model code of ours."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from ttsf.registry import Registry


class MetricNotRun(RuntimeError):
    """A metric that cannot run here (e.g. its weight file is missing); reported, never a number."""


class AbsMetric(ABC):
    #: what the metric needs per utterance, e.g. ("hyp_wav", "ref_text").
    inputs: tuple[str, ...] = ()
    #: True if lower is better (WER, MCD, FID).
    lower_is_better: bool = False

    @abstractmethod
    def score(self, item: dict[str, Any]) -> dict[str, float]:
        """Per-utterance scores; ``item`` holds the keys in :attr:`inputs`."""

    @property
    def protocol(self) -> str:
        """The pinned protocol, written beside every result."""
        return (self.__doc__ or "").strip().splitlines()[0]


metric_registry = Registry("metric", AbsMetric)
