"""Reference-driven animation (LIA's task; TTSF §3.1 with a driving video instead of the motion
sampler): one portrait + driving frames -> frames with the portrait's identity and the driver's
motion. Used by ``ttsf-animate``.

The portrait is encoded once; each driving frame only passes E and M for its motion
``f_m_d``. Styles follow the motion fusion (no lip feature: the driver's mouth comes through its
motion). ``relative=True`` is LIA's relative transfer ``f_m = f_m_s + (f_m_d - f_m_d[0])``: a
driver of another person then moves the portrait without imposing its own resting pose.
A model trained with ``model_conf.mask_lower_face`` reads motion from blanked lower halves
(:mod:`ttsf.tfg.lower_face_mask`): it transfers the driver's head motion but not its mouth.
"""

from __future__ import annotations

from typing import Iterator, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ttsf.tfg.abs_face_generator import AbsFaceGenerator
from ttsf.tfg.abs_motion_extractor import AbsMotionExtractor
from ttsf.tfg.lower_face_mask import portrait_codes, read_motion
from ttsf.tfg.motion_fusion import DEFAULT_MOTION_LAYERS, fuse_styles


def to_model_images(images: np.ndarray, size: int) -> torch.Tensor:
    """(T, H, W, 3) uint8 RGB -> (T, 3, size, size) float in [-1, 1] (centre square crop)."""
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"images must be (T, H, W, 3) RGB, got {images.shape}")
    h, w = images.shape[1:3]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    x = torch.from_numpy(np.array(images[:, top : top + s, left : left + s]))  # own copy
    x = x.permute(0, 3, 1, 2).float() / 127.5 - 1.0
    if s != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
    return x


def to_uint8_frames(frames: torch.Tensor) -> np.ndarray:
    """(T, 3, H, W) in [-1, 1] -> (T, H, W, 3) uint8 (clamped)."""
    x = ((frames.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).cpu().numpy()


def load_submodule(
    module: torch.nn.Module, state: Mapping[str, torch.Tensor], prefix: str, source: str
) -> None:
    """Load the ``prefix.*`` entries of a joint model's state dict into ``module``."""
    sub = {k[len(prefix) + 1 :]: v for k, v in state.items() if k.startswith(prefix + ".")}
    if not sub:
        raise ValueError(f"{source} has no '{prefix}.*' weights: is it a TTSF model file?")
    result = module.load_state_dict(sub, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(
            f"{source}: '{prefix}' weights do not fit the configured network (missing "
            f"{result.missing_keys[:3]}, unexpected {result.unexpected_keys[:3]}); check that "
            "the config is the one the model was trained with"
        )


@torch.no_grad()
def animate(
    generator: AbsFaceGenerator,
    extractor: AbsMotionExtractor,
    portrait: torch.Tensor,
    driver: torch.Tensor,
    batch_size: int = 8,
    relative: bool = False,
    motion_layers: Sequence[int] = DEFAULT_MOTION_LAYERS,
    mask_lower_face: bool = False,
) -> Iterator[torch.Tensor]:
    """Yield the animated frames batch by batch.

    Args:
        portrait (Tensor): (1, 3, S, S) in [-1, 1].
        driver (Tensor): (T, 3, S, S) in [-1, 1] driving frames.
        batch_size: frames per decoder call.
        relative: LIA's relative motion transfer (see the module docstring).
        mask_lower_face: as the model was trained (``model_conf.mask_lower_face``).
    Yields:
        frames (Tensor): (<= batch_size, 3, S, S) in [-1, 1].
    """

    f_s, f_m_s, f_id, feats = portrait_codes(generator, extractor, portrait, mask_lower_face)
    f_m_first = None
    for start in range(0, driver.shape[0], batch_size):
        f_m = read_motion(generator, extractor, driver[start : start + batch_size], mask_lower_face)
        if relative:
            if f_m_first is None:
                f_m_first = f_m[:1]
            f_m = f_m_s + (f_m - f_m_first)
        styles = fuse_styles(
            f_id, f_m, f_s, generator.n_styles, motion_layers=motion_layers, audio_layers=()
        )
        yield generator.decode(styles, feats)
