"""Stage 6: score decoded outputs against a reference data dir with the configured metrics.

Hypothesis dir (stage 5): ``<utt>.wav`` (16 kHz), ``<utt>.mp4`` (face video) and ``text``; or a
data dir with ``wav.scp`` / ``frames.scp`` (to score the ground truth itself). Reference dir
(stage 2): ``wav.scp``, ``frames.scp``, ``text``, ``utt2spk``.

Outputs in ``out_dir`` (each written atomically): ``scores.jsonl`` (per utterance),
``summary.json`` (protocol, status, mean ± 95% CI, corpus values), ``table.md`` / ``table.csv``
(TTSF Tables 1-3 layout) and ``tsne.png`` (Fig. 5, when C-SIM ran on 3+ utterances).
"""

from __future__ import annotations

import importlib
import json
import logging
import math
import pkgutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Iterator

from ttsf.metrics.abs_metric import AbsMetric, MetricNotRun, metric_registry
from ttsf.metrics.report import plot_tsne, write_tables
from ttsf.metrics.stats import mean_ci95
from ttsf.utils.fileio import atomic_open

logger = logging.getLogger(__name__)


class ScoringError(ValueError):
    """Inputs or a config the scorer cannot use; the message says which and what to do."""


def read_kv(path: Path) -> dict[str, str]:
    """``key value...`` lines -> dict (value = rest of the line)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            key, _, value = line.strip().partition(" ")
            if key:
                out[key] = value.strip()
    return out


class LazyItem(Mapping):
    """One utterance's inputs, each loaded on first use and kept (a video is decoded once)."""

    def __init__(self, loaders: dict[str, Callable[[], Any]]) -> None:
        self._loaders, self._values = loaders, {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._values:
            if key not in self._loaders:
                raise KeyError(key)
            self._values[key] = self._loaders[key]()
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)


def _load_frames(path: str):
    from ttsf.video.io import read_video

    return read_video(path)[0]


def _load_wav(path: str):
    from ttsf.audio.io import load_wav

    return load_wav(path, 16000)


def collect_items(hyp_dir: str | Path, ref_dir: str | Path) -> list[LazyItem]:
    """The utterances present in both directories, in sorted order."""
    hyp_dir, ref_dir = Path(hyp_dir), Path(ref_dir)
    for name in ("wav.scp", "text"):
        if not (ref_dir / name).is_file():
            raise ScoringError(f"reference dir {ref_dir} has no {name} (a stage-2 dump dir?)")
    ref_wav = read_kv(ref_dir / "wav.scp")
    ref_frames = read_kv(ref_dir / "frames.scp") if (ref_dir / "frames.scp").is_file() else {}
    texts = read_kv(ref_dir / "text")
    spk = read_kv(ref_dir / "utt2spk") if (ref_dir / "utt2spk").is_file() else {}
    if (hyp_dir / "wav.scp").is_file():  # a data dir (e.g. the ground truth as hypothesis)
        hyp_wav = read_kv(hyp_dir / "wav.scp")
        fr = hyp_dir / "frames.scp"
        hyp_mp4 = read_kv(fr) if fr.is_file() else {}
    else:
        if not hyp_dir.is_dir():
            raise ScoringError(f"hypothesis dir {hyp_dir} does not exist")
        hyp_wav = {p.stem: str(p) for p in hyp_dir.glob("*.wav")}
        hyp_mp4 = {p.stem: str(p) for p in hyp_dir.glob("*.mp4")}
    if (hyp_dir / "text").is_file():
        texts = {**texts, **read_kv(hyp_dir / "text")}  # the text the system was asked to say
    utts = sorted(set(hyp_wav) | set(hyp_mp4))
    missing = [u for u in utts if u not in ref_wav]
    if missing:
        raise ScoringError(f"{len(missing)} hypothesis utterance(s) not in {ref_dir}/wav.scp, "
                           f"e.g. {missing[:3]}")  # fmt: skip
    if not utts:
        raise ScoringError(f"no <utt>.wav / <utt>.mp4 (or wav.scp) in {hyp_dir}")
    items = []
    for u in utts:
        loaders: dict[str, Callable[[], Any]] = {
            "utt": (lambda u=u: u),
            "spk": (lambda u=u: spk.get(u, u)),
            "text": (lambda u=u: texts[u]),
            "ref_wav": (lambda u=u: _load_wav(ref_wav[u])),
        }
        if u in hyp_wav:
            loaders["hyp_wav"] = lambda u=u: _load_wav(hyp_wav[u])
        elif u in hyp_mp4:  # the mp4's AAC track carries the same speech
            loaders["hyp_wav"] = lambda u=u: _load_wav(hyp_mp4[u])
        if u in hyp_mp4:
            loaders["hyp_frames"] = lambda u=u: _load_frames(hyp_mp4[u])
        if u in ref_frames:
            loaders["ref_frames"] = lambda u=u: _load_frames(ref_frames[u])
        items.append(LazyItem(loaders))
    return items


