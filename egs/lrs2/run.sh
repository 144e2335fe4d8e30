#!/usr/bin/env bash
# TTSF evaluated on LRS2 (paper Table 2): the model trained by ../lrs3 decodes LRS2's test set.
#   (cd ../lrs3 && ./run.sh)        # first: train on LRS3
#   ./run.sh                        # data prep, features, decoding and scoring of LRS2 test
set -euo pipefail
. ./db.sh
lrs3=../lrs3
../TEMPLATE/ttsf.sh \
    --local_data_opts "--lrs2 ${LRS2}" \
    --train_set "" --valid_set "" --test_sets "test" \
    --stats_from "${lrs3}/dump" --model_exp "${lrs3}/exp/ttsf" \
    --decode_config "${lrs3}/conf/decode.yaml" --score_config "${lrs3}/conf/score.yaml" \
    --stage 1 --stop_stage 6 "$@"
