"""The ``syncnet`` task: aligned windows, off-sync negatives, export for the sync loss."""

import pytest
import torch
import yaml
from tiny_dump import make_dump

from ttsf.bin import train
from ttsf.losses.sync import SyncLoss
from ttsf.registry import get_registry

TINY = {"n_frames": 5, "face_size": 16, "emb_dim": 8, "widths": [4, 8]}


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    return make_dump(tmp_path_factory.mktemp("dump"), n_utt=4)


def test_windows_are_aligned(dump):
    task = get_registry("task").build("syncnet")
    cfg = {"token_type": "char", "syncnet_conf": TINY}
    ds = task.build_dataset(cfg, str(dump), train=True)
    item = ds[0]
    assert item["frames"].shape == (5, 3, 16, 16) and item["mel"].shape == (80, 20)
    assert item["mel_shifted"].shape == (80, 20)
    assert not torch.equal(item["mel"], item["mel_shifted"])
    batch = task.collate_fn(cfg)([ds[i] for i in range(4)])
    out = task.build_model(cfg, None)(**batch)
    assert torch.isfinite(out["loss"]) and 0 <= out["stats"]["sync_acc"] <= 1


def test_train_entry_exports_an_expert_the_sync_loss_loads(dump, tmp_path):
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(
        {"token_type": "char", "syncnet_conf": TINY, "batch_size": 4, "max_steps": 3}))  # fmt: skip
    rc = train.main(["--task", "syncnet", "--config", str(tmp_path / "c.yaml"),
                     "--train_data", str(dump), "--output_dir", str(tmp_path / "exp")])  # fmt: skip
    assert rc == 0
    loss = SyncLoss(syncnet_path=str(tmp_path / "exp" / "syncnet.pth"))
    assert loss.enabled and loss.syncnet.face_size == 16
    frames = torch.zeros(1, 6, 3, 32, 32)
    assert torch.isfinite(loss(frames, torch.zeros(1, 80, 24)))
