#!/usr/bin/env bash
# Stage 1 of the LRS3 recipe: data/{train,dev,test} from the released corpus.
# Usage: local/data.sh --lrs3 DIR [--train_subsets "pretrain trainval"] [--n_dev 1000] [--nj 8]
set -euo pipefail
lrs3=
train_subsets="pretrain trainval"
n_dev=1000
seed=0
nj=8
python=python3
. utils/parse_options.sh
[ -d "${lrs3}/test" ] || { echo "$0: --lrs3 must hold pretrain/ trainval/ test/ (got '${lrs3}')" >&2; exit 1; }
${python} -m ttsf.bin.prepare_data --corpus lrs3 --root "${lrs3}" --subsets ${train_subsets} \
    --out data/train --dev_out data/dev --n_dev "${n_dev}" --seed "${seed}" --nj "${nj}"
${python} -m ttsf.bin.prepare_data --corpus lrs3 --root "${lrs3}" --subsets test --out data/test --nj "${nj}"
