"""Motion samplers (TTSF §3.2): the motion feature ``f_m`` of every frame to generate.

* ``cfm`` (the paper's): variational motion sampling. A motion normaliser (auto-encoder)
  compresses ``f_m`` to ``z``; a prior network gives the frame-wise mean ``mu_m`` from the
  first frame's motion and the audio mapper's ``f_a``; an OT-CFM vector-field estimator,
  conditioned on ``mu_m``, carries N(mu_m, temperature^2 I) to ``z`` along the flow of
  ``ttsf.nets.flow_matching`` (the one OT-CFM shared with the TTS decoder, here with
  ``x0_mean = mu_m``: the prior is the initial condition of the ODE); the normaliser's decoder
  turns the sampled ``z`` back into ``f_m``. Trained on random aligned windows of
  ``train_window`` (32) frames; samples any length.
* ``none``: the portrait's own motion on every frame (a still head).
* ``reference``: the motion of a driving video, frame by frame.

``motion_scale`` scales every sampler's deviation from the portrait's motion
(``f_m_source + s * (f_m - f_m_source)``): 0 = still head, 1 = as sampled.
"""

from __future__ import annotations

import inspect

import torch
from torch import nn

from ttsf.losses.norm_mse import NormaliserMSELoss
from ttsf.losses.prior_nll import PriorNLLLoss
from ttsf.nets.flow_matching import ConditionalFlowMatching, timestep_embedding
from ttsf.tfg.abs_motion_sampler import AbsMotionSampler, motion_sampler_registry
from ttsf.tfg.motion_normaliser import MotionNormaliser
from ttsf.tfg.prior_network import ConformerStack, PriorNetwork


def sequence_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """(B,) lengths -> (B, max_len, 1) float mask, 1 on valid frames."""
    t = torch.arange(max_len, device=lengths.device)
    return (t[None, :] < lengths[:, None]).unsqueeze(-1).float()


