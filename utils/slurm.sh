#!/usr/bin/env bash
# Slurm job runner with the same interface as utils/run.sh:
#
#   utils/slurm.sh [--gpu N] [--mem X] [--time T] [JOB=1:N] <log> <command...>
#
# Submits one array job through sbatch --wait, so the recipe blocks until it finishes. With
# --gpu N one task gets N GPUs and the training entry starts one process per GPU itself.
# Extra sbatch options: export SLURM_OPTS="--partition=gpu --account=..."
set -euo pipefail
gpu=0; mem=16G; time=72:00:00
while [ $# -gt 0 ]; do
    case "$1" in
        --gpu) gpu=$2; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        --time) time=$2; shift 2 ;;
        --num_threads) shift 2 ;;
        *) break ;;
    esac
done
first=1; last=1; var=""
if [[ $1 =~ ^([A-Za-z_]+)=([0-9]+):([0-9]+)$ ]]; then
    var=${BASH_REMATCH[1]}; first=${BASH_REMATCH[2]}; last=${BASH_REMATCH[3]}
    shift
fi
logtpl=$1; shift
mkdir -p "$(dirname "${logtpl}")"
cmd="$*"
log=${logtpl}
if [ -n "${var}" ]; then
    cmd=${cmd//${var}/\$\{SLURM_ARRAY_TASK_ID\}}
    log=${logtpl//${var}/%a}
fi
gres=()
[ "${gpu}" -gt 0 ] && gres=(--gres="gpu:${gpu}")
# shellcheck disable=SC2086
sbatch --wait --parsable ${SLURM_OPTS:-} "${gres[@]}" --mem="${mem}" --time="${time}" \
    --array="${first}-${last}" --output="${log}" --job-name="$(basename "${logtpl%%.*}")" \
    --wrap="cd $(pwd) && ${cmd}"
