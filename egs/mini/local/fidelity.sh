#!/usr/bin/env bash
# Does the mini recipe learn? Train longer (conf/tuning/), train the paper's ablations, then
# measure its claims with networks that ship in packages (bench/mini_fidelity.py, issue 10).
#   local/fidelity.sh                 # from egs/mini; results in exp/fidelity_long/
#   local/fidelity.sh --stage 4       # re-measure only
#   local/fidelity.sh --tag X --joint_config conf/tuning/Y.yaml   # a variant of the joint config
#   local/fidelity.sh --joint_procs 2  # stage 3's jobs one at a time, each on 2 gloo processes
# 1: data and features (stages 1-2 of run.sh)
# 2: pretraining, side by side: the face half by self-reenactment (train_tfg_long, 600 steps),
#    and on the other thread the TTS then the lip-sync expert (train_{tts,syncnet}_long)
# 3: joint training (--joint_config: conf/tuning/train_ttsf_long_voice_pose.yaml) and the
#    paper's ablations, two at a time:
#      exp/ttsf_long          the model
#      exp/ttsf_long_fv       the voice from f_v instead of f_id (Table 3)
#      exp/ttsf_long_emb_mu   the lip features from [emb, mu] only (Table 5)
#      exp/ttsf_long_emb      ... from [emb] only
# 4: decode held-out sentences with held-out seeds, score, print and save the table
# Every job runs on one thread: these small networks gain little from a second one, so two
# jobs side by side finish in about the time one takes alone. With --joint_procs 2 a joint job
# runs on two processes instead (gloo DDP, 1.8x faster a step: docs/benchmarks.md), one job at a
# time: the pair takes as long, but the model is ready after half of it.
set -euo pipefail
stage=1
stop_stage=4
tag=long
# stage 3's config, the ablations included: the paper's terms plus canonical and voice_pose, which
# steady the voice over the portrait's pose (docs/mini_results.md, sessions 15-18)
joint_config=conf/tuning/train_ttsf_long_voice_pose.yaml
n_sentences=10
joint_procs=1
python=python3
. utils/parse_options.sh
. ./path.sh
. ./db.sh

main=exp/ttsf_${tag}
tts=exp/tts_${tag}
syncnet=exp/syncnet_${tag}
tfg=exp/tfg_${tag}
out=exp/fidelity_${tag}

train_job() {  # <task> <config> <exp> <config override...>: one thread, skipped once done
    local task=$1 config=$2 exp=$3
    shift 3
    [ -f "${exp}/.done" ] && return 0
    mkdir -p "${exp}"
    OMP_NUM_THREADS=1 ${python} -m ttsf.bin.train --task "${task}" --config "${config}" \
        --train_data dump/train --valid_data dump/dev --output_dir "${exp}" "$@" \
        >"${exp}/run.log" 2>&1 && date >"${exp}/.done"
}

joint() {  # <exp> <config override...>
    local exp=$1 face=${tfg}/model.pth
    shift
    if [ "${joint_procs}" -gt 1 ]; then set -- "$@" --num_procs "${joint_procs}"; fi
    train_job ttsf "${joint_config}" "${exp}" --tts_init "${tts}/model.pth" \
        --losses.sync.conf.syncnet_path "${syncnet}/syncnet.pth" \
        --init_param "[${face}:face_generator,${face}:motion_extractor,${face}:discriminator]" "$@"
}

pair_job() {  # <exp> <config override...>: joint() in the background, or in turn on joint_procs
    if [ "${joint_procs}" -gt 1 ]; then
        joint "$@" || true  # check_done names a failed job's log
    else
        joint "$@" &
    fi
}

check_done() {  # <exp...>: stop, naming the log, if a background job failed
    for exp in "$@"; do
        [ -f "${exp}/.done" ] || { echo "training failed: see ${exp}/run.log" >&2; exit 1; }
    done
}

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
    ./run.sh --stop_stage 2
fi

if [ "${stage}" -le 2 ] && [ "${stop_stage}" -ge 2 ]; then
    # the two threads take about as long (31 and 31.5 minutes on the session-16 machine)
    train_job tfg conf/tuning/train_tfg_long.yaml "${tfg}" &
    { train_job tts conf/tuning/train_tts_long.yaml "${tts}" &&
        train_job syncnet conf/tuning/train_syncnet_long.yaml "${syncnet}"; } &
    wait
    check_done "${tts}" "${syncnet}" "${tfg}"
fi

if [ "${stage}" -le 3 ] && [ "${stop_stage}" -ge 3 ]; then
    pair_job "${main}"
    pair_job "${main}_fv" --model_conf.voice_from f_v
    wait
    pair_job "${main}_emb_mu" --audio_mapper_conf.inputs "[emb, mu]"
    pair_job "${main}_emb" --audio_mapper_conf.inputs "[emb]"
    wait
    check_done "${main}" "${main}_fv" "${main}_emb_mu" "${main}_emb"
fi

if [ "${stage}" -le 4 ] && [ "${stop_stage}" -ge 4 ]; then
    ${python} ../../bench/mini_fidelity.py --mini "${MINI}" --dump dump \
        --exp "${main}" --fv_exp "${main}_fv" --decode_config conf/decode.yaml \
        --ablation "emb,mu,energy=${main}" "emb,mu=${main}_emb_mu" "emb=${main}_emb" \
        --n_sentences "${n_sentences}" --out "${out}"
fi
