#!/usr/bin/env bash
# Stage 1 of the mini recipe: generate the offline corpus in LRS3's layout, then prepare
# <data_dir>/{train,dev,test}.
# Usage: local/data.sh --mini DIR [--data_dir data] [--n_utts 200] [--seed 0] [--nj 2]
set -euo pipefail
mini=db/mini
data_dir=data
n_utts=200
seed=0
nj=2
n_dev=10
python=python3
. utils/parse_options.sh
if [ ! -d "${mini}/trainval" ]; then
    ${python} -m ttsf.bin.make_mini_corpus --out "${mini}" --seed "${seed}" --n_utts "${n_utts}" --nj "${nj}"
fi
${python} -m ttsf.bin.prepare_data --corpus lrs3 --root "${mini}" --subsets pretrain trainval \
    --out "${data_dir}/train" --dev_out "${data_dir}/dev" --n_dev "${n_dev}" --seed "${seed}" --nj "${nj}"
${python} -m ttsf.bin.prepare_data --corpus lrs3 --root "${mini}" --subsets test --out "${data_dir}/test" --nj "${nj}"
