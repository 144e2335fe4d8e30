"""Motion normaliser (TTSF §3.2): a frame-wise auto-encoder of the motion feature.

The paper found that flow matching directly on the generator's motion feature ``f_m``
(style_dim channels, each steering a StyleGAN-style layer) gives shaky heads; it compresses
``f_m`` to a small latent ``z`` and lets the sampler work there, so the decoder reconstructs a
smooth, denoised ``f_m``. The paper gives no layer sizes: here each side is an MLP applied per
frame (``n_layers`` linear layers, SiLU in between) and ``latent_dim`` is configurable.
LIA's motion feature is a combination of 20 learned directions, so a latent of about that size
loses little; 16 is the default.
"""

from __future__ import annotations

import torch
from torch import nn


def _mlp(dims: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (d_in, d_out) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
        if i:
            layers.append(nn.SiLU())
        layers.append(nn.Linear(d_in, d_out))
    return nn.Sequential(*layers)


class MotionNormaliser(nn.Module):
    """Frame-wise auto-encoder ``f_m -> z -> f_m``.

    Args:
        style_dim: channels of the motion feature ``f_m``.
        latent_dim: channels of the compressed motion ``z``.
        hidden: width of the hidden layers.
        n_layers: linear layers in the encoder (and in the decoder); >= 1.
    """

    def __init__(
        self, style_dim: int = 512, latent_dim: int = 16, hidden: int = 256, n_layers: int = 2
    ) -> None:
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"motion normaliser: n_layers must be >= 1, got {n_layers}")
        inner = [hidden] * (n_layers - 1)
        self.encoder = _mlp([style_dim, *inner, latent_dim])
        self.decoder = _mlp([latent_dim, *inner, style_dim])
        self.style_dim = style_dim
        self.latent_dim = latent_dim

    def encode(self, f_m: torch.Tensor) -> torch.Tensor:
        """f_m (Tensor): (..., style_dim) -> z (Tensor): (..., latent_dim)"""
        return self.encoder(f_m)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (Tensor): (..., latent_dim) -> f_m (Tensor): (..., style_dim)"""
        return self.decoder(z)

    def forward(self, f_m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """
        Args:
            f_m (Tensor): (..., style_dim)
        Returns:
            z (Tensor): (..., latent_dim) the compressed motion.
            recon (Tensor): (..., style_dim) its reconstruction (for the ``norm_mse`` loss).
        """
        z = self.encode(f_m)
        return z, self.decode(z)
