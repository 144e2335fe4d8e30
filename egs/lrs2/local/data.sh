#!/usr/bin/env bash
# Stage 1 of the LRS2 recipe: data/{train,dev,test} from LRS2's own lists (train.txt, val.txt,
# test.txt; add pretrain with --train_subsets "pretrain train").
# Usage: local/data.sh --lrs2 DIR [--train_subsets train] [--nj 8]
set -euo pipefail
lrs2=
train_subsets="train"
nj=8
python=python3
. utils/parse_options.sh
[ -f "${lrs2}/train.txt" ] || { echo "$0: --lrs2 must hold main/ and train.txt (got '${lrs2}')" >&2; exit 1; }
${python} -m ttsf.bin.prepare_data --corpus lrs2 --root "${lrs2}" --subsets ${train_subsets} --out data/train --nj "${nj}"
${python} -m ttsf.bin.prepare_data --corpus lrs2 --root "${lrs2}" --subsets val --out data/dev --nj "${nj}"
${python} -m ttsf.bin.prepare_data --corpus lrs2 --root "${lrs2}" --subsets test --out data/test --nj "${nj}"
