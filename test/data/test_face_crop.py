"""Face detectors on skimage's astronaut; tracking, smoothing and the centred 256x256 crop."""

import numpy as np
import pytest
import skimage.data

from ttsf.data.abs_face_detector import face_detector_registry
from ttsf.data.face_crop import NoFaceError, crop_faces, smooth_boxes, track_face
from ttsf.registry import get_registry

get_registry("face_detector")  # registers the built-in detectors

# the astronaut's face, by hand on the 512x512 image: x 178..266, y 70..170
FACE = (178, 70, 266, 170)


@pytest.mark.parametrize("name", ["mtcnn", "dlib"])
def test_detector_finds_the_astronaut(name):
    boxes = face_detector_registry.build(name).detect(skimage.data.astronaut())
    assert boxes.shape[1] == 5 and len(boxes) >= 1
    x0, y0, x1, y1, _ = boxes[0]
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    assert abs(cx - (FACE[0] + FACE[2]) / 2) < 12 and abs(cy - (FACE[1] + FACE[3]) / 2) < 15
    assert 70 < x1 - x0 < 120


def test_crop_is_256_and_centred():
    img = skimage.data.astronaut()
    det = face_detector_registry.build("mtcnn")
    frames = np.stack([np.roll(img, 4 * i, axis=1) for i in range(6)])  # face moves right
    boxes = track_face(det, frames, detect_every=2)
    assert boxes.shape == (6, 3)
    assert boxes[-1, 0] - boxes[0, 0] == pytest.approx(20, abs=3)
    crops = crop_faces(frames, boxes, size=256, scale=1.8)
    assert crops.shape == (6, 256, 256, 3) and crops.dtype == np.uint8
    for crop in crops[[0, -1]]:
        x0, y0, x1, y1, _ = det.detect(crop)[0]
        assert abs((x0 + x1) / 2 - 128) < 10 and abs((y0 + y1) / 2 - 128) < 10
        assert (y1 - y0) == pytest.approx(256 / 1.8, rel=0.25)  # face fills 1/scale of the crop


def test_smoothing_removes_jitter_keeps_trend():
    t = np.arange(50, dtype=float)
    jitter = np.where(t % 2 == 0, 3.0, -3.0)
    boxes = np.stack([100 + t + jitter, 80 + 0 * t, 60 + 0 * t], axis=1)
    smooth = smooth_boxes(boxes, window=9)
    assert smooth.shape == boxes.shape
    inner = slice(5, -5)
    assert np.abs(smooth[inner, 0] - (100 + t[inner])).max() < 0.5  # jitter averaged out
    np.testing.assert_allclose(smooth[:, 1:], boxes[:, 1:])


def test_no_face_raises():
    grey = np.full((4, 120, 120, 3), 128, np.uint8)
    with pytest.raises(NoFaceError, match="0 of"):
        track_face(face_detector_registry.build("mtcnn"), grey, detect_every=1)
