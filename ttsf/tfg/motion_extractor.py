"""Motion extractor M ``lia_orthogonal`` (TTSF §3.1; LIA §3.1 "latent motion decomposition").

A 5-layer MLP maps the visual latent ``f_v`` to ``n_motions`` magnitudes ``alpha``; the motion
feature is ``f_m = sum_i alpha_i d_i`` over ``n_motions`` learned motion codes ``d_i`` in the
``style_dim`` latent space. The codes are the Q factor of a QR decomposition of a trainable
(style_dim, n_motions) matrix, so they stay orthonormal whatever the optimiser does to that
matrix (LIA's "linear motion decomposition": a compact, non-redundant motion basis).

Unlike LIA, which adds the *relative* motion between a driving frame and the first one to the
source latent, TTSF splits each latent on its own: ``f_id = f_v - f_m`` is the motion-free
identity that conditions the TTS, so the same face in any pose yields the same voice.
LIA's code stacks its 5 linear layers without non-linearities; we put a scaled LeakyReLU
between them, as a multi-layer perceptron has.
"""

from __future__ import annotations

import torch
from torch import nn

from ttsf.tfg.abs_motion_extractor import AbsMotionExtractor, motion_extractor_registry
from ttsf.tfg.stylegan2_ops import EqualLinear


@motion_extractor_registry.register("lia_orthogonal")
class LiaOrthogonalMotionExtractor(AbsMotionExtractor):
    """f_v (..., style_dim) -> f_m (..., style_dim) in the span of orthonormal motion codes.

    Args:
        style_dim: size of ``f_v`` (512 in the paper).
        n_motions: number of motion codes / magnitudes (20 in LIA and TTSF).
        n_layers: MLP depth (5); the last layer outputs the magnitudes.
    """

    def __init__(self, style_dim: int = 512, n_motions: int = 20, n_layers: int = 5) -> None:
        super().__init__()
        if not 0 < n_motions <= style_dim:
            raise ValueError(f"n_motions must be in 1..style_dim={style_dim}, got {n_motions}")
        if n_layers < 1:
            raise ValueError(f"n_layers must be >= 1, got {n_layers}")
        self.style_dim = style_dim
        self.n_motions = n_motions
        layers = [EqualLinear(style_dim, style_dim, activate=True) for _ in range(n_layers - 1)]
        self.mlp = nn.Sequential(*layers, EqualLinear(style_dim, n_motions))
        self.code_weight = nn.Parameter(torch.randn(style_dim, n_motions))

    def motion_codes(self) -> torch.Tensor:
        """D (Tensor): (style_dim, n_motions) with orthonormal columns (D^T D = I)."""
        q, r = torch.linalg.qr(self.code_weight)
        # fix the QR sign ambiguity (R's diagonal > 0) so the codes move continuously.
        return q * torch.sign(torch.diagonal(r)).masked_fill(torch.diagonal(r) == 0, 1.0)

    def magnitudes(self, f_v: torch.Tensor) -> torch.Tensor:
        """alpha (Tensor): (..., n_motions) for f_v (..., style_dim)."""
        return self.mlp(f_v)

    def forward(self, f_v: torch.Tensor) -> torch.Tensor:
        """
        Args:
            f_v (Tensor): (..., style_dim) visual latent.
        Returns:
            f_m (Tensor): (..., style_dim) motion feature ``sum_i alpha_i d_i``.
        """
        if f_v.shape[-1] != self.style_dim:
            raise ValueError(f"f_v must end in style_dim={self.style_dim}, got {tuple(f_v.shape)}")
        return self.magnitudes(f_v) @ self.motion_codes().t()


def split_identity_motion(
    extractor: AbsMotionExtractor, f_v: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(f_id, f_m) with ``f_m = M(f_v)`` and ``f_id = f_v - f_m`` (TTSF §3.1).

    ``f_id + f_m`` equals ``f_v`` up to floating-point rounding of the subtraction.
    """
    f_m = extractor(f_v)
    return f_v - f_m, f_m
