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

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from ttsf.tfg.abs_face_generator import AbsFaceGenerator
    from ttsf.tfg.abs_motion_extractor import AbsMotionExtractor


def blank_lower_half(frames: torch.Tensor) -> torch.Tensor:
    """frames (..., 3, H, W) face crops in [-1, 1] -> a copy with rows H//2 .. H-1 set to 0
    (mid grey): the region the lip-sync expert reads (:func:`ttsf.tfg.syncnet.crop_mouth`)."""
    out = frames.clone()
    out[..., frames.shape[-2] // 2 :, :] = 0.0
    return out


def read_motion(
    generator: AbsFaceGenerator,
    extractor: AbsMotionExtractor,
    images: torch.Tensor,
    mask_lower_face: bool,
) -> torch.Tensor:
    """images (N, 3, S, S) in [-1, 1] -> motion codes f_m (N, D) = M(E(images)), from blanked
    lower halves when the model was trained with ``mask_lower_face``."""
    if mask_lower_face:
        images = blank_lower_half(images)
    return extractor(generator.encode(images)[0])


def portrait_codes(
    generator: AbsFaceGenerator,
    extractor: AbsMotionExtractor,
    image: torch.Tensor,
    mask_lower_face: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """image (B, 3, S, S) in [-1, 1] -> f_s (B, D), f_m_s (B, D), f_id = f_s - f_m_s (B, D) and
    the source maps G warps. E runs once, unless ``mask_lower_face`` needs ``f_m_s`` from a
    second pass on the blanked portrait."""
    f_s, maps = generator.encode(image)
    if mask_lower_face:
        f_m_s = read_motion(generator, extractor, image, mask_lower_face=True)
    else:
        f_m_s = extractor(f_s)
    return f_s, f_m_s, f_s - f_m_s, maps
