"""The lower-face mask of the driving frames (Wav2Lip's lower-half mask, as an option).

TTSF §3.1: "the lack of augmentation for target frames leads to the model replicating lip
motions from the target frames rather than from audio sources". The paper keeps the targets as
they are and answers with the audio layers and the sync loss. With ``mask_lower_face`` every
motion code (the driving frames', the motion sampler's targets, the portrait's ``f_m_s``) is
read from frames whose lower half is blanked, so the motion carries the head pose but not the
mouth, and the reconstruction loss can only be met by drawing the mouth from the lip features
``f_a``: a dense training signal for them instead of the sync loss alone.
"""

from __future__ import annotations

import torch


def blank_lower_half(frames: torch.Tensor) -> torch.Tensor:
    """frames (..., 3, H, W) face crops in [-1, 1] -> a copy with rows H//2 .. H-1 set to 0
    (mid grey): the region the lip-sync expert reads (:func:`ttsf.tfg.syncnet.crop_mouth`)."""
    out = frames.clone()
    out[..., frames.shape[-2] // 2 :, :] = 0.0
    return out