def random_windows(
    lengths: torch.Tensor, window: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Start frame and length of one random window per sequence.

    A sequence longer than ``window`` gets a uniformly drawn start; a shorter one is taken
    whole (start 0, its own length).

    Args:
        lengths (LongTensor): (B,) valid frames.
    Returns:
        starts (LongTensor): (B,); window_lengths (LongTensor): (B,) = min(lengths, window).
    """
    room = (lengths - window).clamp(min=0) + 1
    u = torch.rand(lengths.shape, generator=generator, device=lengths.device)
    starts = (u * room).long().clamp(max=room - 1)
    return starts, lengths.clamp(max=window)


def take_windows(x: torch.Tensor, starts: torch.Tensor, window: int) -> torch.Tensor:
    """x (Tensor): (B, T, C) -> (B, window, C), frames ``starts[b] + [0, window)`` (clamped
    to T - 1; frames past a sequence's window length are masked by the caller)."""
    idx = (starts[:, None] + torch.arange(window, device=x.device)[None]).clamp(max=x.shape[1] - 1)
    return x.gather(1, idx[:, :, None].expand(-1, -1, x.shape[2]))


class MotionFieldEstimator(nn.Module):
    """Vector field ``v(z_t, t | mu_m)`` of the motion flow: a conformer over time whose
    input is ``[z_t, mu_m]`` per frame plus an embedding of ``t`` (the paper does not give
    the estimator's architecture; a conformer matches its prior network and sees the whole
    sequence, so the sampled motion is smooth in time).

    Args:
        latent_dim: channels of ``z``; the rest as ``ConformerStack``.
    """

    def __init__(
        self,
        latent_dim: int = 16,
        attention_dim: int = 256,
        heads: int = 4,
        linear_units: int = 1024,
        n_layers: int = 2,
        kernel: int = 15,
        dropout: float = 0.05,
    ) -> None:
        super().__init__()
        self.conformer = ConformerStack(
            2 * latent_dim,
            latent_dim,
            attention_dim,
            heads,
            linear_units,
            n_layers,
            kernel,
            dropout,
        )
        self.time_mlp = nn.Sequential(
            nn.Linear(attention_dim, attention_dim),
            nn.SiLU(),
            nn.Linear(attention_dim, attention_dim),
        )
        self.attention_dim = attention_dim

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor,
        mu: torch.Tensor,
        t: torch.Tensor,
        cond: object = None,
    ) -> torch.Tensor:
        """The ``ConditionalFlowMatching`` estimator contract.

        Args:
            x (Tensor): (B, latent_dim, T) the point ``z_t`` on the flow.
            mask (Tensor): (B, 1, T) prefix mask of valid frames.
            mu (Tensor): (B, latent_dim, T) the prior mean ``mu_m``.
            t (Tensor): (B,) flow time.
        Returns:
            v (Tensor): (B, latent_dim, T), zero on masked frames.
        """
        lengths = mask.sum(dim=(1, 2)).round().long()
        h = torch.cat([x, mu], dim=1).transpose(1, 2)
        offset = self.time_mlp(timestep_embedding(t, self.attention_dim))
        return self.conformer(h, lengths, offset).transpose(1, 2) * mask


def _build_part(cls: type, conf: dict | None, fixed: dict, what: str) -> nn.Module:
    """``cls(**conf, **fixed)`` with unknown or conflicting keys reported by name."""
    conf = dict(conf or {})
    valid = [
        k for k in inspect.signature(cls.__init__).parameters if k != "self" and k not in fixed
    ]
    unknown = [k for k in conf if k not in valid]
    if unknown:
        raise ValueError(
            f"motion_sampler_conf.{what}: unknown key(s) {unknown}; valid keys: {', '.join(valid)}"
            f" ({', '.join(fixed)} come from motion_sampler_conf itself)"
        )
    return cls(**conf, **fixed)


def _apply_motion_scale(
    f_m: torch.Tensor, f_m_source: torch.Tensor, motion_scale: float, mask: torch.Tensor
) -> torch.Tensor:
    """``f_m_source + s * (f_m - f_m_source)`` on valid frames, 0 elsewhere."""
    src = f_m_source[:, None, :]
    return (src + motion_scale * (f_m - src)) * mask


@motion_sampler_registry.register("cfm")
class CFMMotionSampler(AbsMotionSampler):
    """OT-CFM motion sampler with motion normaliser and conformer prior (TTSF §3.2).

    Args:
        style_dim: channels of ``f_m`` and ``f_a``.
        latent_dim: channels of the normaliser's latent ``z`` (the flow's space).
        train_window: frames of the random aligned windows ``forward`` trains on (32 in the
            paper); 0 = whole sequences.
        sigma_min: the flow's end-point width (fixed, 1e-4 as Matcha-TTS).
        detach_target: treat ``z`` as a fixed target in the prior and CFM losses, so only the
            ``norm_mse`` loss shapes the normaliser (otherwise the prior loss could shrink ``z``
            towards ``mu_m`` and the decoder blow it back up, leaving the flow nothing to model).
        normaliser_conf: ``MotionNormaliser`` options (hidden, n_layers).
        prior_conf: ``PriorNetwork`` options (attention_dim, heads, linear_units, n_layers = 4,
            kernel, dropout).
        estimator_conf: ``MotionFieldEstimator`` options (same keys as prior_conf).
    """

    def __init__(
        self,
        style_dim: int = 512,
        latent_dim: int = 16,
        train_window: int = 32,
        sigma_min: float = 1e-4,
        detach_target: bool = True,
        normaliser_conf: dict | None = None,
        prior_conf: dict | None = None,
        estimator_conf: dict | None = None,
    ) -> None:
        super().__init__()
        dims = {"style_dim": style_dim, "latent_dim": latent_dim}
        self.normaliser = _build_part(MotionNormaliser, normaliser_conf, dims, "normaliser_conf")
        self.prior = _build_part(PriorNetwork, prior_conf, dims, "prior_conf")
        estimator = _build_part(
            MotionFieldEstimator, estimator_conf, {"latent_dim": latent_dim}, "estimator_conf"
        )
        self.flow = ConditionalFlowMatching(estimator, sigma_min=sigma_min)
        self.norm_mse = NormaliserMSELoss()
        self.prior_nll = PriorNLLLoss()
        self.style_dim = style_dim
        self.latent_dim = latent_dim
        self.train_window = train_window
        self.detach_target = detach_target

    def forward(
        self,
        f_m: torch.Tensor,
        f_a: torch.Tensor,
        lengths: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> dict[str, torch.Tensor]:
        """Training losses on one random aligned window per sequence.

        Args:
            f_m (Tensor): (B, T_v, style_dim) target motion of each driving frame.
            f_a (Tensor): (B, T_v, style_dim) the audio mapper's output for those frames.
            lengths (LongTensor): (B,) valid frames.
            generator: draws the windows, flow times and noise (None = the global RNG).
        Returns:
            {"norm_mse": scalar, "prior_nll": scalar, "cfm": scalar}
        """
        if f_m.shape != f_a.shape:
            raise ValueError(f"motion sampler: f_m {tuple(f_m.shape)} and f_a {tuple(f_a.shape)}")
        lengths = lengths.to(f_m.device).long()
        if self.train_window:
            starts, lengths = random_windows(lengths, self.train_window, generator)
            f_m = take_windows(f_m, starts, self.train_window)
            f_a = take_windows(f_a, starts, self.train_window)
        t_len = int(lengths.max())
        f_m, f_a = f_m[:, :t_len], f_a[:, :t_len]
        mask = sequence_mask(lengths, t_len).to(f_m.dtype)  # (B, T, 1)

        z, recon = self.normaliser(f_m)
        target = (z.detach() if self.detach_target else z) * mask
        # The window's first frame plays the portrait's role (paper: "the first motion").
        mu_m = self.prior(f_m[:, 0], f_a, lengths)
        mu_c, mask_c = mu_m.transpose(1, 2), mask.transpose(1, 2)
        cfm = self.flow.loss(
            target.transpose(1, 2), mask_c, mu_c, x0_mean=mu_c, generator=generator
        )
        return {
            "norm_mse": self.norm_mse(recon, f_m, mask),
            "prior_nll": self.prior_nll(target, mu_m, mask),
            "cfm": cfm,
        }

    @torch.no_grad()
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
        """Euler ODE from N(mu_m, temperature^2 I) to ``z``, decoded to motion.

        Args:
            f_m_source (Tensor): (B, style_dim) the portrait's motion (replaces the first frame).
            f_a (Tensor): (B, T_v, style_dim) lip features of the frames to generate.
            lengths (LongTensor): (B,) valid frames.
            n_timesteps: Euler steps; temperature: std of the starting noise;
            motion_scale: scale of the deviation from ``f_m_source``;
            generator: on the device of ``f_a``; the same seed gives the same motion.
        Returns:
            f_m (Tensor): (B, T_v, style_dim), zero past each length.
        """
        lengths = lengths.to(f_a.device).long()
        mask = sequence_mask(lengths, f_a.shape[1]).to(f_a.dtype)
        mu_c = self.prior(f_m_source, f_a, lengths).transpose(1, 2)
        z = self.flow.sample(
            mu_c,
            mask.transpose(1, 2),
            n_timesteps,
            n_channels=self.latent_dim,
            temperature=temperature,
            x0_mean=mu_c,
            generator=generator,
        )
        f_m = self.normaliser.decode(z.transpose(1, 2))
        return _apply_motion_scale(f_m, f_m_source, motion_scale, mask)


@motion_sampler_registry.register("none")
class StillMotionSampler(AbsMotionSampler):
    """The portrait's own motion on every frame: a still head (nothing to learn)."""

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
        """f_m_source (B, style_dim) repeated over f_a's (B, T_v) frames, zero past lengths."""
        mask = sequence_mask(lengths.to(f_a.device), f_a.shape[1]).to(f_m_source.dtype)
        return f_m_source[:, None, :] * mask


@motion_sampler_registry.register("reference")
class ReferenceMotionSampler(AbsMotionSampler):
    """The motion of a driving video, frame by frame (``motion_scale`` around the portrait's)."""

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
        """f_m_reference (B, >= T_v, style_dim) -> its first T_v frames, zero past lengths."""
        t_len = f_a.shape[1]
        if f_m_reference is None:
            raise ValueError(
                "motion_sampler 'reference' needs the motion of a driving video "
                "(f_m_reference, (B, T_v, style_dim)); give a reference video or choose "
                "motion_sampler 'cfm' or 'none'"
            )
        if f_m_reference.shape[1] < t_len:
            raise ValueError(
                f"motion_sampler 'reference': the driving video has {f_m_reference.shape[1]} "
                f"frames but {t_len} are to be generated; use a driving video at least as long "
                "as the speech (25 fps)"
            )
        mask = sequence_mask(lengths.to(f_a.device), t_len).to(f_m_reference.dtype)
        return _apply_motion_scale(f_m_reference[:, :t_len], f_m_source, motion_scale, mask)
