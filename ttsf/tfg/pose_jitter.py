"""The portrait seen in other head poses: small random rotations, shifts and zooms of the image.

A clip's driving frames show one person in a few poses, but the frames the joint stage reads
are consecutive (one window), so their head barely moves while their mouth does. The code
terms (``canonical``, ``voice_pose``) that ask a clip's motion-removed codes or speaker
embeddings to agree therefore learn to ignore the mouth far more than the pose. Re-posed copies
of the portrait add views that differ in the pose alone, drawn from the same family of
transforms as the corpus's head sway (:func:`ttsf.data.mini.render.apply_pose`: a rotation
about the centre, a shift and a zoom, borders reflected). Not in the paper.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

#: (degrees, shift as a fraction of the side, zoom change): the mini corpus's head sway
DEFAULT_POSE_RANGE = (3.0, 0.02, 0.02)


def pose_matrices(degrees: torch.Tensor, shift: torch.Tensor, zoom: torch.Tensor) -> torch.Tensor:
    """The forward transforms (N, 2, 3) in normalised coordinates ([-1, 1], y down) of a
    rotation by ``degrees`` (N,) about the centre, scaled by ``zoom`` (N,) and shifted by
    ``shift`` (N, 2) fractions of the side, as ``cv2.getRotationMatrix2D`` (a positive angle
    turns the image counter-clockwise on screen) followed by a shift."""
    a = torch.deg2rad(degrees)
    cos, sin = zoom * torch.cos(a), zoom * torch.sin(a)
    # cv2's matrix in pixel coordinates is [[c, s], [-s, c]] about the centre: the same in
    # normalised coordinates of a square image; a shift of f * side is 2 f normalised
    return torch.stack(
        [
            torch.stack([cos, sin, 2 * shift[:, 0]], -1),
            torch.stack([-sin, cos, 2 * shift[:, 1]], -1),
        ],
        dim=1,
    )


def repose(images: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
    """images (N, C, H, W) seen through the forward transforms ``matrices`` (N, 2, 3) of
    :func:`pose_matrices`, bilinear, the borders reflected. Differentiable in ``images``."""
    # grid_sample maps output to input coordinates: the inverse of the forward transform
    full = torch.cat(
        [matrices, matrices.new_tensor([0.0, 0.0, 1.0]).expand(len(matrices), 1, 3)], 1
    )
    theta = torch.linalg.inv(full)[:, :2]
    grid = F.affine_grid(theta.to(images.dtype), list(images.shape), align_corners=False)
    return F.grid_sample(
        images, grid, mode="bilinear", padding_mode="reflection", align_corners=False
    )


def random_poses(
    images: torch.Tensor, n_views: int, pose_range: tuple[float, float, float] = DEFAULT_POSE_RANGE
) -> torch.Tensor:
    """images (B, C, H, W) -> (B, n_views, C, H, W): each image in ``n_views`` poses drawn
    uniformly within ``pose_range`` (max degrees, max shift fraction, max zoom change), from
    torch's global generator (the trainer seeds it)."""
    if images.shape[-1] != images.shape[-2]:
        raise ValueError(f"random_poses needs square images, got {tuple(images.shape[-2:])}")
    max_deg, max_shift, max_zoom = (float(x) for x in pose_range)
    n = images.shape[0] * n_views

    def uniform(*shape: int, bound: float) -> torch.Tensor:
        return (torch.rand(*shape, device=images.device) * 2 - 1) * bound

    matrices = pose_matrices(
        uniform(n, bound=max_deg), uniform(n, 2, bound=max_shift), 1 + uniform(n, bound=max_zoom)
    )
    views = repose(images.repeat_interleave(n_views, dim=0), matrices)
    return views.view(images.shape[0], n_views, *images.shape[1:])


def check_pose_range(pose_range: tuple[float, float, float]) -> tuple[float, float, float]:
    """``model_conf.portrait_view_range`` validated: three bounds >= 0, the zoom change < 1."""
    values = tuple(float(x) for x in pose_range)
    if len(values) != 3 or min(values) < 0 or values[2] >= 1 or not all(map(math.isfinite, values)):
        raise ValueError(
            "model_conf.portrait_view_range must be [max degrees, max shift (fraction of the "
            f"side), max zoom change (< 1)], each >= 0, got {list(pose_range)}"
        )
    return values
