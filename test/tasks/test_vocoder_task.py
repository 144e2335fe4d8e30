"""The ``vocoder`` task: aligned segments, both GAN steps, export for decoding."""

import pytest
import torch
import yaml
from tiny_dump import make_dump

from ttsf.bin import train
from ttsf.registry import get_registry

TINY = {"channels": 16, "resblock_kernel_sizes": [3], "resblock_dilations": [[1]]}


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    return make_dump(tmp_path_factory.mktemp("dump"), n_utt=2)


def test_segments_are_aligned(dump):
    task = get_registry("task").build("vocoder")
    cfg = {"vocoder": "hifigan_v2", "vocoder_conf": TINY, "segment_frames": 8}
    ds = task.build_dataset(cfg, str(dump), train=True)
    item = ds[0]
    assert item["wav"].shape == (8 * 160,) and item["mel"].shape == (80, 8)
    with pytest.raises(ValueError, match="trains from scratch"):
        task.build_model({**cfg, "vocoder_conf": {"checkpoint": "x.pth"}}, None)
    with pytest.raises(ValueError, match="nothing to train"):
        task.build_model({"vocoder": "griffin_lim"}, None)


def test_train_entry_exports_a_generator_decoding_loads(dump, tmp_path):
    cfg = {"vocoder": "hifigan_v2", "vocoder_conf": TINY, "segment_frames": 8,
           "batch_size": 2, "max_steps": 2}  # fmt: skip
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    rc = train.main(["--task", "vocoder", "--config", str(tmp_path / "c.yaml"),
                     "--train_data", str(dump), "--output_dir", str(tmp_path / "exp"),
                     "--log_interval", "1"])  # fmt: skip
    assert rc == 0
    log = (tmp_path / "exp" / "train.log").read_text()
    assert "mel_l1=" in log and "d_loss=" in log
    voc = get_registry("vocoder").build(
        "hifigan_v2", {**TINY, "checkpoint": str(tmp_path / "exp" / "generator.pth")}
    )
    assert voc(torch.zeros(1, 80, 5)).shape == (1, 800)
