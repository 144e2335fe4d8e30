"""Stage 6: score decoded speech and video with the paper's metrics (TTSF §4.1).

    python -m ttsf.bin.score --config conf/score.yaml --hyp_dir exp/ttsf/decode/test \\
        --ref_dir dump/test --out_dir exp/ttsf/decode/test/scores [--system_name TTSF] \\
        [--metric_conf.wer.backend pocketsphinx ...]

Writes scores.jsonl, summary.json, table.md, table.csv and tsne.png to --out_dir and prints the
table. A metric whose weights are missing is reported as "not run: ..." (never a number).
"""

from __future__ import annotations

import argparse
import logging
import sys

from ttsf.config import ConfigError, load_config


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--config", required=True, help="YAML: metrics: [...], metric_conf: {...}")
    p.add_argument("--hyp_dir", required=True, help="decoded <utt>.wav/<utt>.mp4 + text")
    p.add_argument("--ref_dir", required=True, help="stage-2 dump dir of the same set")
    p.add_argument("--out_dir", required=True, help="where the scores go")
    p.add_argument("--system_name", default="TTSF", help="row label of the table")
    p.add_argument("--log_level", default="INFO")
    return p


def _overrides(rest: list[str]) -> list[str]:
    """``--a.b 3 --c=4`` -> ``["a.b=3", "c=4"]``."""
    out, i = [], 0
    while i < len(rest):
        arg = rest[i]
        if not arg.startswith("--"):
            raise ConfigError(f"unexpected argument '{arg}' (overrides look like --key value)")
        if "=" in arg or i + 1 >= len(rest):
            out.append(arg[2:])
            i += 1
        else:
            out.append(f"{arg[2:]}={rest[i + 1]}")
            i += 2
    return out


def main(argv: list[str] | None = None) -> int:
    args, rest = get_parser().parse_known_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    from ttsf.metrics.scorer import ScoringError, score_dir
    from ttsf.registry import RegistryError

    try:
        cfg = load_config(args.config, _overrides(rest))
        score_dir(cfg, args.hyp_dir, args.ref_dir, args.out_dir, args.system_name)
    except (ConfigError, RegistryError, ScoringError) as exc:
        print(f"ttsf-score: {exc}", file=sys.stderr)
        return 2
    with open(f"{args.out_dir}/table.md", encoding="utf-8") as f:
        print(f.read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
