#!/usr/bin/env bash
# Local job runner (the "run.pl" of this toolkit).
#
#   utils/run.sh [--gpu N] [--mem X] [JOB=1:N] <log> <command...>
#
# With JOB=1:N, runs N copies in parallel, replacing the word JOB in the log name and in the
# command by 1..N; waits for all and fails (listing the failed logs) if any fails.
# --gpu/--mem are accepted so that recipes can use the same line with utils/slurm.sh.
set -uo pipefail
gpu=0
while [ $# -gt 0 ]; do
    case "$1" in
        --gpu) gpu=$2; shift 2 ;;
        --mem|--time|--num_threads) shift 2 ;;
        *) break ;;
    esac
done
if [ $# -lt 2 ]; then
    echo "usage: $0 [--gpu N] [JOB=1:N] <log> <command...>" >&2
    exit 1
fi
first=1; last=1; var=""
if [[ $1 =~ ^([A-Za-z_]+)=([0-9]+):([0-9]+)$ ]]; then
    var=${BASH_REMATCH[1]}; first=${BASH_REMATCH[2]}; last=${BASH_REMATCH[3]}
    shift
fi
logtpl=$1; shift
export CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES-}
[ "${gpu}" -eq 0 ] && export CUDA_VISIBLE_DEVICES=""
pids=(); logs=()
for ((i = first; i <= last; i++)); do
    log=${logtpl}; cmd=("$@")
    if [ -n "${var}" ]; then
        log=${log//${var}/${i}}
        cmd=("${cmd[@]//${var}/${i}}")
    fi
    mkdir -p "$(dirname "${log}")"
    {
        echo "# ${cmd[*]}"
        echo "# started at $(date)"
        "${cmd[@]}"
        rc=$?
        echo "# ended at $(date) with status ${rc}"
        exit ${rc}
    } >"${log}" 2>&1 &
    pids+=($!); logs+=("${log}")
done
failed=()
for k in "${!pids[@]}"; do
    wait "${pids[$k]}" || failed+=("${logs[$k]}")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "$0: ${#failed[@]} of ${#pids[@]} job(s) failed; see ${failed[*]}" >&2
    exit 1
fi
