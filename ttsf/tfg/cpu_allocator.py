"""Keep freed memory in the process for CPU inference (glibc only).

The generator's activations at 256x256 are tens of MB per frame. glibc serves blocks that big
with fresh ``mmap`` pages and returns them on ``free``, so every decoder call page-faults
(and the kernel zeroes) its whole working set again: measured 0.06-0.15 s of system time per
frame, a third of the frame time at batch 8 (bench/tfg_speed.py). Serving them from the heap
and never trimming it makes the second and later calls reuse the same, already mapped pages.

This changes the allocator of the whole process, so only entry points call it (ttsf-animate,
the benchmark), never library code.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_MAX = -1, -2, -4


def keep_freed_memory(top_pad: int = 64 << 20) -> bool:
    """Make glibc malloc serve large blocks from a heap that is never trimmed.

    Args:
        top_pad: extra bytes to grow the heap by at a time.
    Returns:
        whether the settings took effect (False off glibc Linux).
    """
    if not sys.platform.startswith("linux"):
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
