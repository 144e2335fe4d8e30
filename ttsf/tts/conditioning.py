"""Speaker conditioning plugins: face identity (TTSF §3.3), speaker id, x-vector, none.

Each returns a (B, output_dim) vector that the TTS concatenates to its text-encoder input and
its decoder input, where Matcha-TTS puts its speaker embedding. ``output_dim`` is the TTS's
``spk_emb_dim`` (Matcha-TTS: 64); the TTS passes it when it builds the plugin.
"""

from __future__ import annotations

import torch
from torch import nn

from ttsf.tts.abs_conditioning import AbsSpeakerConditioning, tts_conditioning_registry

__all__ = ["FaceIdConditioning", "SpeakerIdConditioning", "XVectorConditioning", "NoConditioning"]


class _Projection(AbsSpeakerConditioning):
    """A linear map of an external vector (B, in_dim) -> (B, output_dim)."""

    def __init__(self, in_dim: int, output_dim: int, zero_init: bool, name: str) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.output_dim = output_dim
        self._name = name
        self.proj = nn.Linear(in_dim, output_dim)
        if zero_init:
            # Starts as "no condition": a model pretrained with `none` (keep_channels) loads
            # into this one and produces the same outputs until the projection learns.
            nn.init.zeros_(self.proj.weight)
            nn.init.zeros_(self.proj.bias)

    def forward(self, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor:
        if cond is None:
            raise ValueError(f"tts_conditioning '{self._name}' needs a (B, {self.in_dim}) input")
        if cond.dim() != 2 or cond.shape != (batch_size, self.in_dim):
            raise ValueError(
                f"tts_conditioning '{self._name}' expects ({batch_size}, {self.in_dim}), "
                f"got {tuple(cond.shape)}"
            )
        return self.proj(cond.to(self.proj.weight.dtype))


@tts_conditioning_registry.register("face_id")
class FaceIdConditioning(_Projection):
    """The motion-removed face identity ``f_id = f_s - f_m_s`` (TTSF §3.1, §3.3), projected.

    Args:
        style_dim: size of ``f_id`` (the face generator's latent size).
        output_dim: embedding size the TTS takes (set by the TTS).
        zero_init: zero the projection, for fine-tuning a model pretrained with ``none``.
    """

    def __init__(self, style_dim: int = 512, output_dim: int = 64, zero_init: bool = False) -> None:
        super().__init__(style_dim, output_dim, zero_init, "face_id")


@tts_conditioning_registry.register("xvector")
class XVectorConditioning(_Projection):
    """An external speaker embedding (x-vector, d-vector) of size ``xvector_dim``, projected."""

    def __init__(
        self, xvector_dim: int = 512, output_dim: int = 64, zero_init: bool = False
    ) -> None:
        super().__init__(xvector_dim, output_dim, zero_init, "xvector")


@tts_conditioning_registry.register("spk_id")
class SpeakerIdConditioning(AbsSpeakerConditioning):
    """A lookup table of ``n_spks`` speakers (Matcha-TTS's multi-speaker embedding)."""

    def __init__(self, n_spks: int = 1, output_dim: int = 64) -> None:
        super().__init__()
        if n_spks < 1:
            raise ValueError(f"spk_id conditioning needs n_spks >= 1, got {n_spks}")
        self.output_dim = output_dim
        self.embedding = nn.Embedding(n_spks, output_dim)

    def forward(self, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor:
        if cond is None or cond.shape != (batch_size,):
            shape = None if cond is None else tuple(cond.shape)
            raise ValueError(f"tts_conditioning 'spk_id' expects ({batch_size},) ids, got {shape}")
        n = self.embedding.num_embeddings
        if bool(((cond < 0) | (cond >= n)).any()):
            raise ValueError(f"speaker ids {cond.tolist()} outside [0, {n})")
        return self.embedding(cond.long())


@tts_conditioning_registry.register("none")
class NoConditioning(AbsSpeakerConditioning):
    """No speaker information (single-speaker Matcha-TTS).

    Args:
        output_dim: set by the TTS.
        keep_channels: still feed ``output_dim`` zero channels, so the network has the shapes
            of a conditioned one: pretrain with this, then fine-tune with ``face_id`` (with
            ``zero_init``) from identical outputs. Without it the network is Matcha-TTS's
            single-speaker one.
    """

    def __init__(self, output_dim: int = 64, keep_channels: bool = False) -> None:
        super().__init__()
        self.output_dim = output_dim if keep_channels else 0
        # Carries the device and dtype of the zeros (the module has no parameters).
        self.register_buffer("zero", torch.zeros(1, 1), persistent=False)

    def forward(self, cond: torch.Tensor | None, batch_size: int) -> torch.Tensor | None:
        if self.output_dim == 0:
            return None
        return self.zero.expand(batch_size, self.output_dim)
