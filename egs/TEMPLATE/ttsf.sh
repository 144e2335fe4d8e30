#!/usr/bin/env bash
# The stages every TTSF recipe shares. A recipe's run.sh sets its corpus and configs, then
# calls this script; every option below can also be given on the command line.
#
#   1 data prep      local/data.sh                -> data/<set>/
#   2 features       face crops, mel, tokens      -> dump/<set>/
#   3 pretraining    the TTS, the lip-sync expert, the vocoder and (optional) the face half
#                    -> exp/{tts,syncnet,vocoder,tfg}*/
#   4 joint train    ttsf.bin.train --task ttsf   -> exp/ttsf*/model.pth
#   5 decoding       text + portrait -> wav + mp4 -> exp/ttsf*/decode/<set>/
#   6 scoring        paper metrics               -> exp/ttsf*/decode/<set>/scores/
#   7 packing        one archive for ttsf-synthesize -> exp/ttsf*/packed/model.tar
#
# Each step writes exp/logs/stage<N>_<step>.log (the runners add per-job logs), leaves a done-marker
# so a re-run skips it (--force true to redo), and a failure stops the run naming the log.
set -euo pipefail

log() { echo "$(date '+%F %T') ($(basename "$0")) $*"; }
help_message="Usage: $0 [--stage N] [--stop_stage N] [--ngpu N] [--nj N] [--tag NAME] [--<option> <value>]"

stage=1
stop_stage=7
ngpu=0                 # GPUs for training/decoding (0: CPU)
num_procs=1            # CPU processes for training when ngpu=0 (gloo DDP)
nj=4                   # parallel jobs for feature extraction and decoding
tag=""                 # suffix of the experiment dirs
force=false            # redo stages that are already done
python=python3

train_set=train
valid_set=dev
test_sets="test"
datadir=data
dumpdir=dump
expdir=exp
local_data_opts=""     # passed to local/data.sh
feats_opts=""          # passed to ttsf.bin.extract_features
frontend=espeak_phn    # text frontend: espeak_phn | char | bpe

tts_config=conf/train_tts.yaml
syncnet_config=conf/train_syncnet.yaml  # "" skips the lip-sync expert (no sync loss)
vocoder_config=conf/train_vocoder.yaml  # "" skips the vocoder (decoding uses Griffin-Lim)
tfg_config=""          # set: pretrain the face half by self-reenactment (--task tfg, reading
                       # the joint config), then start the joint stage from it (the paper does not)
ttsf_config=conf/train_ttsf.yaml
model_exp=""           # evaluation-only corpora: the trained exp/ttsf dir of another recipe
stats_from=""          # ... and the dump dir whose token list and mel statistics it used
decode_config=conf/decode.yaml
score_config=conf/score.yaml
tts_args=""            # config overrides for stage 3, e.g. "--max_epoch 10"
syncnet_args=""
vocoder_args=""
tfg_args=""
ttsf_args=""           # config overrides for stage 4
decode_args=""
score_args=""

