"""The face generator's pretraining: self-reenactment, as LIA trains (LIA §3.3).

A portrait frame and K driving frames of the same clip; E, M and G rebuild each driving frame
from the portrait's identity and the driver's motion, judged by the frame terms of
:class:`~ttsf.models.face_gan.FaceGAN` (``rec``, ``perceptual``, ``id``, ``adv``,
``canonical``; no speech, so no ``sync``)::

    x_s (B,3,H,W) -> f_s, f_id, maps ; x_d (B,K,3,H,W) -> f_m_d (B,K,D)
    G(fuse(f_id, f_m_d, f_s), maps) -> x_hat (B,K,3,H,W)

The paper trains the generator only jointly (40 epochs of LRS3). A short joint run does not get
that far: on the mini corpus, after 240 joint steps, G rendered a quarter of the head motion its
motion codes carry and none of their mouths (docs/mini_results.md). Pretrained here beside the
TTS, the joint stage starts from a generator that renders motion (``init_param`` of the joint
config loads ``face_generator``, ``motion_extractor`` and ``discriminator`` from this model's
``model.pth``: the parameter names are the joint model's).
"""

from __future__ import annotations

import torch

from ttsf.models.face_gan import FaceGAN


class Reenactment(FaceGAN):
    """E, M, G, D of the joint model, trained without speech (arguments: :class:`FaceGAN`)."""

    def forward(self, source: torch.Tensor, driving: torch.Tensor, optim_idx: int = 0) -> dict:
        """
        Args:
            source (Tensor): (B, 3, H, W) portrait frames in [-1, 1].
            driving (Tensor): (B, K, 3, H, W) frames of the same clips to rebuild.
            optim_idx: 0 generator (E, M, G), 1 discriminator.
        """
        if optim_idx == 1:
            return self._discriminator_step()
        stats: dict[str, torch.Tensor] = {}
        f_s, _, f_id, maps = self.identity(source)
        f_m_d, clip_codes = self.driving_motion(driving, f_s, f_id, source)
        x_hat = self.render(f_s, f_id, f_m_d, None, maps)
        total = self.frame_losses(x_hat, driving, source, stats, clip_codes=clip_codes)
        stats["loss"] = total.detach()
        return {"loss": total, "stats": stats, "weight": source.shape[0], "frames": x_hat}
