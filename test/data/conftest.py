"""Small LRS3-layout corpora written on the fly for the data tests."""

import numpy as np
import pytest

from ttsf.data.transcript import Transcript, Word, write_transcript
from ttsf.video.io import write_video


def astronaut_clip(n_frames: int = 25, size: int = 224) -> np.ndarray:
    """(T, size, size, 3): skimage's astronaut portrait, drifting a few pixels per frame."""
    import cv2
    import skimage.data

    img = skimage.data.astronaut()[:320, 80:400]  # head and shoulders
    img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    frames = []
    for i in range(n_frames):
        m = np.float32([[1, 0, np.sin(i / 5) * 3], [0, 1, 0]])
        frames.append(cv2.warpAffine(img, m, (size, size), borderMode=cv2.BORDER_REPLICATE))
    return np.stack(frames)


def tone(seconds: float, sr: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.2 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) / 2).astype(
        np.float32
    )


def write_lrs3_utt(root, subset, spk, utt, text, frames, audio=True):
    d = root / subset / spk
    d.mkdir(parents=True, exist_ok=True)
    write_video(d / f"{utt}.mp4", frames, fps=25, audio=tone(len(frames) / 25) if audio else None)
    words = [Word(w, 0.1 * i, 0.1 * i + 0.1, 1.0) for i, w in enumerate(text.split())]
    write_transcript(d / f"{utt}.txt", Transcript(text, 4.0, words))


@pytest.fixture(scope="session")
def lrs3_root(tmp_path_factory):
    """trainval: 2 speakers x 2 clips of the astronaut, 1 grey clip (no face), 1 corrupt mp4."""
    root = tmp_path_factory.mktemp("LRS3")
    clip = astronaut_clip()
    write_lrs3_utt(root, "trainval", "spkAAAAAAAA", "00001", "HELLO THERE", clip)
    write_lrs3_utt(root, "trainval", "spkAAAAAAAA", "00002", "IT'S A NICE DAY", clip[:20])
    write_lrs3_utt(root, "trainval", "spkBBBBBBBB", "00001", "I DON'T KNOW", clip[::-1])
    grey = np.full((20, 224, 224, 3), 128, np.uint8)
    write_lrs3_utt(root, "trainval", "spkBBBBBBBB", "00002", "NOBODY HERE", grey)
    # corrupt: a valid header but the video data cut off and overwritten with garbage
    write_lrs3_utt(root, "trainval", "spkCCCCCCCC", "00001", "BROKEN CLIP", clip[:20])
    bad = root / "trainval" / "spkCCCCCCCC" / "00001.mp4"
    data = bytearray(bad.read_bytes())
    start = data.find(b"mdat") + 8
    data[start : start + 4000] = bytes(np.random.default_rng(0).integers(0, 256, 4000, np.uint8))
    bad.write_bytes(bytes(data))
    write_lrs3_utt(root, "test", "spkTTTTTTTT", "00001", "A TEST SENTENCE", clip)
    write_lrs3_utt(root, "test", "spkTTTTTTTT", "00002", "ANOTHER ONE", clip)
    return root
