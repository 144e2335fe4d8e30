"""Stage 1 on corpora in the LRS3, LRS2 and VoxCeleb2 layouts."""

import shutil

import pytest

from ttsf.data.corpora import CorpusError
from ttsf.data.datadir import read_table, validate_data_dir
from ttsf.data.prepare import prepare_data


def test_lrs3_trainval(lrs3_root, tmp_path):
    n = prepare_data("lrs3", lrs3_root, tmp_path / "trainval", ["trainval"])
    assert n == 5
    d = tmp_path / "trainval"
    assert validate_data_dir(d) == 5
    text = read_table(d / "text")
    assert text["spkAAAAAAAA_trainval_00002"] == "IT'S A NICE DAY"
    assert read_table(d / "utt2spk")["spkBBBBBBBB_trainval_00001"] == "spkBBBBBBBB"
    assert float(read_table(d / "utt2dur")["spkAAAAAAAA_trainval_00002"]) == pytest.approx(0.8)
    wav = read_table(d / "wav.scp")["spkAAAAAAAA_trainval_00001"]
    assert wav.endswith("trainval/spkAAAAAAAA/00001.mp4")


def test_lrs3_missing_subset_is_explained(lrs3_root, tmp_path):
    with pytest.raises(CorpusError, match="pretrain: no such LRS3 subset directory"):
        prepare_data("lrs3", lrs3_root, tmp_path / "x", ["pretrain"])


def test_lrs2_lists(lrs3_root, tmp_path):
    root = tmp_path / "LRS2"
    shutil.copytree(lrs3_root / "trainval", root / "main")
    (root / "train.txt").write_text("spkAAAAAAAA/00001\nspkAAAAAAAA/00002\n")
    (root / "test.txt").write_text("spkBBBBBBBB/00001 NF\n")
    assert prepare_data("lrs2", root, tmp_path / "train", ["train"]) == 2
    assert prepare_data("lrs2", root, tmp_path / "test", ["test"]) == 1
    assert list(read_table(tmp_path / "test" / "text").values()) == ["I DON'T KNOW"]
    (root / "val.txt").write_text("spkAAAAAAAA/00009\n")
    with pytest.raises(CorpusError, match=r"val.txt:1: .*00009.mp4 does not exist"):
        prepare_data("lrs2", root, tmp_path / "val", ["val"])


def test_voxceleb2_pairs_seeded_lrs3_test_texts(lrs3_root, tmp_path):
    root = tmp_path / "vox2"
    for spk, yt in [
        ("id00017", "01dfn2spqyE"),
        ("id00017", "5MkXgwdrmJw"),
        ("id00061", "0G9G9oyFHI8"),
    ]:
        (root / "test" / "mp4" / spk / yt).mkdir(parents=True)
        shutil.copy(
            lrs3_root / "test/spkTTTTTTTT/00001.mp4", root / "test/mp4" / spk / yt / "00001.mp4"
        )
    texts = []
    for k in range(2):
        prepare_data("voxceleb2", root, tmp_path / f"v{k}", ["test"], transcripts=lrs3_root, seed=3)
        texts.append(read_table(tmp_path / f"v{k}" / "text"))
    assert texts[0] == texts[1]  # seeded
    assert set(texts[0].values()) <= {"A TEST SENTENCE", "ANOTHER ONE"}
    assert sorted(read_table(tmp_path / "v0" / "utt2spk").values()) == [
        "id00017",
        "id00017",
        "id00061",
    ]
    with pytest.raises(CorpusError, match="--transcripts"):
        prepare_data("voxceleb2", root, tmp_path / "v2", ["test"])


def test_dev_split_is_seeded_and_disjoint(lrs3_root, tmp_path):
    n = prepare_data("lrs3", lrs3_root, tmp_path / "train", ["trainval"], seed=0,
                     dev_out=tmp_path / "dev", n_dev=2)  # fmt: skip
    train, dev = read_table(tmp_path / "train" / "text"), read_table(tmp_path / "dev" / "text")
    assert n == 3 and len(dev) == 2 and not set(train) & set(dev)
