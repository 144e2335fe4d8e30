#!/usr/bin/env bash
# TTSF evaluated on VoxCeleb2 (paper Table 1): each test clip's first frame is the portrait and a
# random LRS3 test sentence the text (seeded); the model trained by ../lrs3 decodes them.
#   (cd ../lrs3 && ./run.sh)        # first: train on LRS3
#   ./run.sh                        # data prep, features, decoding and scoring
set -euo pipefail
. ./db.sh
lrs3=../lrs3
../TEMPLATE/ttsf.sh \
    --local_data_opts "--voxceleb2 ${VOXCELEB2} --lrs3 ${LRS3}" \
    --train_set "" --valid_set "" --test_sets "test" \
    --stats_from "${lrs3}/dump" --model_exp "${lrs3}/exp/ttsf" \
    --decode_config "${lrs3}/conf/decode.yaml" --score_config "${lrs3}/conf/score.yaml" \
    --stage 1 --stop_stage 6 "$@"