. utils/parse_options.sh
[ $# -eq 0 ] || { echo "$0: unexpected arguments: $*" >&2; exit 1; }
. ./path.sh
. ./cmd.sh

tts_exp=${expdir}/tts${tag:+_${tag}}
ttsf_exp=${expdir}/ttsf${tag:+_${tag}}
decode_dir=${ttsf_exp}/decode
if [ -n "${model_exp}" ]; then  # decode another recipe's model; results stay in this recipe
    ttsf_exp=${model_exp}
    decode_dir=${expdir}/decode_$(basename "${model_exp}")${tag:+_${tag}}
fi
syncnet_exp=${expdir}/syncnet${tag:+_${tag}}
vocoder_exp=${expdir}/vocoder${tag:+_${tag}}
tfg_exp=${expdir}/tfg${tag:+_${tag}}
mkdir -p "${expdir}/logs"

# run_stage <n> <name> <done-marker> <command...>
run_stage() {
    local n=$1 name=$2 marker=$3
    shift 3
    (( n >= stage && n <= stop_stage )) || return 0
    if [ -f "${marker}" ] && [ "${force}" != true ]; then
        log "stage ${n} (${name}): already done (${marker}); --force true to redo"
        return 0
    fi
    local logfile=${expdir}/logs/stage${n}_${name// /_}.log
    log "stage ${n} (${name}): $*"
    # a subshell outside any `if`, so that `set -e` still stops a stage at its first failure
    set +e
    (set -e; "$@") >"${logfile}" 2>&1
    local rc=$?
    set -e
    if [ ${rc} -ne 0 ]; then
        log "stage ${n} (${name}) FAILED (status ${rc}); see ${logfile}:"
        tail -n 15 "${logfile}" >&2
        exit 1
    fi
    mkdir -p "$(dirname "${marker}")"
    date >"${marker}"
    log "stage ${n} (${name}): done"
}

stage_features() {
    if [ -n "${stats_from}" ]; then  # reuse the training corpus's token list and statistics
        mkdir -p "${dumpdir}"
        cp -r "${stats_from}/token_list" "${stats_from}/feats_stats.npz" "${dumpdir}/"
    fi
    for x in "${train_set}" "${valid_set}" ${test_sets}; do
        [ -n "${x}" ] || continue
        # the training set defines the token list and the mel statistics the others reuse
        local train_flag=""
        [ "${x}" = "${train_set}" ] && train_flag=--is_train
        ${python} -m ttsf.bin.extract_features --data_dir "${datadir}/${x}" \
            --dump_dir "${dumpdir}" ${train_flag} --token_type "${frontend}" --nj "${nj}" ${feats_opts}
    done
}

stage_train() {  # <task> <config> <exp> <overrides>
    ${train_cmd} --gpu "${ngpu}" "$3/run.log" ${python} -m ttsf.bin.train --task "$1" \
        --config "$2" --train_data "${dumpdir}/${train_set}" --valid_data "${dumpdir}/${valid_set}" \
        --output_dir "$3" --ngpu "${ngpu}" --num_procs "$([ "${ngpu}" -gt 0 ] && echo "${ngpu}" || echo "${num_procs}")" $4
}

stage_decode() {
    for x in ${test_sets}; do
        ${decode_cmd} --gpu "$([ "${ngpu}" -gt 0 ] && echo 1 || echo 0)" \
            "${decode_dir}/${x}/decode.log" ${python} -m ttsf.bin.decode \
            --model "${ttsf_exp}/model.pth" --config "${decode_config}" \
            --data_dir "${dumpdir}/${x}" --out_dir "${decode_dir}/${x}" \
            --ngpu "$([ "${ngpu}" -gt 0 ] && echo 1 || echo 0)" ${decode_args}
    done
}

stage_score() {
    for x in ${test_sets}; do
        ${python} -m ttsf.bin.score --config "${score_config}" --hyp_dir "${decode_dir}/${x}" \
            --ref_dir "${dumpdir}/${x}" --out_dir "${decode_dir}/${x}/scores" ${score_args}
    done
}

run_stage 1 "data prep" "${datadir}/.done" local/data.sh ${local_data_opts}
run_stage 2 "features" "${dumpdir}/.done" stage_features
if [ -z "${model_exp}" ]; then
    run_stage 3 "TTS pretraining" "${tts_exp}/.done" stage_train tts "${tts_config}" "${tts_exp}" "${tts_args}"
    # the joint stage reads what the optional pretraining steps export
    joint_inputs="--tts_init ${tts_exp}/model.pth"
    if [ -n "${syncnet_config}" ]; then
        run_stage 3 "lip-sync expert" "${syncnet_exp}/.done" stage_train syncnet "${syncnet_config}" \
            "${syncnet_exp}" "${syncnet_args}"
        joint_inputs+=" --losses.sync.conf.syncnet_path ${syncnet_exp}/syncnet.pth"
    fi
    if [ -n "${vocoder_config}" ]; then
        run_stage 3 "vocoder" "${vocoder_exp}/.done" stage_train vocoder "${vocoder_config}" \
            "${vocoder_exp}" "${vocoder_args}"
        joint_inputs+=" --vocoder_conf.checkpoint ${vocoder_exp}/generator.pth"
    fi
    if [ -n "${tfg_config}" ]; then
        run_stage 3 "face pretraining" "${tfg_exp}/.done" stage_train tfg "${tfg_config}" \
            "${tfg_exp}" "${tfg_args}"
        face=${tfg_exp}/model.pth
        joint_inputs+=" --init_param [${face}:face_generator,${face}:motion_extractor,${face}:discriminator]"
    fi
    run_stage 4 "joint training" "${ttsf_exp}/.done" stage_train ttsf "${ttsf_config}" "${ttsf_exp}" \
        "${joint_inputs} ${ttsf_args}"
elif (( stage <= 4 && stop_stage >= 3 )); then
    log "stages 3-4 skipped: decoding the model trained in ${model_exp}"
fi
run_stage 5 "decoding" "${decode_dir}/.done" stage_decode
run_stage 6 "scoring" "${decode_dir}/.scored" stage_score
run_stage 7 "packing" "${ttsf_exp}/packed/.done" ${python} -m ttsf.bin.pack_model \
    --exp_dir "${ttsf_exp}" --out "${ttsf_exp}/packed/model.tar"
log "finished stages ${stage}-${stop_stage}"
