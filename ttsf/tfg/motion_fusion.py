"""Motion fusion (TTSF §3.1, Eq. 1): per-layer styles for the generator.

The paper's Eq. 1 was lost in extraction; its text says the fusion is "a straightforward linear
operation" injecting the audio feature into specific layers (after FC-TFG). We use the additive
form::

    style_k = f_id + f_m_target + f_a   k in audio_layers   (6, 7)
    style_k = f_id + f_m_target         k in motion_layers  (1 .. 7)
    style_k = f_s                       every other layer

with layers numbered from 1 as in :mod:`ttsf.tfg.generator` (layer 1 = the 4x4 conv). The
coarse layers thus carry the target pose and, in 6-7, the lip shape from the audio mapper;
the fine layers keep the source's own latent ``f_s`` (texture and appearance).
"""

from __future__ import annotations

from typing import Sequence

import torch

DEFAULT_MOTION_LAYERS = (1, 2, 3, 4, 5, 6, 7)
DEFAULT_AUDIO_LAYERS = (6, 7)


def fuse_styles(
    f_id: torch.Tensor,
    f_m: torch.Tensor,
    f_s: torch.Tensor,
    n_styles: int,
    f_a: torch.Tensor | None = None,
    motion_layers: Sequence[int] = DEFAULT_MOTION_LAYERS,
    audio_layers: Sequence[int] = DEFAULT_AUDIO_LAYERS,
) -> torch.Tensor:
    """Build the (..., n_styles, style_dim) style stack of Eq. 1 (additive form).

    Args:
        f_id (Tensor): (..., style_dim) identity of the source (broadcast over frames).
        f_m (Tensor): (..., style_dim) target motion, e.g. (B, T_v, style_dim).
        f_s (Tensor): (..., style_dim) source latent ``f_v`` of the portrait.
        n_styles: generator layers (``generator.n_styles``).
        f_a (Tensor | None): (..., style_dim) lip feature of the audio mapper.
        motion_layers, audio_layers: 1-based generator layers; audio layers must be motion layers.
    Returns:
        styles (Tensor): (*broadcast shape, n_styles, style_dim).
    """
    bad = [k for k in (*motion_layers, *audio_layers) if not 1 <= k <= n_styles]
    if bad:
        raise ValueError(f"layers {bad} are outside the generator's 1..{n_styles}")
    if not set(audio_layers) <= set(motion_layers):
        raise ValueError(f"audio_layers {list(audio_layers)} must be among motion_layers")
    driven = f_id + f_m
    shape = torch.broadcast_shapes(driven.shape, f_s.shape)
    if f_a is not None:
        shape = torch.broadcast_shapes(shape, f_a.shape)
    layers = []
    for k in range(1, n_styles + 1):
        if k in audio_layers and f_a is not None:
            style = driven + f_a
        elif k in motion_layers:
            style = driven
        else:
            style = f_s
        layers.append(style.expand(shape))
    return torch.stack(layers, dim=-2)
