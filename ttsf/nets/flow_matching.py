"""Optimal-transport conditional flow matching (OT-CFM): one implementation for the TTS
decoder (Matcha-TTS §2) and the motion sampler (TTSF §3.2, Eq. 4-6).

Training draws ``t ~ U(0, 1)``, a noise sample ``x0 ~ N(x0_mean, I)`` and the data ``x1``, and
regresses the estimator on the straight-line (optimal-transport) conditional vector field::

    x_t = (1 - (1 - sigma_min) t) x0' + t x1,      u_t = x1 - (1 - sigma_min) x0'

where ``x0' = x0 - x0_mean`` is the noise around its mean. With ``x0_mean = 0`` this is
Matcha-TTS exactly (the decoder starts from N(0, I) and sees ``mu`` only as a condition).
With ``x0_mean = mu`` the path starts from N(mu, I) as in the TTSF motion sampler, where the
prior network's frame-wise mean is the initial condition; the mean is added back to ``x_t``.

Inference integrates ``dx/dt = v(x, t)`` from ``t = 0`` to 1 with a fixed-step Euler solver.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import nn

#: estimator(x_t (B, C, T), mask (B, 1, T), mu (B, C_mu, T), t (B,), cond) -> (B, C, T)
Estimator = Callable[..., torch.Tensor]


def timestep_embedding(t: torch.Tensor, dim: int, scale: float = 1000.0) -> torch.Tensor:
    """Sinusoidal embedding of the flow time (Matcha-TTS ``SinusoidalPosEmb``, scale 1000),
    shared by every vector-field estimator (mel U-Net, motion conformer).

    t (Tensor): (B,) in [0, 1] -> (B, dim)
    """
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device) / max(half - 1, 1))
    angles = scale * t.float()[:, None] * freqs[None]
    emb = torch.cat([angles.sin(), angles.cos()], dim=-1)
    return torch.nn.functional.pad(emb, (0, dim - 2 * half)).to(t.dtype)


class ConditionalFlowMatching(nn.Module):
    """OT-CFM loss and Euler sampler around a vector-field estimator network.

    Args:
        estimator: the network predicting the vector field (a U-Net for mels, a conformer or
            MLP for motion); called as ``estimator(x_t, mask, mu, t, cond)``.
        sigma_min: the width of the flow's end point (1e-4 in Matcha-TTS and TTSF).
    """

    def __init__(self, estimator: nn.Module, sigma_min: float = 1e-4) -> None:
        super().__init__()
        self.estimator = estimator
        self.sigma_min = sigma_min

    def loss(
        self,
        x1: torch.Tensor,
        mask: torch.Tensor,
        mu: torch.Tensor,
        cond: Any = None,
        x0_mean: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Masked mean squared error between the estimated and the target vector field.

        Args:
            x1 (Tensor): (B, C, T) data (target mel or compressed motion).
            mask (Tensor): (B, 1, T) 1 on valid frames.
            mu (Tensor): (B, C_mu, T) the condition the estimator sees.
            x0_mean (Tensor): (B, C, T) mean of the noise distribution, or None for 0.
        Returns:
            scalar loss, averaged over valid frames and channels.
        """
        b = x1.shape[0]
        t = torch.rand(b, 1, 1, device=x1.device, dtype=x1.dtype, generator=generator)
        noise = torch.randn(x1.shape, device=x1.device, dtype=x1.dtype, generator=generator)
        mean = 0.0 if x0_mean is None else x0_mean
        x1c = x1 - mean  # the path is straight between noise and data, both centred on mean
        x_t = (1 - (1 - self.sigma_min) * t) * noise + t * x1c + mean
        target = x1c - (1 - self.sigma_min) * noise
        pred = self.estimator(x_t, mask, mu, t.view(b), cond)
        sq = (pred - target) ** 2 * mask
        return sq.sum() / (mask.sum() * x1.shape[1]).clamp(min=1)

    @torch.no_grad()
    def sample(
        self,
        mu: torch.Tensor,
        mask: torch.Tensor,
        n_timesteps: int,
        n_channels: int | None = None,
        temperature: float = 1.0,
        cond: Any = None,
        x0_mean: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Euler integration from noise to data.

        Args:
            mu (Tensor): (B, C_mu, T) the condition.
            mask (Tensor): (B, 1, T)
            n_timesteps: number of Euler steps (ODE function evaluations).
            n_channels: C of the output (defaults to C_mu).
            temperature: standard deviation of the starting noise.
            x0_mean (Tensor): (B, C, T) mean of the starting noise, or None for 0.
        Returns:
            x1 (Tensor): (B, C, T), zero on masked frames.
        """
        if n_timesteps < 1:
            raise ValueError(f"n_timesteps must be >= 1, got {n_timesteps}")
        b, _, t_len = mu.shape
        c = n_channels or mu.shape[1]
        # The state stays in (at least) float32 when the estimator runs in bfloat16 (autocast):
        # the noise is then the same draw as at full precision, and the steps add up exactly.
        dtype = torch.promote_types(mu.dtype, torch.float32)
        x = torch.randn(b, c, t_len, device=mu.device, dtype=dtype, generator=generator)
        x = x * temperature
        if x0_mean is not None:
            x = x + x0_mean
        dt = 1.0 / n_timesteps
        for i in range(n_timesteps):
            t = torch.full((b,), i * dt, device=mu.device, dtype=dtype)
            x = x + dt * self.estimator(x, mask, mu, t, cond)
        return x * mask
