#!/usr/bin/env bash
# One-command set-up of the TTSF toolkit on a fresh Debian/Ubuntu machine.
#
#   tools/install.sh                 # system packages + tools/venv + torch + ttsf
#   tools/install.sh --no_apt true   # skip apt (no root); install espeak-ng/ffmpeg yourself
#   tools/install.sh --torch_index_url <url>   # e.g. PyTorch's own CPU-only or CUDA wheel index
#
# Re-running is quick and changes nothing once everything is in place (each step checks first).
# Why each pin: see tools/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${here}/.." && pwd)

python=${PYTHON:-python3}
venv=${here}/venv
no_apt=false
torch_version=2.9.1          # one official matched set (tools/README.md)
torchvision_version=0.24.1
torchaudio_version=2.9.1
torch_index_url=""           # empty: PyPI (CUDA build on x86_64 Linux, runs on CPU too)
extras=all                   # all | dev: the optional metric/face back-ends are in "all"

# shellcheck source=../utils/parse_options.sh
. "${root}/utils/parse_options.sh"

start=$(date +%s)
log() { echo "[install $(date +%T)] $*"; }

apt_packages=(espeak-ng ffmpeg libsndfile1 sox git)
if [ "${no_apt}" != true ]; then
    missing=()
    for p in "${apt_packages[@]}"; do
        dpkg -s "${p}" >/dev/null 2>&1 || missing+=("${p}")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo=sudo
        log "apt-get install ${missing[*]}"
        ${sudo} apt-get update -qq
        DEBIAN_FRONTEND=noninteractive ${sudo} apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        log "system packages present: ${apt_packages[*]}"
    fi
fi

if [ ! -x "${venv}/bin/python" ]; then
    log "creating virtual environment ${venv}"
    "${python}" -m venv "${venv}"
fi
# (pip's notes about empty local mirror directories on some build machines are dropped)
pip() { "${venv}/bin/python" -m pip --disable-pip-version-check "$@" 2> >(grep -v 'is ignored: it is neither' >&2); }
installed() { "${venv}/bin/python" - "$@" <<'PY'
import sys
from importlib.metadata import version, PackageNotFoundError
for spec in sys.argv[1:]:
    name, _, want = spec.partition("==")
    try:
        have = version(name)
    except PackageNotFoundError:
        sys.exit(1)
    if want and have.split("+")[0] != want:
        sys.exit(1)
PY
}

# pip >= 26 refuses espnet (its dependency ci_sdr declares a direct git URL);
# setuptools < 81 keeps pkg_resources, which pyworld and face-recognition-models import.
if ! installed "pip" || ! "${venv}/bin/python" -c 'import sys,pip; v=tuple(map(int,pip.__version__.split(".")[:2])); sys.exit(not (24,0)<=v<(26,0))'; then
    log "pip>=24,<26"
    pip install -q 'pip>=24,<26'
fi
if ! "${venv}/bin/python" -c 'import pkg_resources' 2>/dev/null; then
    pip install -q 'setuptools<81' wheel
fi

if ! installed "torch==${torch_version}" "torchvision==${torchvision_version}" "torchaudio==${torchaudio_version}"; then
    log "torch==${torch_version} torchvision==${torchvision_version} torchaudio==${torchaudio_version}"
    idx=()
    [ -n "${torch_index_url}" ] && idx=(--index-url "${torch_index_url}")
    pip install -q "${idx[@]}" "torch==${torch_version}" "torchvision==${torchvision_version}" "torchaudio==${torchaudio_version}"
else
    log "torch ${torch_version} present"
fi

# The package and its registry dependencies (setup.py), torch pinned so nothing swaps it.
if ! installed ttsf || ! "${venv}/bin/python" -c 'import ttsf, espnet2, whisper, facenet_pytorch' 2>/dev/null \
        || [ "${root}/setup.py" -nt "${venv}/.ttsf-installed" ]; then
    log "pip install -e ${root}[${extras}]"
    pip install -q -e "${root}[${extras}]" "torch==${torch_version}" "torchvision==${torchvision_version}" "torchaudio==${torchaudio_version}"
    # Installed without their declared dependencies, on purpose (tools/README.md):
    #  openai-whisper pulls triton (~1 GB, GPU-only kernels); its real needs are in setup.py.
    #  facenet-pytorch declares torch<2.3 and numpy<2 but runs on current ones.
    pip install -q --no-deps 'openai-whisper==20250625' 'facenet-pytorch==2.6.0'
    touch "${venv}/.ttsf-installed"
else
    log "ttsf and its dependencies present"
fi

"${venv}/bin/python" -m ttsf.bin.check_install
log "done in $(( $(date +%s) - start )) s; venv size $(du -sh "${venv}" | cut -f1)"
echo "Activate with: . ${root}/tools/activate.sh   (recipes' path.sh does it for you)"
