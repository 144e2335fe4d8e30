"""Inference precision: ``fp32`` (exact) or ``bf16`` (matmuls and convolutions in bfloat16).

bfloat16 doubles the multiply throughput on CPUs with AVX512-BF16 or AMX (AMD Zen 4 and later,
Intel Sapphire Rapids and later) and on Ampere and newer GPUs; elsewhere it is emulated and
slower. It is applied with ``torch.autocast`` (PyTorch keeps norms, softmax and reductions in
float32), and the ODE states of the TTS and the motion sampler stay in float32: the paper-size
TTS's mel moves by 0.5-0.8% (``bench/matcha_vs_official.py`` prints it beside the speed).
"""

from __future__ import annotations

import contextlib
import copy
import logging

import torch
from torch import nn

__all__ = ["PRECISIONS", "autocast", "with_bf16_weights"]

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
    if device_type == "cpu" and not _cpu_has_bf16():
        if "cpu" not in _warned:
            _warned.add("cpu")
            log.warning("this CPU has no native bfloat16 (AVX512-BF16/AMX): bf16 will be slower "
                        "than fp32 here")  # fmt: skip
    return torch.autocast(device_type, dtype=torch.bfloat16)


def _cpu_has_bf16() -> bool:
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without oneDNN
        return False


_MATMUL_MODULES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d)


def with_bf16_weights(module: nn.Module) -> nn.Module:
    """A copy of ``module`` whose Linear and Conv weights are stored in bfloat16, to run under
    ``autocast(device, "bf16")``: the results are identical, but autocast no longer converts
    those weights on every call (~3 ms per call for the 11 M weights of the paper's TTS decoder,
    8% of a 2-second sentence). Every other parameter and buffer is shared with ``module``, not
    copied."""
    own = {id(p) for m in module.modules() if isinstance(m, _MATMUL_MODULES)
           for p in m.parameters(recurse=False)}  # fmt: skip
    shared = {id(t): t for t in (*module.parameters(), *module.buffers()) if id(t) not in own}
    twin = copy.deepcopy(module, shared).eval()
    for m in twin.modules():
        if isinstance(m, _MATMUL_MODULES):
            m.to(torch.bfloat16)
    return twin
