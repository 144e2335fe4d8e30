#!/usr/bin/env bash
# TTSF on LRS3 (paper setting): TTS pretrained on LRS3, joint training, evaluation on LRS3 test.
#   ./run.sh                                   # every stage on this machine
#   ./run.sh --stage 3 --stop_stage 4 --ngpu 8 # training only, 8 GPUs (cmd_backend=slurm ./run.sh ... on a cluster)
set -euo pipefail
. ./db.sh
../TEMPLATE/ttsf.sh \
    --local_data_opts "--lrs3 ${LRS3}" \
    --train_set train --valid_set dev --test_sets "test" \
    --tts_config conf/train_tts.yaml --ttsf_config conf/train_ttsf.yaml \
    --decode_config conf/decode.yaml --score_config conf/score.yaml \
    "$@"
