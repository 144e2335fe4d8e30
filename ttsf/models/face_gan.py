"""What the joint model and the face generator's pretraining share: E, M, G and D, and the
frame losses of TTSF §3.1 (Eq. 3-7) on frames rendered from a portrait.

Rendering (Eq. 1)::

    x_s (B,3,H,W) --E--> f_s, maps ; f_m_s = M(f_s) ; f_id = f_s - f_m_s
    per-frame motion f_m (B,T,D) [+ lip features f_a] -> styles -> G(styles, maps) -> frames

The frame terms compare generated frames with the driving ones (``rec``, ``perceptual``),
with the portrait (``id``) and with the speech (``sync``); ``adv`` is D's non-saturating loss.
``canonical`` (optional, not in the paper) asks the motion-removed codes ``f_id`` of the
portrait and of the driving frames, one clip in many poses, to agree; ``portrait_views`` adds
re-posed copies of the portrait to those views (:mod:`ttsf.tfg.pose_jitter`).
A term is computed when its loss module exists and its ``lambda_<term>`` is not zero. Each
generator step caches its frames for the discriminator step that follows (``optim_idx`` 1).
"""

from __future__ import annotations

import torch
from torch import nn

from ttsf.tfg.abs_discriminator import AbsDiscriminator
from ttsf.tfg.abs_face_generator import AbsFaceGenerator
from ttsf.tfg.abs_motion_extractor import AbsMotionExtractor
from ttsf.tfg.lower_face_mask import portrait_codes, read_motion
from ttsf.tfg.motion_fusion import DEFAULT_AUDIO_LAYERS, DEFAULT_MOTION_LAYERS, fuse_styles
from ttsf.tfg.pose_jitter import DEFAULT_POSE_RANGE, check_pose_range, random_poses


