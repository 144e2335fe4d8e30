#!/usr/bin/env bash
# The whole pipeline on a small corpus generated offline, in minutes on a CPU: run this first.
#   ./run.sh                      # stages 1-7 (corpus of 200 utterances)
#   ./run.sh --quick true         # a smoke run: 32 utterances, a few training steps (CI)
#   ./run.sh --stage 5            # decode, score and pack again with the trained model
# Any other option goes to ../TEMPLATE/ttsf.sh (./run.sh --help lists them).
set -euo pipefail
. ./db.sh
quick=false
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=$2; shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
n_utts=200
datadir=data
steps=()
if [ "${quick}" = true ]; then
    n_utts=32
    MINI=${MINI}_quick
    datadir=data_quick
    steps=(--tag quick --dumpdir dump_quick
           --tts_args "--max_steps 8" --syncnet_args "--max_steps 4"
           --ttsf_args "--max_steps 4 --batch_size 4")
fi
../TEMPLATE/ttsf.sh \
    --local_data_opts "--mini ${MINI} --n_utts ${n_utts} --data_dir ${datadir}" \
    --datadir "${datadir}" --nj 2 --frontend espeak_phn \
    --train_set train --valid_set dev --test_sets "test" \
    --tts_config conf/train_tts.yaml --syncnet_config conf/train_syncnet.yaml \
    --vocoder_config "" --ttsf_config conf/train_ttsf.yaml \
    --decode_config conf/decode.yaml --score_config conf/score.yaml \
    "${steps[@]}" "${args[@]}"
