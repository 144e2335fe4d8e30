import numpy as np
import pytest
import torch

from ttsf.metrics.abs_metric import MetricNotRun
from ttsf.metrics.div import _LANDMARKS, _MODEL_3D, DIV, pose_from_landmarks
from ttsf.metrics.id_sim import IDSim


def astronaut_face(size: int = 256) -> np.ndarray:
    """skimage's astronaut portrait cropped around her face (dlib finds it at x 175-265,
    y 76-166 of the 512x512 image)."""
    import cv2
    import skimage.data

    return cv2.resize(skimage.data.astronaut()[21:221, 120:320], (size, size))


def project(yaw_deg: float, w: int = 256) -> np.ndarray:
    """68 landmarks with the six pose points of the generic face rotated by ``yaw``."""
    import cv2

    rvec = np.array([0.0, np.deg2rad(yaw_deg), 0.0])
    cam = np.array([[w, 0, w / 2], [0, w, w / 2], [0, 0, 1]], dtype=np.float64)
    pts, _ = cv2.projectPoints(_MODEL_3D, rvec, np.array([0.0, 0.0, 2000.0]), cam, np.zeros(4))
    lm = np.zeros((68, 2))
    lm[_LANDMARKS] = pts[:, 0]
    return lm


def test_pose_from_landmarks_recovers_a_known_yaw():
    for yaw in (-20.0, 0.0, 15.0):
        y, p, r = pose_from_landmarks(project(yaw), 256, 256)
        assert y == pytest.approx(yaw, abs=0.5) and abs(p) < 0.5 and abs(r) < 0.5


def test_pose_from_landmarks_is_not_the_mirrored_solution():
    """Landmarks of two consecutive generated frames (a blurry 64x64 face, upscaled) on which
    the unguided solver returned roll +-180 and yaw ~30: both must read as the same upright,
    slightly turned head."""
    frames = [[[108, 144], [125, 260], [49, 74], [189, 71], [75, 197], [160, 190]],
              [[106, 151], [122, 263], [51, 83], [191, 79], [78, 207], [160, 202]]]  # fmt: skip
    poses = []
    for six in frames:
        lm = np.zeros((68, 2))
        lm[_LANDMARKS] = six
        poses.append(pose_from_landmarks(lm, 256, 256))
    for yaw, pitch, roll in poses:
        assert abs(roll) < 10 and abs(pitch) < 15 and abs(yaw) < 20
    assert np.abs(poses[0] - poses[1]).max() < 5


def test_dlib_id_sim_of_a_frame_with_itself_is_one():
    face = astronaut_face()
    video = np.stack([face] * 3)
    s = IDSim(backend="dlib", frame_stride=2).score({"hyp_frames": video, "ref_frames": video})
    assert s["id_sim"] == pytest.approx(1.0, abs=1e-9)
    flipped = IDSim(backend="dlib").score({"hyp_frames": video[:, :, ::-1], "ref_frames": video})
    assert 0.5 < flipped["id_sim"] < 1.0


def test_dlib_div_of_a_still_video_is_zero_and_of_a_rotating_one_positive():
    import cv2

    face = astronaut_face()
    still = np.stack([face] * 4)
    m = DIV(backend="dlib_pnp")
    assert m.score({"hyp_frames": still})["div"] == pytest.approx(0.0, abs=1e-9)
    rot = [cv2.warpAffine(face, cv2.getRotationMatrix2D((128, 128), a, 1.0), (256, 256))
           for a in (-10, 0, 10)]  # fmt: skip
    s = m.score({"hyp_frames": np.stack(rot)})
    # in-plane rotation of +-10 degrees: roll std ~ 8.2 deg, one third of it in the mean
    assert 1.0 < s["div_deg"] < 10.0 and s["div"] == pytest.approx(np.deg2rad(s["div_deg"]))


def test_arcface_id_sim_through_the_iresnet_loader(tmp_path):
    from ttsf.pretrained.iresnet import IRESNET_LAYERS, IResNet

    torch.save(IResNet(IRESNET_LAYERS[18]).state_dict(), tmp_path / "backbone.pth")
    m = IDSim(backend="arcface", weights=str(tmp_path / "backbone.pth"), depth=18)
    video = np.stack([astronaut_face()] * 2)
    assert m.score({"hyp_frames": video, "ref_frames": video})["id_sim"] == pytest.approx(1.0)


def test_missing_weights_are_not_run():
    with pytest.raises(MetricNotRun, match="backbone.pth"):
        IDSim().setup()
    with pytest.raises(MetricNotRun, match="hopenet"):
        DIV().setup()
