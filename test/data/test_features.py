"""Stage 2: crops, mels, tokens; a corrupt mp4 and a faceless video are skipped with reasons."""

import kaldiio
import numpy as np
import pytest

from ttsf.data.datadir import read_table, validate_data_dir
from ttsf.data.features import extract_features
from ttsf.data.prepare import prepare_data
from ttsf.video.io import probe, read_video


@pytest.fixture(scope="module")
def dumped(lrs3_root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stage2")
    prepare_data("lrs3", lrs3_root, tmp / "data" / "trainval", ["trainval"])
    summary = extract_features(tmp / "data" / "trainval", tmp / "dump", is_train=True,
                               token_type="char", max_dur=0.9)  # fmt: skip
    return tmp, summary


def test_skips_with_reasons(dumped):
    tmp, summary = dumped
    out = tmp / "dump" / "trainval"
    skipped = dict(line.split(" ", 1) for line in (out / "skipped").read_text().splitlines())
    assert skipped["spkBBBBBBBB_trainval_00002"].startswith("no face:")
    assert skipped["spkCCCCCCCC_trainval_00001"].startswith("corrupt video:")
    assert "00001.mp4" in skipped["spkCCCCCCCC_trainval_00001"]
    # the two 1.0 s clips are above --max_dur 0.9; the 0.8 s ones go on
    assert skipped["spkAAAAAAAA_trainval_00001"].startswith("duration:")
    assert summary["kept"] == 1 and summary["skipped"] == 4
    assert summary["no face"] == 1 and summary["corrupt video"] == 1 and summary["duration"] == 2


def test_dump_layout_and_alignment(dumped):
    tmp, _ = dumped
    out = tmp / "dump" / "trainval"
    assert validate_data_dir(out) == 1
    utt = "spkAAAAAAAA_trainval_00002"
    mel = kaldiio.load_scp(str(out / "feats.scp"))[utt]
    assert mel.dtype == np.float32 and mel.shape == (80, 80)  # 0.8 s: 20 video x 4 mel frames
    assert read_table(out / "utt2num_frames")[utt] == "80"
    assert read_table(out / "utt2num_video_frames")[utt] == "20"
    frames, fps = read_video(read_table(out / "frames.scp")[utt])
    assert frames.shape == (20, 256, 256, 3) and fps == 25
    tokens = (tmp / "dump" / "token_list" / "char" / "tokens.txt").read_text().split("\n")
    ids = [int(i) for i in read_table(out / "token_int")[utt].split()]
    assert "".join(tokens[i] for i in ids) == "it's a nice day"
    stats = np.load(tmp / "dump" / "feats_stats.npz")
    np.testing.assert_allclose(stats["mean"], mel.mean(0), rtol=1e-4, atol=1e-4)


def test_resume_reuses_outputs(dumped):
    tmp, _ = dumped
    mp4 = tmp / "dump" / "trainval" / "data" / "frames" / "spkAAAAAAAA_trainval_00002.mp4"
    before = mp4.stat().st_mtime_ns
    summary = extract_features(tmp / "data" / "trainval", tmp / "dump", is_train=True,
                               token_type="char", max_dur=0.9)  # fmt: skip
    assert summary["kept"] == 1
    assert mp4.stat().st_mtime_ns == before  # not rewritten
    assert probe(mp4).num_frames == 20
