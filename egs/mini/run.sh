#!/usr/bin/env bash
# The whole pipeline on a small corpus generated offline, in minutes on a CPU: run this first.
#   ./run.sh                # stages 1-7
#   ./run.sh --stage 5      # decode, score and pack again with the trained model
set -euo pipefail
. ./db.sh
../TEMPLATE/ttsf.sh \
    --local_data_opts "--mini ${MINI}" --nj 2 --frontend espeak_phn \
    --train_set train --valid_set dev --test_sets "test" \
    --tts_config conf/train_tts.yaml --ttsf_config conf/train_ttsf.yaml \
    --decode_config conf/decode.yaml --score_config conf/score.yaml \
    "$@"
