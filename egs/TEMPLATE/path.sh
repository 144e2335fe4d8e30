# Sourced by every stage: the toolkit's environment.
_ttsf_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "${_ttsf_root}/tools/activate.sh"
export PYTHONUNBUFFERED=1
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
unset _ttsf_root
