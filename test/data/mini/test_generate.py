"""The mini corpus: deterministic bytes, LRS3 layout, audio and video of equal length."""

import numpy as np
import pytest

from ttsf.data.corpora import scan_lrs3
from ttsf.data.mini.generate import make_mini_corpus
from ttsf.data.mini.render import mouth_openness
from ttsf.data.mini.sentences import generate_sentences, is_heldout
from ttsf.video.io import probe, read_audio


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mini")
    make_mini_corpus(tmp / "a", seed=1, n_utts=5, n_heldout=3)
    make_mini_corpus(tmp / "b", seed=1, n_utts=5, n_heldout=3)
    return tmp / "a", tmp / "b"


def test_same_seed_same_bytes(two_runs):
    a, b = two_runs
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) == 2 * 5 + 1
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_lrs3_layout_and_durations_agree(two_runs):
    a, _ = two_runs
    utts = scan_lrs3(a, ["pretrain", "trainval", "test"]) if (a / "pretrain").is_dir() else \
        scan_lrs3(a, ["trainval", "test"])  # fmt: skip
    assert len(utts) == 5
    test_texts = [u.text for u in utts if "_test_" in u.utt_id]
    assert test_texts and all(is_heldout(t.lower()) for t in test_texts)
    for u in utts:
        info = probe(u.video)
        assert info.fps == 25 and (info.width, info.height) == (256, 256) and info.has_audio
        wav = read_audio(u.video, 16000)
        assert len(wav) / 16000 == pytest.approx(info.num_frames / 25, abs=1e-3)
        assert np.abs(wav).max() > 0.05  # there is speech


def test_sentences_deterministic_and_heldout_disjoint():
    train = generate_sentences(300, seed=0)
    assert train == generate_sentences(300, seed=0) and len(set(train)) == 300
    assert train != generate_sentences(300, seed=1)
    held = generate_sentences(30, seed=0, heldout=True)
    assert not set(held) & set(train)
    assert all(3 <= len(s.split()) <= 10 and s.isupper() for s in train)


def test_mouth_follows_energy():
    sr = 16000
    wav = np.zeros(sr, np.float32)
    wav[8000:12000] = 0.5 * np.sin(np.arange(4000) / 3.0)  # speech from 0.5 s to 0.75 s
    opening = mouth_openness(wav, sr, 25)
    assert opening[:10].max() < 0.05 and opening[14:18].min() > 0.8 and opening[21:].max() < 0.05
