"""Keep freed memory in the process for CPU inference (glibc only).

The generator's activations at 256x256 are tens of MB per frame. glibc serves blocks that big
with fresh ``mmap`` pages and returns them on ``free``, so every decoder call page-faults
(and the kernel zeroes) its whole working set again: measured 0.06-0.15 s of system time per
frame, a third of the frame time at batch 8 (bench/tfg_speed.py). Serving them from the heap
and never trimming it makes the second and later calls reuse the same, already mapped pages.

This changes the allocator of the whole process, so only the CPU inference entry points call
it (ttsf-synthesize, ttsf-animate, ttsf.bin.decode, the benchmarks), never library code, and
not training: under glibc's defaults a training loop's memory stays flat, while a kept heap
made the mini recipe's joint trainer larger (3.5-3.8 GB through a 12-epoch run, against
2.9-3.4 GB), though the defaults' epochs took 10% longer on the CPU (docs/benchmarks.md: the
kept heap for training is an option). The benchmarks give it to their child processes through
:data:`GLIBC_TUNABLES`. (Until 2026-12 tools/activate.sh preloaded jemalloc with purging off
instead, which grew a training loop by ~100 MB an epoch.)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_MAX = -1, -2, -4
_TOP_PAD = 64 << 20

#: the settings of :func:`keep_freed_memory` as glibc tunables, for a child process's environment
GLIBC_TUNABLES = (
    f"glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold={2**64 - 1}"
    f":glibc.malloc.top_pad={_TOP_PAD}"
)


def keep_freed_memory(top_pad: int = _TOP_PAD) -> bool:
    """Make glibc malloc serve large blocks from a heap that is never trimmed.

    Args:
        top_pad: extra bytes to grow the heap by at a time.
    Returns:
        whether the settings took effect (False off glibc Linux, or when the environment sets
        ``TTSF_DEFAULT_MALLOC``: the opt-out, for comparing with glibc's defaults).
    """
    if not sys.platform.startswith("linux") or os.environ.get("TTSF_DEFAULT_MALLOC"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = (
            libc.mallopt(_M_MMAP_MAX, 0)
            and libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
            and libc.mallopt(_M_TOP_PAD, int(top_pad))
        )
    except (OSError, AttributeError):
        return False
    if not ok:
        log.warning("mallopt refused the settings; CPU inference will page-fault more")
    return bool(ok)


def keep_freed_memory_on_cpu(device: str) -> bool:
    """:func:`keep_freed_memory` when ``device`` ("cpu", "cuda:0", ...) is the CPU; a GPU's
    activations are not glibc's."""
    return str(device).split(":")[0] == "cpu" and keep_freed_memory()
