"""Gaussian prior negative log-likelihood (TTSF Eq. 7; Grad-TTS's "prior loss").

The prior network's frame-wise mean ``mu`` parameterises N(mu, I); the loss is the negative
log-density of the target under it, averaged over valid frames and channels::

    L_prior = mean over valid (frame, channel) of 0.5 * ((z - mu)^2 + log(2 pi))

This is Grad-TTS's ``prior_loss`` (Popov et al. 2021, §3.3): the same constant and the same
normalisation (sum over the mask divided by the number of valid frames times channels), so the
value is the per-element NLL in nats. TTSF uses it between the compressed target motion ``z``
and the motion prior ``mu_m``.
"""

from __future__ import annotations

import math

import torch

from ttsf.losses.abs_loss import AbsLoss, loss_registry


def masked_mean(values: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean of ``values`` over the elements where ``mask`` (broadcast to ``values``) is 1.

    Args:
        values (Tensor): any shape, e.g. (B, C, T).
        mask (Tensor): broadcastable to ``values``, e.g. (B, 1, T) or (B, T, 1); None = all.
    Returns:
        scalar; 0 when the mask selects nothing.
    """
    if mask is None:
        return values.mean()
    mask = mask.to(values.dtype).expand_as(values)
    return (values * mask).sum() / mask.sum().clamp(min=1)


@loss_registry.register("prior_nll")
class PriorNLLLoss(AbsLoss):
    """NLL of ``z`` under N(``mu``, I), per valid element (Eq. 7)."""

    def forward(
        self, z: torch.Tensor, mu: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """
        Args:
            z (Tensor): (B, C, T) target (the compressed motion), any layout matching ``mu``.
            mu (Tensor): (B, C, T) the prior's mean.
            mask (Tensor): broadcastable to ``z`` ((B, 1, T)), 1 on valid frames; None = all.
        Returns:
            scalar loss (nats per element).
        """
        if z.shape != mu.shape:
            raise ValueError(f"prior_nll: z {tuple(z.shape)} and mu {tuple(mu.shape)} differ")
        return masked_mean(0.5 * ((z - mu) ** 2 + math.log(2 * math.pi)), mask)
