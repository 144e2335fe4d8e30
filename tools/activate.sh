# Source me: activates tools/venv and the fast, stable memory allocator.
#   . tools/activate.sh
_ttsf_tools=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ ! -f "${_ttsf_tools}/venv/bin/activate" ]; then
    echo "tools/venv is missing: run ${_ttsf_tools}/install.sh first" >&2
    return 1 2>/dev/null || exit 1
fi
# shellcheck disable=SC1091
. "${_ttsf_tools}/venv/bin/activate"
export PYTHONPATH="${_ttsf_tools}/..${PYTHONPATH:+:${PYTHONPATH}}"
# glibc malloc hands large activations back to the kernel and faults them in again on every
# call; on small VMs that makes CPU timings swing 2-6x. jemalloc keeping its pages is faster and
# stable (docs/benchmarks.md). Set TTSF_NO_JEMALLOC=1 to keep glibc's allocator.
if [ -z "${TTSF_NO_JEMALLOC:-}" ]; then
    for _lib in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/aarch64-linux-gnu/libjemalloc.so.2; do
        if [ -f "${_lib}" ]; then
            case ":${LD_PRELOAD:-}:" in *":${_lib}:"*) ;; *) export LD_PRELOAD="${_lib}${LD_PRELOAD:+:${LD_PRELOAD}}" ;; esac
            export MALLOC_CONF="${MALLOC_CONF:-dirty_decay_ms:-1,muzzy_decay_ms:-1}"
            break
        fi
    done
fi
unset _ttsf_tools _lib
