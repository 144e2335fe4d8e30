"""The stage-3 ``tts`` task on a generated stage-2 dump: dataset, collate, model, and the real
training entry point for a few steps."""

import kaldiio
import numpy as np
import pytest
import torch
import yaml

from ttsf.audio.mel import MelStats
from ttsf.registry import get_registry
from ttsf.text.token_list import write_token_list

TINY_TTS = {
    "tts_conditioning": "none",
    "tts_conditioning_conf": {"keep_channels": True},
    "spk_emb_dim": 4,
    "encoder_conf": {"n_channels": 16, "filter_channels": 32, "filter_channels_dp": 16,
                     "n_layers": 1},
    "decoder_conf": {"channels": [16, 16], "attention_head_dim": 8},
}  # fmt: skip


def _dump(tmp_path, n_utt=4):
    rng = np.random.default_rng(0)
    root = tmp_path / "dump"
    d = root / "train"
    d.mkdir(parents=True)
    mels, ids = {}, {}
    for i in range(n_utt):
        utt = f"spk{i % 2}_utt{i}"
        mels[utt] = rng.normal(-5, 2, size=(30 + 5 * i, 80)).astype(np.float32)
        ids[utt] = rng.integers(1, 10, size=6 + i).tolist()
    with kaldiio.WriteHelper(f"ark,scp:{d}/feats.ark,{d}/feats.scp") as w:
        for utt, m in mels.items():
            w(utt, m)
    rows = sorted(ids.items())  # Kaldi-style tables are sorted by key
    (d / "token_int").write_text("".join(f"{u} {' '.join(map(str, v))}\n" for u, v in rows))
    (d / "utt2num_frames").write_text("".join(f"{u} {len(m)}\n" for u, m in sorted(mels.items())))
    (d / "utt2spk").write_text("".join(f"{u} {u.split('_')[0]}\n" for u in sorted(mels)))
    write_token_list(root / "token_list" / "char" / "tokens.txt", ["<blank>", *"abcdefghij"])
    MelStats.from_frames(mels.values()).save(root / "feats_stats.npz")
    return d, mels


def test_dataset_collate_model(tmp_path):
    d, mels = _dump(tmp_path)
    task = get_registry("task").build("tts")
    cfg = {"tts": "matcha", "tts_conf": TINY_TTS, "token_type": "char"}
    model = task.build_model(cfg, str(d))
    assert model.encoder.emb.num_embeddings == 11
    stats = MelStats.load(d.parent / "feats_stats.npz")
    torch.testing.assert_close(model.mel_mean, torch.from_numpy(stats.mean))
    ds = task.build_dataset(cfg, str(d), train=True)
    assert len(ds) == 4 and ds.lengths == [len(mels[u]) for u in ds.utts]
    item = ds[1]
    np.testing.assert_allclose(item["feats"].numpy(), stats.normalize(mels[ds.utts[1]]), rtol=1e-6)
    batch = task.collate_fn(cfg)([ds[i] for i in range(4)])
    assert batch["feats"].shape == (4, 80, 45) and batch["text"].shape == (4, 9)
    assert batch["feats"][0, :, 30:].abs().sum() == 0
    out = model(**batch)
    assert torch.isfinite(out["loss"]) and out["weight"] == 4


def test_spk_id_and_unusable_conditionings(tmp_path):
    d, _ = _dump(tmp_path)
    task = get_registry("task").build("tts")
    write_token_list(tmp_path / "spk_list", ["spk0", "spk1"])
    spk_conf = {**TINY_TTS, "tts_conditioning": "spk_id", "tts_conditioning_conf": {}}
    cfg = {"tts": "matcha", "token_type": "char", "spk_list": str(tmp_path / "spk_list"),
           "tts_conf": spk_conf}  # fmt: skip
    model = task.build_model(cfg, str(d))
    ds = task.build_dataset(cfg, str(d), True)
    batch = task.collate_fn(cfg)([ds[i] for i in range(4)])
    assert batch["cond"].tolist() == [int(u[3]) for u in ds.utts]  # "spk<k>_..." -> k
    assert torch.isfinite(model(**batch)["loss"])
    cfg["tts_conf"] = {**TINY_TTS, "tts_conditioning": "face_id", "tts_conditioning_conf": {}}
    with pytest.raises(ValueError, match="keep_channels"):
        task.build_dataset(cfg, str(d), True)


def test_spk_id_defaults_to_the_training_speakers(tmp_path):
    """Without spk_list the saved config names the training set's spk2utt; ids follow it."""
    d, _ = _dump(tmp_path)
    task = get_registry("task").build("tts")
    spk_conf = {**TINY_TTS, "tts_conditioning": "spk_id", "tts_conditioning_conf": {}}
    cfg = {"tts": "matcha", "token_type": "char", "tts_conf": spk_conf}
    with pytest.raises(FileNotFoundError, match="spk2utt"):
        task.resolve_config(cfg, str(d))
    (d / "spk2utt").write_text("spk1 spk1_utt1 spk1_utt3\nspk0 spk0_utt0 spk0_utt2\n")
    resolved = task.resolve_config(cfg, str(d))
    assert resolved["spk_list"] == str((d / "spk2utt").resolve()) and "spk_list" not in cfg
    model = task.build_model(resolved, str(d))
    assert model.conditioning.embedding.num_embeddings == 2
    ds = task.build_dataset(resolved, str(d), True)
    assert [ds[i]["cond"].item() for i in range(4)] == [1, 1, 0, 0]  # sorted utts; spk0 on line 2
    (d / "spk2utt").write_text("spk0 a\nspk0 b\n")
    with pytest.raises(ValueError, match="repeated speaker"):
        task.build_dataset(resolved, str(d), True)
    with pytest.raises(FileNotFoundError, match="gone.txt does not exist"):
        task.build_model({**cfg, "spk_list": str(tmp_path / "gone.txt")}, str(d))


def test_train_entry_point_runs(tmp_path):
    from ttsf.bin.train import main

    d, _ = _dump(tmp_path)
    conf = {"tts": "matcha", "tts_conf": TINY_TTS, "token_type": "char", "batch_size": 2,
            "max_steps": 3, "max_epoch": 2, "num_workers": 0,
            "optim_conf": {"lr": 1e-3}}  # fmt: skip
    (tmp_path / "conf.yaml").write_text(yaml.safe_dump(conf))
    args = ["--task", "tts", "--config", str(tmp_path / "conf.yaml"), "--train_data", str(d),
            "--valid_data", str(d), "--output_dir", str(tmp_path / "exp")]  # fmt: skip
    rc = main(args)
    assert rc in (0, None)
    assert any((tmp_path / "exp").rglob("*.pth"))
