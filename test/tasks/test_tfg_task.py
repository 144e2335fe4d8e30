"""The ``tfg`` task: the face half pretrained by self-reenactment, read from the joint config,
and the joint stage started from it through ``init_param``."""

import pytest
import torch
import yaml
from tiny_dump import TINY_JOINT

from ttsf.bin import train
from ttsf.config import ConfigError
from ttsf.registry import get_registry
from ttsf.train.checkpoint import load_init_params

#: the joint config with a sync term (its expert is not needed: the pretraining has no speech)
JOINT = {
    **TINY_JOINT,
    "losses": {**TINY_JOINT["losses"], "sync": {"name": "sync", "conf": {"syncnet_path": None}}},
    "loss_weights": {**TINY_JOINT["loss_weights"], "lambda_sync": 0.1},
    "lr_scale": {"tts.conditioning": 20, "face_generator.octaves": 2},
    "model_conf": {"mel_per_frame": 4, "voice_from": "f_id", "motion_layers": [1, 2, 3, 4, 5],
                  "audio_layers": [4, 5]},
}
FACE_HALF = ("face_generator", "motion_extractor", "discriminator")


def test_dataset_draws_distinct_frames_of_one_clip_reproducibly(dump):
    task = get_registry("task").build("tfg")
    ds = task.build_dataset(JOINT, str(dump), train=True)
    item = ds[0]
    assert item["source"].shape == (3, 32, 32) and item["driving"].shape == (2, 3, 32, 32)
    frames = torch.cat([item["source"][None], item["driving"]])
    assert all(not torch.equal(frames[i], frames[j]) for i in range(3) for j in range(i))
    assert torch.equal(ds[0]["driving"], item["driving"])  # a function of (seed, epoch, index)
    ds.set_epoch(3)
    assert not torch.equal(ds[0]["driving"], item["driving"])
    batch = task.collate_fn(JOINT)([ds[i] for i in range(3)])
    assert batch["source"].shape == (3, 3, 32, 32) and batch["driving"].shape == (3, 2, 3, 32, 32)


def test_step_trains_the_face_half_from_the_frame_terms_without_speech(dump):
    task = get_registry("task").build("tfg")
    torch.manual_seed(0)
    model = task.build_model(JOINT, str(dump))
    assert set(model.losses) == {"rec", "adv"}  # sync needs speech: not built
    assert model.motion_layers == (1, 2, 3, 4, 5) and model.motion_extractor.style_dim == 16
    ds = task.build_dataset(JOINT, str(dump), train=True)
    batch = task.collate_fn(JOINT)([ds[i] for i in range(2)])
    out = model(**batch, optim_idx=0)
    assert set(out["stats"]) == {"rec", "adv", "loss"}
    assert out["frames"].shape == batch["driving"].shape
    out["loss"].backward()
    assert any(p.grad.abs().sum() > 0 for p in model.face_generator.parameters())
    # M is in the graph (its gradient is zero until the flow heads leave the identity warp)
    assert all(p.grad is not None for p in model.motion_extractor.parameters())
    assert "d_loss" in model(**batch, optim_idx=1)["stats"]
    opts = task.build_optimizers(JOINT, model)  # lr_scale of the TTS is left out, not an error
    assert sorted(g["lr"] for g in opts[0].param_groups) == [1e-3, 2e-3] and len(opts) == 2


def test_a_config_without_frame_terms_is_an_error(dump):
    cfg = {**JOINT, "loss_weights": {"lambda_tts": 1.0, "lambda_sync": 0.1, "lambda_rec": 0}}
    with pytest.raises(ConfigError, match="nothing to learn from"):
        get_registry("task").build("tfg").build_model(cfg, str(dump))


def test_joint_training_starts_from_the_pretrained_face_half(dump, tmp_path):
    tiny = {k: v for k, v in JOINT.items() if k not in ("losses", "loss_weights")}
    tiny.update(losses=TINY_JOINT["losses"], loss_weights=TINY_JOINT["loss_weights"])
    (tmp_path / "joint.yaml").write_text(yaml.safe_dump(tiny))
    args = ["--config", str(tmp_path / "joint.yaml"), "--train_data", str(dump),
            "--valid_data", str(dump.parent / "dev"), "--log_interval", "1"]  # fmt: skip
    assert train.main(["--task", "tfg", "--output_dir", str(tmp_path / "tfg"),
                       "--max_steps", "2", *args]) == 0  # fmt: skip
    log = (tmp_path / "tfg" / "train.log").read_text()
    assert "step 2 " in log and "rec=" in log and "d_loss=" in log and "tts=" not in log
    pretrained = tmp_path / "tfg" / "model.pth"
    specs = [f"{pretrained}:{part}" for part in FACE_HALF]
    assert train.main(["--task", "ttsf", "--output_dir", str(tmp_path / "ttsf"),
                       "--max_steps", "1", "--init_param", yaml.safe_dump(specs), *args]) == 0
    log = (tmp_path / "ttsf" / "train.log").read_text()
    assert all(f"'{part}' initialised from" in log for part in FACE_HALF)

    # the weights themselves: the joint model's face half is the pretrained one's
    task = get_registry("task").build("ttsf")
    torch.manual_seed(1)
    joint = task.build_model(tiny, str(dump))
    load_init_params(joint, specs)
    state = torch.load(pretrained, weights_only=True)
    for part in FACE_HALF:
        for name, value in getattr(joint, part).state_dict().items():
            assert torch.equal(value, state[f"{part}.{name}"]), f"{part}.{name}"


