#!/usr/bin/env bash
# Does the mini recipe learn? Train longer (conf/tuning/), train the paper's ablations, then
# measure its claims with networks that ship in packages (bench/mini_fidelity.py, issue 10).
#   local/fidelity.sh                 # from egs/mini; results in exp/fidelity_long/
#   local/fidelity.sh --stage 3       # re-measure only
# 1: stages 1-4 of the recipe with conf/tuning/train_{tts,syncnet,ttsf}_long.yaml -> exp/ttsf_long
# 2: the ablations, one config line each, trained side by side (one thread each):
#      exp/ttsf_long_fv       the voice from f_v instead of f_id (Table 3)
#      exp/ttsf_long_emb_mu   the lip features from [emb, mu] only (Table 5)
#      exp/ttsf_long_emb      ... from [emb] only
# 3: decode held-out sentences with held-out seeds, score, print and save the table
set -euo pipefail
stage=1
stop_stage=3
tag=long
n_sentences=10
python=python3
. utils/parse_options.sh
. ./path.sh
. ./db.sh

tts_config=conf/tuning/train_tts_long.yaml
syncnet_config=conf/tuning/train_syncnet_long.yaml
ttsf_config=conf/tuning/train_ttsf_long.yaml
main=exp/ttsf_${tag}
out=exp/fidelity_${tag}

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
    ./run.sh --stop_stage 4 --tag "${tag}" --tts_config "${tts_config}" \
        --syncnet_config "${syncnet_config}" --ttsf_config "${ttsf_config}"
fi

train_variant() {  # <name> <config override...>
    local name=$1 exp=${main}_$1
    shift
    [ -f "${exp}/.done" ] && return 0
    mkdir -p "${exp}"
    OMP_NUM_THREADS=1 ${python} -m ttsf.bin.train --task ttsf --config "${ttsf_config}" \
        --train_data dump/train --valid_data dump/dev --output_dir "${exp}" \
        --tts_init "exp/tts_${tag}/model.pth" \
        --losses.sync.conf.syncnet_path "exp/syncnet_${tag}/syncnet.pth" "$@" >"${exp}/run.log" 2>&1 \
        && date >"${exp}/.done"
}

if [ "${stage}" -le 2 ] && [ "${stop_stage}" -ge 2 ]; then
    train_variant fv --model_conf.voice_from f_v &
    train_variant emb_mu --audio_mapper_conf.inputs "[emb, mu]" &
    train_variant emb --audio_mapper_conf.inputs "[emb]" &
    wait
    for v in fv emb_mu emb; do
        [ -f "${main}_${v}/.done" ] || { echo "ablation ${v} failed: see ${main}_${v}/run.log" >&2; exit 1; }
    done
fi

if [ "${stage}" -le 3 ] && [ "${stop_stage}" -ge 3 ]; then
    ${python} ../../bench/mini_fidelity.py --mini "${MINI}" --dump dump \
        --exp "${main}" --fv_exp "${main}_fv" --decode_config conf/decode.yaml \
        --ablation "emb,mu,energy=${main}" "emb,mu=${main}_emb_mu" "emb=${main}_emb" \
        --n_sentences "${n_sentences}" --out "${out}"
fi
