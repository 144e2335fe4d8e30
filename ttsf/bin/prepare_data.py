"""Stage 1: a corpus in its released layout -> a Kaldi-style data dir (ttsf.data.prepare).

    python -m ttsf.bin.prepare_data --corpus lrs3 --root /data/LRS3 --subsets trainval \\
        --out data/trainval [--nj 4]
    python -m ttsf.bin.prepare_data --corpus voxceleb2 --root /data/VoxCeleb2 --subsets test \\
        --transcripts data/test/text --max_utts 500 --seed 0 --out data/vox2_test
"""

import argparse
import logging
import sys

from ttsf.data.prepare import prepare_data


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--corpus", required=True, choices=["lrs3", "lrs2", "voxceleb2"])
    p.add_argument("--root", required=True, help="corpus root (holds pretrain/, trainval/, ...)")
    p.add_argument("--out", required=True, help="data dir to write, e.g. data/trainval")
    p.add_argument("--subsets", nargs="+", default=None, help="subsets merged into --out")
    p.add_argument("--transcripts", default=None, help="voxceleb2: LRS3 root or LRS3 test text")
    p.add_argument("--seed", type=int, default=0, help="voxceleb2: seed of the text pairing")
    p.add_argument("--max_utts", type=int, default=None, help="voxceleb2: seeded subset size")
    p.add_argument("--nj", type=int, default=1, help="parallel jobs reading video headers")
    p.add_argument("--dev_out", default=None, help="also write a dev data dir taken from --out")
    p.add_argument("--n_dev", type=int, default=0, help="utterances (seeded) moved to --dev_out")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    prepare_data(
        args.corpus, args.root, args.out, args.subsets, args.transcripts, args.seed,
        args.max_utts, args.nj, args.dev_out, args.n_dev,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
