"""Motion sampler family: a sequence of motion features for the frames to generate."""

from __future__ import annotations

from abc import abstractmethod

import torch
from torch import nn

from ttsf.registry import Registry


class AbsMotionSampler(nn.Module):
    def forward(
        self,
        f_m: torch.Tensor,
        f_a: torch.Tensor,
        lengths: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> dict[str, torch.Tensor]:
        """Training losses (samplers with nothing to learn return ``{}``).

        Args:
            f_m (Tensor): (B, T_v, style_dim) target motion of each driving frame.
            f_a (Tensor): (B, T_v, style_dim) the audio mapper's output for those frames.
            lengths (LongTensor): (B,) valid frames.
            generator: random draws of the training step (None = the global RNG).
        Returns:
            {loss name: scalar}, e.g. {"norm_mse", "prior_nll", "cfm"}.
        """
        return {}

    @abstractmethod
    def sample(
        self,
        f_m_source: torch.Tensor,
        f_a: torch.Tensor,
        lengths: torch.Tensor,
        n_timesteps: int = 10,
        temperature: float = 1.0,
        motion_scale: float = 1.0,
        generator: torch.Generator | None = None,
        f_m_reference: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """
        Args:
            f_m_source (Tensor): (B, style_dim) the portrait's own motion.
            f_a (Tensor): (B, T_v, style_dim) lip features of the frames to generate.
            lengths (LongTensor): (B,)
            n_timesteps / temperature: ODE steps and starting-noise scale (learned samplers).
            motion_scale: scale of the deviation from ``f_m_source`` (0 = a still head).
            generator: on the device of ``f_a``; the same seed gives the same motion.
            f_m_reference: (B, T_v, style_dim) motion of a driving video (``reference`` only).
        Returns:
            f_m (Tensor): (B, T_v, style_dim)
        """


motion_sampler_registry = Registry("motion_sampler", AbsMotionSampler, default="cfm")
