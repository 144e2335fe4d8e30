"""Stage 5: decode a test set -> ``<out_dir>/<utt>.mp4`` + ``<utt>.wav`` from its text and the
first frame of its face crops (the portrait), and ``<out_dir>/text`` for scoring.

    python -m ttsf.bin.decode --model exp/ttsf/model.pth --config conf/decode.yaml \\
        --data_dir dump/test --out_dir exp/ttsf/decode/test [--ngpu 1] [--nj 2 --job 1]

conf/decode.yaml holds the synthesis controls (``SynthesisControls`` fields) and
``model_overrides`` (e.g. ``[vocoder=hifigan_v2, vocoder_conf.checkpoint=exp/voc/g.pth]``).
Utterances already decoded are skipped, so an interrupted run resumes; an utterance that fails
is listed in ``<out_dir>/failed`` with the reason and the run exits non-zero at the end.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ttsf.config import ConfigError
from ttsf.data.datadir import read_table
from ttsf.synthesis import SynthesisError, Synthesizer, load_decode_config
from ttsf.tfg.cpu_allocator import keep_freed_memory_on_cpu
from ttsf.utils.fileio import atomic_open
from ttsf.video.io import read_video

log = logging.getLogger("ttsf.decode")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--model", required=True)
    p.add_argument("--config", help="decode.yaml")
    p.add_argument("--data_dir", required=True, help="stage-2 dump dir of the test set")
    p.add_argument("--out_dir", required=True)
    p.add_argument("--ngpu", type=int, default=0)
    p.add_argument("--nj", type=int, default=1, help="split the set into this many jobs")
    p.add_argument("--job", type=int, default=1, help="which of them this is (1-based)")
    args = p.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s"
    )

    try:
        controls, model_overrides = load_decode_config(args.config)
    except ConfigError as exc:
        print(f"decode: {exc}", file=sys.stderr)
        return 2
    device = "cuda" if args.ngpu > 0 else "cpu"
    keep_freed_memory_on_cpu(device)
    synth = Synthesizer.load(args.model, device, model_overrides)

    data = Path(args.data_dir)
    texts, frames = read_table(data / "text"), read_table(data / "frames.scp")
    utts = sorted(texts)[args.job - 1 :: args.nj]
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    failed = {}
    for i, utt in enumerate(utts, 1):
        target = out / f"{utt}.mp4"
        if target.exists() and target.with_suffix(".wav").exists():
            continue
        try:
            portrait = read_video(frames[utt])[0][0]
            report = synth.synthesize_to_file(texts[utt], portrait, target, controls, aligned=True)
            log.info("%d/%d %s: %.2f s", i, len(utts), utt, report["seconds"])
        except (SynthesisError, KeyError, OSError) as exc:
            failed[utt] = f"{type(exc).__name__}: {exc}"
            log.error("%s failed: %s", utt, failed[utt])
    suffix = "" if args.nj == 1 else f".{args.job}"
    with atomic_open(out / f"text{suffix}") as f:
        f.writelines(f"{u} {texts[u]}\n" for u in utts if u not in failed)
    if failed:
        with atomic_open(out / f"failed{suffix}") as f:
            f.writelines(f"{u} {r}\n" for u, r in failed.items())
        print(f"decode: {len(failed)} of {len(utts)} utterances failed; see {out}/failed{suffix}",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
