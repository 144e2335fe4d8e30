"""How robust is the voice-steadiness claim? mini_fidelity's speech spread over portrait poses
(``voice_spread``), per held-out sentence, for a model conditioned on ``f_id`` and its
``f_v`` ablation, paired by sentence.

The table's claim is one figure over three sentences; two slices of sentences can order the
two models differently. This script measures each sentence alone, so the difference can be
read with its spread over sentences:

    cd egs/mini && python ../../bench/spread_by_sentence.py --mini db/mini --dump dump \\
        --exp exp/ttsf_long --fv_exp exp/ttsf_long_fv --decode_config conf/decode.yaml \\
        --n_sentences 10 --out exp/spread_by_sentence_long

Prints, per sentence, both spreads (free, and timed by the first pose's durations), then their
means, how many sentences have f_id's the smaller, and a 95% bootstrap interval of the mean
difference (f_id - f_v). Results: ``<out>/results.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np
import torch
from mini_fidelity import Judges, corpus_identities, held_out_sentences, voice_spread

log = logging.getLogger("spread_by_sentence")


def paired_summary(a: list[float], b: list[float], n_boot: int = 2000, seed: int = 0) -> dict:
    """Paired comparison of two per-item figures (smaller is better for both).

    Returns: the means, ``a_smaller`` (items where a < b), ``n``, the mean difference a - b and
    its 95% percentile bootstrap interval over items (``ci_low``, ``ci_high``)."""
    a_, b_ = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a_.shape != b_.shape or a_.ndim != 1 or len(a_) == 0:
        raise ValueError(
            f"paired figures must be two equal, non-empty lists: {a_.shape} {b_.shape}"
        )
    diff = a_ - b_
    rng = np.random.default_rng(seed)
    boot = diff[rng.integers(0, len(diff), size=(n_boot, len(diff)))].mean(axis=1)
    return {"mean_a": float(a_.mean()), "mean_b": float(b_.mean()), "n": len(diff),
            "a_smaller": int((diff < 0).sum()), "mean_diff": float(diff.mean()),
            "ci_low": float(np.percentile(boot, 2.5)),
            "ci_high": float(np.percentile(boot, 97.5))}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--mini", type=Path, required=True, help="the mini corpus (db/mini)")
    p.add_argument("--dump", type=Path, required=True, help="the recipe's dump dir")
    p.add_argument("--exp", required=True, help="the model conditioned on f_id")
    p.add_argument("--fv_exp", required=True, help="the same model trained with voice_from f_v")
    p.add_argument("--out", required=True)
    p.add_argument("--n_sentences", type=int, default=10)
    p.add_argument("--first_sentence", type=int, default=0)
    p.add_argument("--seed", type=int, default=1000, help="synthesis seed (held out)")
    p.add_argument("--decode_config", help="the recipe's decode.yaml (its seed is replaced)")
    p.add_argument("--corpus_seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for exp in (args.exp, args.fv_exp):
        if not (Path(exp) / "model.pth").is_file():
            p.error(f"{Path(exp) / 'model.pth'} does not exist (train first)")
    from ttsf.synthesis import Synthesizer, load_decode_config
    from ttsf.utils.fileio import atomic_open

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    judges = Judges()  # voices only
    sentences = held_out_sentences(args.mini, args.first_sentence, args.n_sentences)
    stills = {k: i.image for k, i in corpus_identities(args.corpus_seed).items()}
    controls, overrides = load_decode_config(args.decode_config)
    res: dict = {"sentences": sentences, "seed": args.seed}
    for name, exp in (("f_id", args.exp), ("f_v", args.fv_exp)):
        synth = Synthesizer.load(Path(exp) / "model.pth", overrides=overrides)
        spread = voice_spread(synth, stills, sentences, args.seed, controls, judges)
        res[name] = spread["by_sentence"]  # one pass: the posed portraits encoded once
        log.info("%s: %d sentences measured", name, len(sentences))
    lines = ["| sentence | f_id | f_v | f_id, same durations | f_v, same durations |",
             "|---|---|---|---|---|"]
    for i, (a, b) in enumerate(zip(res["f_id"], res["f_v"], strict=True)):
        lines.append(f"| {args.first_sentence + i} | {a['speech_spread']:.4f} | "
                     f"{b['speech_spread']:.4f} | {a['speech_spread_same_durations']:.4f} | "
                     f"{b['speech_spread_same_durations']:.4f} |")  # fmt: skip
    for key in ("speech_spread", "speech_spread_same_durations"):
        s = paired_summary([r[key] for r in res["f_id"]], [r[key] for r in res["f_v"]])
        res[f"summary_{key}"] = s
        lines.append(f"\n{key}: f_id {s['mean_a']:.4f} vs f_v {s['mean_b']:.4f}; f_id smaller "
                     f"in {s['a_smaller']}/{s['n']} sentences; f_id - f_v {s['mean_diff']:+.4f}, "
                     f"95% bootstrap [{s['ci_low']:+.4f}, {s['ci_high']:+.4f}]")  # fmt: skip
    with atomic_open(out / "results.json", "w") as f:
        json.dump(res, f, indent=1)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
