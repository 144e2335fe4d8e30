#!/usr/bin/env bash
# Stage 1 of the VoxCeleb2 (cross-dataset) recipe: data/test, each clip's first frame paired
# with a seeded random LRS3 test transcription (the paper's protocol; VoxCeleb2 has no text).
# Usage: local/data.sh --voxceleb2 DIR --lrs3 DIR [--subsets test] [--max_utts 500] [--seed 0]
set -euo pipefail
voxceleb2=
lrs3=
subsets="test"
max_utts=500
seed=0
nj=8
python=python3
. utils/parse_options.sh
[ -d "${voxceleb2}" ] || { echo "$0: --voxceleb2 DIR is required" >&2; exit 1; }
[ -d "${lrs3}/test" ] || { echo "$0: --lrs3 must hold LRS3's test/ for the transcriptions" >&2; exit 1; }
${python} -m ttsf.bin.prepare_data --corpus voxceleb2 --root "${voxceleb2}" --subsets ${subsets} \
    --transcripts "${lrs3}" --max_utts "${max_utts}" --seed "${seed}" --out data/test --nj "${nj}"
