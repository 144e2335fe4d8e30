# Source me: activates tools/venv and puts this checkout on PYTHONPATH.
#   . tools/activate.sh
_ttsf_tools=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ ! -f "${_ttsf_tools}/venv/bin/activate" ]; then
    echo "tools/venv is missing: run ${_ttsf_tools}/install.sh first" >&2
    return 1 2>/dev/null || exit 1
fi
# shellcheck disable=SC1091
. "${_ttsf_tools}/venv/bin/activate"
export PYTHONPATH="${_ttsf_tools}/..${PYTHONPATH:+:${PYTHONPATH}}"
# The allocator is left as it is: the CPU inference entry points (ttsf-synthesize, ttsf-animate,
# decoding) make glibc keep freed memory themselves (ttsf/tfg/cpu_allocator.py), and training
# keeps glibc's defaults, under which its memory stays flat. Until 2026-12 this preloaded
# jemalloc with purging off, which grew a training process by ~100 MB an epoch
# (docs/benchmarks.md, "The allocator users get").
unset _ttsf_tools