def build_metrics(cfg: Mapping) -> dict[str, AbsMetric]:
    """``metrics: [names]`` + ``metric_conf: {name: {...}}`` -> instances (checked)."""
    import ttsf.metrics

    # the built-in metrics register on import (only this family: scoring needs no model code)
    for info in pkgutil.iter_modules(ttsf.metrics.__path__, prefix="ttsf.metrics."):
        importlib.import_module(info.name)
    names = cfg.get("metrics") or []
    confs = cfg.get("metric_conf") or {}
    unknown = [k for k in confs if k not in names]
    if unknown:
        raise ScoringError(f"metric_conf has entries {unknown} not listed under 'metrics: {names}'")
    return {n: metric_registry.build(n, confs.get(n) or {}) for n in names}


def _setup(metric: AbsMetric) -> str:
    from ttsf.pretrained.loading import PretrainedWeightsError

    try:
        metric.setup()
    except (MetricNotRun, PretrainedWeightsError) as exc:
        return f"not run: {exc}"
    return "ok"


def score_dir(
    cfg: Mapping, hyp_dir: str | Path, ref_dir: str | Path, out_dir: str | Path, system: str
) -> dict:
    """Score every utterance, write the outputs, return the summary."""
    out_dir = Path(out_dir)
    metrics = build_metrics(cfg)
    items = collect_items(hyp_dir, ref_dir)
    status = {}
    for name, m in metrics.items():
        status[name] = _setup(m)
        logger.info("metric %s: %s", name, status[name])
    active = {n: m for n, m in metrics.items() if status[n] == "ok"}
    rows = []
    for item in items:
        row: dict[str, Any] = {"utt": item["utt"], "spk": item["spk"]}
        for name, m in active.items():
            absent = [k for k in m.inputs if k not in item]
            if absent:
                row[f"{name}_error"] = f"no {', '.join(absent)} for this utterance"
                continue
            try:
                row.update(m.score(item))
            except (ValueError, RuntimeError, OSError) as exc:  # one bad file: note it, go on
                logger.warning("%s on %s: %s", name, item["utt"], exc)
                row[f"{name}_error"] = str(exc)
        rows.append(row)
        logger.info("scored %s", item["utt"])
    summary = {}
    for name, m in metrics.items():
        entry: dict[str, Any] = {"protocol": m.protocol, "status": status[name], "values": {}}
        if status[name] == "ok":
            corpus = m.corpus_scores()
            for key in m.outputs:
                if not any(key in r for r in rows) and key not in corpus:
                    continue
                mean, ci, n = mean_ci95(r[key] for r in rows if key in r)
                entry["values"][key] = {"mean": mean, "ci95": ci, "n": n,
                                        "corpus": corpus.get(key)}  # fmt: skip
        summary[name] = entry
    _write(out_dir, rows, summary, system)
    cs = metrics.get("cs_sim")
    if cs is not None and status["cs_sim"] == "ok":
        plot_tsne(cs.embeddings(), {r["utt"]: r["spk"] for r in rows}, out_dir / "tsne.png")
    return summary


def _clean(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _write(out_dir: Path, rows: list[dict], summary: dict, system: str) -> None:
    with atomic_open(out_dir / "scores.jsonl") as f:
        for r in rows:
            f.write(json.dumps({k: _clean(v) for k, v in r.items()}, ensure_ascii=False) + "\n")
    with atomic_open(out_dir / "summary.json") as f:
        clean = json.loads(json.dumps(summary, default=_clean).replace("NaN", "null"))
        json.dump({"system": system, "metrics": clean}, f, indent=2, ensure_ascii=False)
    write_tables(summary, system, out_dir)
