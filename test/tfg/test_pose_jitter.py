import numpy as np
import pytest
import torch

from ttsf.data.mini.render import apply_pose
from ttsf.tfg.pose_jitter import check_pose_range, pose_matrices, random_poses, repose


def _smooth_image(size: int = 64) -> np.ndarray:
    """(S, S, 3) uint8 with smooth gradients and a blob off-centre, so a wrong sign of the
    rotation or the shift shows."""
    y, x = np.mgrid[0:size, 0:size] / size
    blob = np.exp(-((x - 0.3) ** 2 + (y - 0.4) ** 2) / 0.01)
    img = np.stack([x, y, blob], -1) * 255
    return img.round().astype(np.uint8)


@pytest.mark.parametrize(
    "pose", [(3, 0.02, 0, 1.0), (-3, -0.02, 0.01, 0.98), (10, 0.05, -0.04, 1.05)]
)
def test_repose_matches_the_corpus_head_sway(pose):
    """A pose applied by torch equals cv2's apply_pose (the corpus renderer's, and the one the
    held-out spread probe uses) away from the reflected borders."""
    img = _smooth_image()
    want = apply_pose(img, pose).astype(np.float64)
    deg, tx, ty, zoom = pose
    m = pose_matrices(torch.tensor([float(deg)]), torch.tensor([[tx, ty]]), torch.tensor([zoom]))
    x = torch.from_numpy(img).permute(2, 0, 1)[None].double()
    got = repose(x, m.double())[0].permute(1, 2, 0).numpy()
    inner = (slice(8, -8), slice(8, -8))
    err = np.abs(got[inner] - want[inner])
    assert err.mean() < 1.0 and err.max() < 8.0  # cv2 samples with fixed-point weights
    # the transform moved the image far more than the two samplers differ: returning the
    # input would not pass
    assert np.abs(img[inner].astype(np.float64) - want[inner]).mean() > 3 * err.mean()


def test_random_poses_are_seeded_within_range_and_differentiable():
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    images.requires_grad_(True)
    torch.manual_seed(0)
    views = random_poses(images, 3)
    assert views.shape == (2, 3, 3, 32, 32)
    torch.manual_seed(0)
    assert torch.equal(views, random_poses(images, 3))
    assert not torch.allclose(views[:, 0], views[:, 1])  # each view its own pose
    views.sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0
    still = random_poses(images, 2, (0.0, 0.0, 0.0))  # no range: the image itself
    assert torch.allclose(still, images[:, None].expand_as(still), atol=1e-5)


def test_bad_pose_range_is_a_clear_error():
    assert check_pose_range([3, 0.02, 0.02]) == (3.0, 0.02, 0.02)
    for bad in ([3, 0.02], [-1, 0, 0], [3, 0.02, 1.0]):
        with pytest.raises(ValueError, match="portrait_view_range"):
            check_pose_range(bad)
    with pytest.raises(ValueError, match="square"):
        random_poses(torch.zeros(1, 3, 8, 16), 1)