@pytest.mark.parametrize("task_name", ["tfg", "ttsf"])
def test_canonical_term_trains_the_encoder_and_extractor_in_both_tasks(dump, task_name):
    """The optional term compares f_id of the portrait and of the driving frames: logged by
    both models' steps, and alone it moves E (which makes f_s) and M (which makes f_m_s)."""
    losses = {**TINY_JOINT["losses"], "canonical": {"name": "code_consistency"}}
    weights = {**TINY_JOINT["loss_weights"], "lambda_canonical": 1.0}
    cfg = {**TINY_JOINT, "losses": losses, "loss_weights": weights}
    task = get_registry("task").build(task_name)
    torch.manual_seed(0)
    model = task.build_model(cfg, str(dump))
    ds = task.build_dataset(cfg, str(dump), train=True)
    batch = task.collate_fn(cfg)([ds[i] for i in range(2)])
    assert 0 < float(model(**batch, optim_idx=0)["stats"]["canonical"]) < 1

    model.zero_grad()
    driving = batch["driving"] if task_name == "tfg" else batch["window"][:, :2]
    f_s, _, f_id, _ = model.identity(batch["source"])
    f_m, clip_codes = model.driving_motion(driving, f_s, f_id, batch["source"])
    assert f_m.shape == (2, 2, 16)
    assert {k: v.shape for k, v in clip_codes.items()} == {"f_s": (2, 3, 16), "f_id": (2, 3, 16)}
    model.losses["canonical"](clip_codes["f_id"]).backward()
    for part in (model.motion_extractor, model.face_generator.encoder):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters())


@pytest.mark.parametrize("task_name", ["tfg", "ttsf"])
def test_portrait_views_join_the_clip_for_the_code_terms_in_both_tasks(dump, task_name):
    """``portrait_views`` re-posed portraits are appended to a clip's codes (not to the motion
    the generator renders), the canonical term reads them, and its gradient through them
    reaches E; with no pose range a view is the portrait itself."""
    losses = {**TINY_JOINT["losses"], "canonical": {"name": "code_consistency"}}
    weights = {**TINY_JOINT["loss_weights"], "lambda_canonical": 1.0}
    task = get_registry("task").build(task_name)

    def model_and_batch(model_conf: dict) -> tuple:
        cfg = {**TINY_JOINT, "losses": losses, "loss_weights": weights, "model_conf": model_conf}
        torch.manual_seed(0)
        model = task.build_model(cfg, str(dump))
        ds = task.build_dataset(cfg, str(dump), train=True)
        return model, task.collate_fn(cfg)([ds[i] for i in range(2)])

    model, batch = model_and_batch({"portrait_views": 3})
    assert 0 < float(model(**batch, optim_idx=0)["stats"]["canonical"]) < 1
    driving = batch["driving"] if task_name == "tfg" else batch["window"][:, :2]
    f_s, _, f_id, _ = model.identity(batch["source"])
    f_m, clip_codes = model.driving_motion(driving, f_s, f_id, batch["source"])
    assert f_m.shape == (2, 2, 16)
    assert {k: v.shape for k, v in clip_codes.items()} == {"f_s": (2, 6, 16), "f_id": (2, 6, 16)}
    # the driving frames' motion is the same with or without the views
    assert torch.allclose(f_m, model.motion(driving), atol=1e-5)
    assert not torch.allclose(clip_codes["f_s"][:, 3:], f_s[:, None].expand(2, 3, 16), atol=1e-3)
    model.zero_grad()
    model.losses["canonical"](clip_codes["f_id"][:, [0, 3, 4, 5]]).backward()  # portrait + views
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.face_generator.encoder.parameters())  # fmt: skip

    still, _ = model_and_batch({"portrait_views": 2, "portrait_view_range": [0, 0, 0]})
    f_s, _, f_id, _ = still.identity(batch["source"])
    codes = still.driving_motion(driving, f_s, f_id, batch["source"])[1]
    assert torch.allclose(codes["f_s"][:, 3:], f_s[:, None].expand(2, 2, 16), atol=1e-4)
    with pytest.raises(ValueError, match="portrait_views"):
        model_and_batch({"portrait_views": -1})
    with pytest.raises(ValueError, match="portrait_view_terms"):
        model_and_batch({"portrait_views": 1, "portrait_view_terms": ["rec"]})
    # a term left out of portrait_view_terms compares the portrait and the driving frames only
    views = {"f_s": torch.randn(2, 6, 16), "f_id": torch.randn(2, 6, 16)}
    assert {k: v.shape[1] for k, v in model.term_views(views, "canonical", 2).items()} == {
        "f_s": 6, "f_id": 6}  # fmt: skip
    # the joint config may name the joint model's terms; pretraining keeps its own
    conf = {"portrait_views": 1, "portrait_view_terms": ["voice_pose"]}
    kept = model_and_batch(conf)[0]
    assert kept.term_views(views, "canonical", 2)["f_id"].shape == (2, 3, 16)
