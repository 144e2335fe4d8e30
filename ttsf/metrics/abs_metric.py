"""Metric family: judges outputs (wav, mp4, text) and imports no model code of ours.

A metric scores one utterance at a time (:meth:`AbsMetric.score`); a corpus-level metric such as
FID also accumulates features there and gives its value in :meth:`AbsMetric.corpus_scores`.
The first docstring paragraph of each metric is its pinned protocol, written beside every result.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from ttsf.registry import Registry


class MetricNotRun(RuntimeError):
    """A metric that cannot run here (e.g. its weight file is missing); reported, never a number."""


class AbsMetric(ABC):
    #: what the metric needs per utterance, e.g. ("hyp_wav", "text").
    inputs: tuple[str, ...] = ()
    #: the numbers it reports per utterance (or for the corpus), e.g. ("lse_c", "lse_d").
    outputs: tuple[str, ...] = ()
    #: True if lower is better (WER, MCD, FID).
    lower_is_better: bool = False

    def setup(self) -> None:  # noqa: B027  (optional hook)
        """Load networks (raise :class:`MetricNotRun` if weights are missing); called once."""

    @abstractmethod
    def score(self, item: dict[str, Any]) -> dict[str, float]:
        """Per-utterance scores; ``item`` holds the keys in :attr:`inputs`."""

    def corpus_scores(self) -> dict[str, float]:
        """Scores over the whole set, after every utterance was scored (FID); default none."""
        return {}

    def embeddings(self) -> dict[str, np.ndarray]:
        """Per-utterance embeddings the metric computed (for the t-SNE figure); default none."""
        return {}

    @property
    def protocol(self) -> str:
        """The pinned protocol (the docstring's first paragraph), written beside every result."""
        doc = (self.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(line.strip() for line in doc.splitlines())


metric_registry = Registry("metric", AbsMetric)
