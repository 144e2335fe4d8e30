"""Inference precision: ``fp32`` (exact) or ``bf16`` (matmuls and convolutions in bfloat16).

bfloat16 doubles the multiply throughput on CPUs with AVX512-BF16 or AMX (AMD Zen 4, Intel
Sapphire Rapids) and on Ampere and newer GPUs; elsewhere it is emulated and slower. It is
applied with ``torch.autocast`` (PyTorch keeps norms, softmax and reductions in float32), and the
ODE states of the TTS and the motion sampler stay in float32, so a trained model's mel moves by
~0.5% (``bench/matcha_vs_official.py`` prints the deviation beside the speed).
"""

from __future__ import annotations

import contextlib
import logging

import torch

__all__ = ["PRECISIONS", "autocast"]

PRECISIONS = ("fp32", "bf16")
log = logging.getLogger(__name__)
_warned: set[str] = set()


def autocast(device: torch.device | str, precision: str) -> contextlib.AbstractContextManager:
    """A context that runs the enclosed inference at ``precision`` on ``device``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "fp32":
        return contextlib.nullcontext()
    device_type = torch.device(device).type
    if device_type == "cpu" and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        if "cpu" not in _warned:
            _warned.add("cpu")
            log.warning("this CPU has no native bfloat16 (AVX512-BF16/AMX): bf16 will be slower "
                        "than fp32 here")  # fmt: skip
    return torch.autocast(device_type, dtype=torch.bfloat16)
