"""Scoring outputs: the summary table in the layout of TTSF Tables 1-3 and the t-SNE figure."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Mapping

import numpy as np

from ttsf.utils.fileio import atomic_open, atomic_path

#: (column, metric, value key, group of the paper's tables, lower is better)
COLUMNS = (
    ("WER", "wer", "wer", "Intel.", True),
    ("MCD", "mcd", "mcd", "Nat.", True),
    ("C-SIM", "cs_sim", "cs_sim", "Voice similarity", False),
    ("RMSE", "f0_rmse", "f0_rmse", "Voice similarity", True),
    ("FID", "fid", "fid", "Video quality", True),
    ("ID-SIM", "id_sim", "id_sim", "Video quality", False),
    ("LSE-C", "lse", "lse_c", "Synchronisation", False),
    ("LSE-D", "lse", "lse_d", "Synchronisation", True),
    ("DIV", "div", "div", "Diversity", False),
)


def _cell(summary: Mapping, metric: str, key: str) -> tuple[str, float, float, int]:
    """Displayed text, value, CI half-width, count of one table cell."""
    entry = summary.get(metric)
    if entry is None:
        return "–", math.nan, math.nan, 0
    if entry["status"] != "ok":
        return "not run", math.nan, math.nan, 0
    v = entry["values"].get(key)
    if v is None:
        return "–", math.nan, math.nan, 0
    value = v["corpus"] if v.get("corpus") is not None else v["mean"]
    ci = v.get("ci95", math.nan)
    text = f"{value:.3f}" if math.isfinite(ci) is False else f"{value:.3f} ± {ci:.3f}"
    return text, value, ci, v.get("n", 0)


def write_tables(summary: Mapping, system: str, out_dir: str | Path) -> str:
    """``table.md`` and ``table.csv`` (one row: ``system``); returns the markdown.

    Cells are corpus values where the metric has one (WER over all words, FID over all frames)
    and means otherwise, ± the 95% CI of the per-utterance values.
    """
    out_dir = Path(out_dir)
    head = [f"{c} {'↓' if low else '↑'}" for c, _, _, _, low in COLUMNS]
    groups = [g for *_, g, _ in COLUMNS]
    cells = [_cell(summary, m, k) for _, m, k, _, _ in COLUMNS]
    md = [
        "| Models | " + " | ".join(groups) + " |",
        "|---" * (len(COLUMNS) + 1) + "|",
        "| | " + " | ".join(head) + " |",
        f"| {system} | " + " | ".join(c[0] for c in cells) + " |",
        "",
    ]
    notes = [f"- {name}: {e['status']}" for name, e in summary.items() if e["status"] != "ok"]
    notes += [f"- {name}: {e['protocol']}" for name, e in summary.items()]
    text = "\n".join(md + ["Protocols and status:", *notes, ""])
    with atomic_open(out_dir / "table.md") as f:
        f.write(text)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["system"] + [x for c, *_ in COLUMNS for x in (c, f"{c} ci95", f"{c} n")])
    w.writerow([system] + [x for _, v, ci, n in cells for x in (v, ci, n)])
    with atomic_open(out_dir / "table.csv", newline="") as f:
        f.write(buf.getvalue())
    return text


def plot_tsne(
    embeddings: Mapping[str, np.ndarray], labels: Mapping[str, str], path: str | Path, seed: int = 0
) -> bool:
    """t-SNE of speaker embeddings coloured by identity (TTSF Fig. 5), saved as PNG.

    Returns False (and writes nothing) with fewer than 3 embeddings.
    """
    utts = sorted(u for u in embeddings if u in labels)
    if len(utts) < 3:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.manifold import TSNE

    x = np.stack([np.asarray(embeddings[u], dtype=np.float64) for u in utts])
    xy = TSNE(perplexity=min(30.0, len(utts) - 1.0), random_state=seed, init="pca").fit_transform(x)
    spks = sorted({labels[u] for u in utts})
    fig, ax = plt.subplots(figsize=(5, 5))
    cmap = plt.get_cmap("tab20", max(len(spks), 1))
    for i, s in enumerate(spks):
        idx = [j for j, u in enumerate(utts) if labels[u] == s]
        ax.scatter(xy[idx, 0], xy[idx, 1], s=12, color=cmap(i), label=s)
    if len(spks) <= 20:
        ax.legend(fontsize=6, markerscale=1, loc="best")
    ax.set_title("t-SNE of speaker embeddings of the synthesised speech")
    ax.set_xticks([])
    ax.set_yticks([])
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return True
