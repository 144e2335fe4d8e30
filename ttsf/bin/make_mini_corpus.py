"""Generate the offline mini corpus in LRS3's layout (ttsf.data.mini.generate).

python -m ttsf.bin.make_mini_corpus --out downloads/mini_lrs3 --seed 0 --n_utts 200 --nj 2
"""

import argparse
import json
import logging
import sys

from ttsf.data.mini.generate import make_mini_corpus


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--out", required=True, help="corpus root to write (pretrain/ trainval/ test/)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n_utts", type=int, default=200)
    p.add_argument("--n_heldout", type=int, default=50, help="extra held-out sentences listed")
    p.add_argument("--nj", type=int, default=1)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    print(json.dumps(make_mini_corpus(args.out, args.seed, args.n_utts, args.nj, args.n_heldout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