class FaceGAN(nn.Module):
    """Args:
    face_generator, motion_extractor, discriminator: the registered components, built
        (``discriminator`` None: no adversarial term).
    losses: {term: loss module} for "adv" and the frame terms.
    loss_weights: {"lambda_<term>": weight}; a term with weight 0 or no module is skipped.
    motion_layers, audio_layers: generator layers of Eq. 1 (1-7 and 6-7).
    mask_lower_face: read every motion code from frames with the lower half blanked
        (:mod:`ttsf.tfg.lower_face_mask`; the paper keeps it off).
    portrait_views: how many copies of the portrait, each in a random head pose within
        ``portrait_view_range`` (max degrees, max shift fraction, max zoom change), join the
        driving frames as views of the clip for the code terms (``canonical``, and the joint
        model's ``voice_pose``, ``duration_pose``): views that differ in the pose alone, where
        a window's frames differ mostly in the mouth (:mod:`ttsf.tfg.pose_jitter`). They are
        not rendered. 0: none (the paper has no such terms).
    portrait_view_terms: the code terms that read those views (None: every one the model
        has); the others compare the portrait and the driving frames only.
    """

    def __init__(
        self,
        face_generator: AbsFaceGenerator,
        motion_extractor: AbsMotionExtractor,
        discriminator: AbsDiscriminator | None,
        losses: dict[str, nn.Module],
        loss_weights: dict[str, float],
        motion_layers: tuple[int, ...] = DEFAULT_MOTION_LAYERS,
        audio_layers: tuple[int, ...] = DEFAULT_AUDIO_LAYERS,
        mask_lower_face: bool = False,
        portrait_views: int = 0,
        portrait_view_range: tuple[float, float, float] = DEFAULT_POSE_RANGE,
        portrait_view_terms: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__()
        self.face_generator = face_generator
        self.motion_extractor = motion_extractor
        self.discriminator = discriminator
        self.losses = nn.ModuleDict(losses)
        self.weights = {k.removeprefix("lambda_"): float(v) for k, v in loss_weights.items()}
        self.motion_layers = tuple(motion_layers)
        self.audio_layers = tuple(audio_layers)
        self.mask_lower_face = bool(mask_lower_face)
        if portrait_views < 0:
            raise ValueError(f"model_conf.portrait_views must be >= 0, got {portrait_views}")
        self.portrait_views = int(portrait_views)
        self.portrait_view_range = check_pose_range(portrait_view_range)
        if portrait_view_terms is None:
            portrait_view_terms = self.code_terms
        if set(portrait_view_terms) - set(self.code_terms):
            raise ValueError(
                f"model_conf.portrait_view_terms must name code terms of {list(self.code_terms)}"
                f", got {list(portrait_view_terms)}"
            )
        self.portrait_view_terms = tuple(portrait_view_terms)
        self.register_buffer("d_steps", torch.zeros((), dtype=torch.long), persistent=True)
        self._fake_cache: tuple[torch.Tensor, torch.Tensor] | None = None

    def _w(self, term: str) -> float:
        return self.weights.get(term, 0.0)

    def _on(self, term: str) -> bool:
        """Whether the loss term is computed: it has a module and a positive weight."""
        return term in self.losses and self._w(term) > 0

    def identity(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """image (B, 3, H, W) in [-1, 1] -> f_s (B, D), f_m_s (B, D), f_id (B, D), maps."""
        return portrait_codes(
            self.face_generator, self.motion_extractor, image, self.mask_lower_face
        )

    def motion(self, frames: torch.Tensor) -> torch.Tensor:
        """frames (B, T, 3, H, W) -> motion features f_m (B, T, D)."""
        b, t = frames.shape[:2]
        return read_motion(
            self.face_generator, self.motion_extractor, frames.flatten(0, 1), self.mask_lower_face
        ).view(b, t, -1)

    #: terms that compare the codes of a clip's frames (see :meth:`driving_motion`)
    code_terms: tuple[str, ...] = ("canonical",)

    def driving_motion(
        self, frames: torch.Tensor, f_s: torch.Tensor, f_id: torch.Tensor, source: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor] | None]:
        """Motion codes of the driving frames, and the clip's codes the code terms compare.

        Args:
            frames (Tensor): (B, K, 3, H, W) driving frames; f_s, f_id (Tensor): (B, D) the
                portrait's code with and without its motion; source (Tensor): (B, 3, H, W)
                the portrait, re-posed for ``portrait_views``.
        Returns:
            f_m (Tensor): (B, K, D), as :meth:`motion`.
            clip_codes (dict | None): {"f_s", "f_id"}: (B, 1 + K + V, D) the portrait's code,
                each driving frame's (the same encoder pass that gives f_m), then each of the
                V = ``portrait_views`` re-posed portraits'; None when no term of
                ``code_terms`` is on.
        """
        if not any(self._on(term) for term in self.code_terms):
            return self.motion(frames), None
        b, k = frames.shape[:2]
        if self.portrait_views:
            views = random_poses(source, self.portrait_views, self.portrait_view_range)
            frames = torch.cat([frames, views], dim=1)
        f_s_d, f_m, f_id_d, _ = self.identity(frames.flatten(0, 1))
        clip_codes = {
            name: torch.cat([code[:, None], code_d.view(b, frames.shape[1], -1)], dim=1)
            for name, code, code_d in (("f_s", f_s, f_s_d), ("f_id", f_id, f_id_d))
        }
        return f_m.view(b, frames.shape[1], -1)[:, :k], clip_codes

    def term_views(
        self, clip_codes: dict[str, torch.Tensor], term: str, n_frames: int
    ) -> dict[str, torch.Tensor]:
        """:meth:`driving_motion`'s clip codes as the code term ``term`` reads them: the
        (B, 1 + K + V, D) codes, or the first 1 + K (portrait and ``n_frames`` = K driving
        frames) when ``term`` is not one of ``portrait_view_terms``."""
        if term in self.portrait_view_terms:
            return clip_codes
        return {name: code[:, : 1 + n_frames] for name, code in clip_codes.items()}

    def render(
        self,
        f_s: torch.Tensor,
        f_id: torch.Tensor,
        f_m: torch.Tensor,
        f_a: torch.Tensor | None,
        maps: list[torch.Tensor],
    ) -> torch.Tensor:
        """Frames for per-frame motion (and lip) features.

        Args:
            f_s, f_id (Tensor): (B, D) of the portrait.
            f_m (Tensor): (B, T, D); f_a (Tensor | None): (B, T, D).
            maps: the portrait's feature maps from ``encode`` (batch B).
        Returns:
            frames (Tensor): (B, T, 3, H, W) in [-1, 1].
        """
        b, t = f_m.shape[:2]
        styles = fuse_styles(
            f_id[:, None], f_m, f_s[:, None], self.face_generator.n_styles, f_a,
            self.motion_layers, self.audio_layers,
        )  # fmt: skip
        maps_bt = [m.repeat_interleave(t, dim=0) for m in maps] if b > 1 else maps
        frames = self.face_generator.decode(styles.flatten(0, 1), maps_bt)
        return frames.view(b, t, *frames.shape[1:])

    def frame_losses(
        self,
        x_hat: torch.Tensor,
        x_d: torch.Tensor,
        source: torch.Tensor,
        stats: dict[str, torch.Tensor],
        mel: torch.Tensor | None = None,
        clip_codes: dict[str, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """The weighted frame and adversarial terms of generated frames (logged in ``stats``).

        Args:
            x_hat, x_d (Tensor): (B, K, 3, H, W) generated and driving frames.
            source (Tensor): (B, 3, H, W) the portrait.
            mel (Tensor | None): (B, n_mels, K * mel_per_frame) the speech of the K frames,
                for ``sync`` (None: no sync term, e.g. the pretraining without speech).
            clip_codes (dict | None): :meth:`driving_motion`'s, for ``canonical`` (None: no
                such term).
        Returns:
            the weighted sum (scalar).
        """
        n_recon = x_hat.shape[1]
        flat_hat, flat_d = x_hat.flatten(0, 1), x_d.flatten(0, 1)
        terms = {
            "rec": lambda m: m(flat_hat, flat_d),
            "perceptual": lambda m: m(flat_hat, flat_d),
            "id": lambda m: m(flat_hat, source.repeat_interleave(n_recon, dim=0)),
        }
        if mel is not None:
            terms["sync"] = lambda m: m(x_hat, mel)
        if clip_codes is not None:
            f_id_views = self.term_views(clip_codes, "canonical", n_recon)["f_id"]
            terms["canonical"] = lambda m: m(f_id_views)
        total = x_hat.new_zeros(())
        for term, fn in terms.items():
            if self._on(term):
                value = fn(self.losses[term])
                stats[term] = value.detach()
                total = total + self._w(term) * value
        if self.discriminator is not None and self._w("adv") > 0:
            adv = self.losses["adv"](self.discriminator(flat_hat))
            stats["adv"] = adv.detach()
            total = total + self._w("adv") * adv
            self._fake_cache = (flat_hat.detach(), flat_d.detach())
        return total

    def _discriminator_step(self) -> dict:
        if self._fake_cache is None:
            raise RuntimeError("the discriminator step needs a generator step on its batch first")
        fake, real = self._fake_cache
        self._fake_cache = None
        adv = self.losses["adv"]
        loss = adv.discriminator_loss(self.discriminator(real), self.discriminator(fake))
        stats = {"d_loss": loss.detach()}
        r1 = adv.lazy_r1(self.discriminator, real, int(self.d_steps))
        if r1 is not None:
            stats["d_r1"] = r1.detach()
            loss = loss + r1
        self.d_steps += 1
        return {"loss": loss, "stats": stats, "weight": real.shape[0]}
