"""The stage-4 ``ttsf`` task: dataset windows, model wiring, the real training entry point."""

from pathlib import Path

import pytest
import torch
import yaml
from tiny_dump import TINY_JOINT

from ttsf.bin import train
from ttsf.config import ConfigError
from ttsf.models.ttsf import SynthesisControls
from ttsf.registry import get_registry
from ttsf.tfg.lower_face_mask import blank_lower_half
from ttsf.train.checkpoint import load_init_params


def test_dataset_windows_are_aligned_and_reproducible(dump):
    task = get_registry("task").build("ttsf")
    ds = task.build_dataset(TINY_JOINT, str(dump), train=True)
    item = ds[3]  # 19 video frames, 76 mel frames
    assert item["window"].shape == (8, 3, 32, 32) and item["source"].shape == (3, 32, 32)
    assert 0 <= item["window_start"] <= 19 - 8 and 0 <= item["recon_start"] <= 8 - 2
    assert -1 <= item["window"].min() and item["window"].max() <= 1
    again = ds[3]
    assert again["window_start"] == item["window_start"]
    ds.set_epoch(5)
    starts = {ds[3]["window_start"] for _ in range(3)}
    assert len(starts) == 1  # a function of (seed, epoch, index) only
    batch = task.collate_fn(TINY_JOINT)([ds[i] for i in range(4)])
    assert batch["window"].shape == (4, 8, 3, 32, 32) and batch["n_recon"] == 2


def test_clips_shorter_than_the_reconstructed_frames_are_left_out(dump):
    task = get_registry("task").build("ttsf")
    ds = task.build_dataset({**TINY_JOINT, "window": 16, "n_recon": 12}, str(dump), train=True)
    assert len(ds) == 3 and len(ds.lengths) == 3  # the 10-frame clip is dropped
    assert all(ds[i]["window"].shape[0] >= 12 for i in range(3))
    with pytest.raises(ConfigError, match="n_recon=12 frames must fit in the window=8"):
        task.build_dataset({**TINY_JOINT, "n_recon": 12}, str(dump), train=True)


def test_model_step_logs_every_weighted_term(dump):
    task = get_registry("task").build("ttsf")
    torch.manual_seed(0)
    model = task.build_model(TINY_JOINT, str(dump))
    assert model.audio_mapper.style_dim == 16  # filled in from the face generator
    ds = task.build_dataset(TINY_JOINT, str(dump), train=True)
    batch = task.collate_fn(TINY_JOINT)([ds[i] for i in range(2)])
    out = model(**batch, optim_idx=0)
    for term in ("tts", "norm", "prior", "cfm", "rec", "adv", "loss"):
        assert torch.isfinite(out["stats"][term]), term
    out["loss"].backward()
    g = model.face_generator
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in g.parameters())
    mapper = model.audio_mapper
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in mapper.parameters())
    assert model.discriminator.head[0].weight.grad is not None  # through the adversarial term
    d_out = model(**batch, optim_idx=1)
    assert "d_loss" in d_out["stats"] and "d_r1" in d_out["stats"]  # r1_interval 2, step 0
    with pytest.raises(RuntimeError, match="needs a generator step"):
        model(**batch, optim_idx=1)


def test_audio_encoder_is_distilled_from_the_tts(dump):
    task = get_registry("task").build("ttsf")
    cfg = {**TINY_JOINT, "audio_encoder": "mel_conv", "audio_encoder_conf": {"hidden": 8},
           "loss_weights": {**TINY_JOINT["loss_weights"], "lambda_audio_enc": 1.0}}  # fmt: skip
    model = task.build_model(cfg, str(dump))
    ds = task.build_dataset(cfg, str(dump), train=True)
    batch = task.collate_fn(cfg)([ds[i] for i in range(2)])
    out = model(**batch, optim_idx=0)
    assert torch.isfinite(out["stats"]["audio_enc"])
    out["loss"].backward()
    assert all(p.grad is not None for p in model.audio_encoder.parameters())


def test_sizes_set_twice_must_agree(dump):
    task = get_registry("task").build("ttsf")
    cfg = {**TINY_JOINT, "audio_mapper_conf": {**TINY_JOINT["audio_mapper_conf"], "style_dim": 8}}
    with pytest.raises(ConfigError, match="audio_mapper_conf.style_dim=8 but the model needs 16"):
        task.build_model(cfg, str(dump))


def test_train_entry_point_runs_and_resumes_from_tts(dump, tmp_path):
    # stage 3 first (the tts task), then stage 4 starting from it, both through the real entry
    tts_cfg = {k: TINY_JOINT[k] for k in ("token_type", "tts", "batch_size")}
    tts_cfg["tts_conf"] = {**TINY_JOINT["tts_conf"], "tts_conditioning": "none",
                           "tts_conditioning_conf": {"keep_channels": True}}  # fmt: skip
    (tmp_path / "tts.yaml").write_text(yaml.safe_dump(tts_cfg))
    args = ["--train_data", str(dump), "--valid_data", str(dump.parent / "dev")]
    assert train.main(["--task", "tts", "--config", str(tmp_path / "tts.yaml"),
                       "--output_dir", str(tmp_path / "tts"), "--max_steps", "2", *args]) == 0
    joint = {**TINY_JOINT, "tts_conf": {**TINY_JOINT["tts_conf"],
                                        "tts_conditioning_conf": {"zero_init": True}}}  # fmt: skip
    (tmp_path / "ttsf.yaml").write_text(yaml.safe_dump(joint))
    rc = train.main(["--task", "ttsf", "--config", str(tmp_path / "ttsf.yaml"),
                     "--output_dir", str(tmp_path / "ttsf"), "--max_steps", "3",
                     "--log_interval", "1",
                     "--tts_init", str(tmp_path / "tts" / "model.pth"), *args])  # fmt: skip
    assert rc == 0
    log = (tmp_path / "ttsf" / "train.log").read_text()
    assert "TTS initialised from" in log and "step 3 " in log
    for term in ("rec=", "adv=", "cfm=", "prior=", "norm=", "tts=", "d_loss="):
        assert term in log, term
    ckpt = torch.load(tmp_path / "ttsf" / "checkpoint.pth", weights_only=False)
    assert ckpt["step"] == 3 and len(ckpt["optimizers"]) == 2
    assert (Path(tmp_path / "ttsf" / "config.yaml")).exists()


def test_unknown_loss_is_a_config_error(dump):
    cfg = {**TINY_JOINT, "losses": {"rec": {"name": "l2"}}}
    with pytest.raises(ConfigError, match=r"losses.rec: unknown loss 'l2'"):
        get_registry("task").build("ttsf").build_model(cfg, str(dump))


def test_joint_training_with_two_gloo_processes(dump, tmp_path):
    """DDP with the GAN's two optimisers (unused-parameter detection on) through the entry."""
    (tmp_path / "ttsf.yaml").write_text(yaml.safe_dump({**TINY_JOINT, "batch_size": 4}))
    rc = train.main(["--task", "ttsf", "--config", str(tmp_path / "ttsf.yaml"),
                     "--train_data", str(dump), "--output_dir", str(tmp_path / "ddp"),
                     "--num_procs", "2", "--max_steps", "2", "--log_interval", "1"])  # fmt: skip
    assert rc == 0
    log = (tmp_path / "ddp" / "train.log").read_text()
    assert "step 2 " in log and "d_loss=" in log
    assert torch.load(tmp_path / "ddp" / "checkpoint.pth", weights_only=False)["step"] == 2


def test_resolve_config_makes_model_files_absolute(dump, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "voc").mkdir()
    (tmp_path / "voc" / "generator.pth").write_bytes(b"x")
    task = get_registry("task").build("ttsf")
    voc = {"checkpoint": "voc/generator.pth"}
    cfg = {**TINY_JOINT, "vocoder": "hifigan_v2", "vocoder_conf": voc}
    out = task.resolve_config(cfg, str(dump))
    assert out["vocoder_conf"]["checkpoint"] == str(tmp_path / "voc" / "generator.pth")
    assert Path(out["token_list"]).is_absolute() and Path(out["feats_stats"]).is_absolute()
    assert out["text_frontend"] == "char"
    assert cfg["vocoder_conf"]["checkpoint"] == "voc/generator.pth"  # the input is not changed
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        task.resolve_config({**cfg, "vocoder_conf": {"checkpoint": "missing.pth"}}, str(dump))


@pytest.mark.parametrize("voice_from, mask", [("f_id", False), ("f_v", False),
                                              ("f_id_unmasked", True),
                                              ("f_id_voice_extractor", True)])  # fmt: skip
def test_the_voice_comes_from_what_voice_from_names(dump, voice_from, mask, monkeypatch):
    # Table 3's ablation is one config line: model_conf.voice_from
    task = get_registry("task").build("ttsf")
    cfg = {**TINY_JOINT, "model_conf": {"voice_from": voice_from, "mask_lower_face": mask}}
    model = task.build_model(cfg, str(dump)).eval()
    if voice_from == "f_id_voice_extractor":  # M_v apart from M, as training leaves it
        with torch.no_grad():
            for p in model.voice_motion_extractor.parameters():
                p.mul_(1.5)
    ds = task.build_dataset(cfg, str(dump), train=True)
    source = ds[0]["source"][None]
    f_s, f_m_s, f_id, _ = model.identity(source)
    assert not torch.allclose(f_s, f_id)  # the motion part is not zero
    seen = {}
    real_forward, real_inference = model.tts.forward, model.tts.inference
    monkeypatch.setattr(model.tts, "forward", lambda *a, cond, **k: (
        seen.setdefault("train", cond), real_forward(*a, cond=cond, **k))[1])  # fmt: skip
    monkeypatch.setattr(model.tts, "inference", lambda *a, cond, **k: (
        seen.setdefault("infer", cond), real_inference(*a, cond=cond, **k))[1])  # fmt: skip
    batch = task.collate_fn(cfg)([ds[i] for i in range(2)])
    model(**batch, optim_idx=0)
    text, controls = batch["text"][:1, : int(batch["text_lengths"][0])], SynthesisControls(
        n_timesteps=2, temperature=0.0)
    speech, _ = model.synthesize(text, model.encode_portrait(source), controls)
    timed, _ = model.synthesize(text, model.encode_portrait(source), controls,
                                durations=speech["durations"])  # the same timing, given
    torch.testing.assert_close(timed["mel"], speech["mel"])

    def want(f_s: torch.Tensor, f_id: torch.Tensor) -> torch.Tensor:
        if voice_from == "f_id_unmasked":  # the motion of the whole portrait, not the blanked
            assert not torch.allclose(f_id, f_s - model.motion_extractor(f_s))
            return f_s - model.motion_extractor(f_s)
        if voice_from == "f_id_voice_extractor":  # the voice's own M_v, on the whole portrait
            m_v = model.voice_motion_extractor(f_s)
            assert not torch.allclose(m_v, model.motion_extractor(f_s))
            return f_s - m_v
        return f_s if voice_from == "f_v" else f_id

    torch.testing.assert_close(seen["infer"], want(f_s, f_id))
    f_s2, _, f_id2, _ = model.identity(batch["source"])
    torch.testing.assert_close(seen["train"], want(f_s2, f_id2))
    assert torch.isfinite(speech["mel"]).all()


def test_voice_from_must_be_a_known_source(dump):
    task = get_registry("task").build("ttsf")
    with pytest.raises(ValueError, match="voice_from must be one of .*'f_v'.*, got 'f_s'"):
        task.build_model({**TINY_JOINT, "model_conf": {"voice_from": "f_s"}}, str(dump))


def with_voice_pose(cfg: dict) -> dict:
    """``cfg`` with the optional voice_pose term on (weight 1)."""
    return {**cfg, "losses": {**cfg["losses"], "voice_pose": {"name": "code_consistency"}},
            "loss_weights": {**cfg["loss_weights"], "lambda_voice_pose": 1.0}}  # fmt: skip


def _model_and_batch(cfg: dict, dump, n_items: int) -> tuple:
    """A joint model of ``cfg`` (seed 0) and a training batch of its first ``n_items``."""
    task = get_registry("task").build("ttsf")
    torch.manual_seed(0)
    model = task.build_model(cfg, str(dump))
    ds = task.build_dataset(cfg, str(dump), train=True)
    return model, task.collate_fn(cfg)([ds[i] for i in range(n_items)])


def _clip_codes(model, batch) -> dict:
    """The codes of each clip's portrait and first two window frames: (B, 3, D) each."""
    f_s, _, f_id, _ = model.identity(batch["source"])
    return model.driving_motion(batch["window"][:, :2], f_s, f_id, batch["source"])[1]


def _assert_the_conditioning_alone_halves(term, model, steps: int) -> None:
    """Training only the TTS's conditioning on ``term()`` for ``steps`` halves it at least."""
    opt = torch.optim.Adam(model.tts.conditioning.parameters(), lr=1e-2)
    before = term().item()
    for _ in range(steps):
        opt.zero_grad()
        term().backward()
        opt.step()
    assert term().item() < 0.5 * before


@pytest.mark.parametrize("voice_from", ["f_id", "f_v"])
def test_voice_pose_term_teaches_only_the_tts_conditioning_to_ignore_the_pose(dump, voice_from):
    """The optional term compares the TTS's speaker embeddings of the portrait and the driving
    frames (one clip: one person, several poses); the face codes are detached, so only the
    conditioning learns, and training it on the term alone makes the embeddings agree."""
    cfg = {**with_voice_pose(TINY_JOINT), "model_conf": {"voice_from": voice_from}}
    model, batch = _model_and_batch(cfg, dump, 2)
    assert 0 < float(model(**batch, optim_idx=0)["stats"]["voice_pose"]) < 1

    clip_codes = _clip_codes(model, batch)
    want = clip_codes["f_s" if voice_from == "f_v" else "f_id"].detach()
    spk = model.tts.speaker_embedding(want.flatten(0, 1), 6).view(2, 3, -1)
    torch.testing.assert_close(
        model._voice_pose_loss(clip_codes), model.losses["voice_pose"](spk)
    )  # the embeddings of the condition voice_from names

    model.zero_grad()
    model._voice_pose_loss(clip_codes).backward()
    moved = {n for n, p in model.named_parameters() if p.grad is not None and p.grad.any()}
    # the bias's gradient is float noise (a shift does not change a spread), hence <=
    assert {"tts.conditioning.proj.weight"} <= moved <= {f"tts.conditioning.proj.{n}"
                                                         for n in ("weight", "bias")}

    clip_codes = {k: v.detach() for k, v in clip_codes.items()}
    _assert_the_conditioning_alone_halves(lambda: model._voice_pose_loss(clip_codes), model, 50)


def test_portrait_views_reach_only_the_code_terms_that_portrait_view_terms_names(dump):
    """Re-posed portraits read by ``canonical`` only leave ``voice_pose`` as it was without
    them (it compares the portrait and the driving frames), and change it when it reads them."""
    base = with_voice_pose({**TINY_JOINT,
                            "losses": {**TINY_JOINT["losses"],
                                       "canonical": {"name": "code_consistency"}},
                            "loss_weights": {**TINY_JOINT["loss_weights"],
                                             "lambda_canonical": 1.0}})  # fmt: skip

    def step_stats(model_conf: dict) -> dict:
        model, batch = _model_and_batch({**base, "model_conf": model_conf}, dump, 2)
        model.train()
        torch.manual_seed(1)
        return model(**batch, optim_idx=0)["stats"]

    without = step_stats({})
    canonical_only = step_stats({"portrait_views": 2, "portrait_view_terms": ["canonical"]})
    every_term = step_stats({"portrait_views": 2})
    torch.testing.assert_close(canonical_only["voice_pose"], without["voice_pose"])
    assert not torch.allclose(every_term["voice_pose"], without["voice_pose"])
    assert not torch.allclose(canonical_only["canonical"], without["canonical"])
    torch.testing.assert_close(canonical_only["canonical"], every_term["canonical"])


def test_duration_pose_term_asks_each_sentence_to_be_timed_by_the_person_not_the_pose(dump):
    """The optional term times the batch's first sentences in the voice of every frame of every
    clip; for each sentence the code_consistency module scores the log-durations (clips,
    frames, tokens), and only the TTS's conditioning learns from it."""
    cfg = {**TINY_JOINT,
           "losses": {**TINY_JOINT["losses"], "duration_pose": {"name": "code_consistency"}},
           "loss_weights": {**TINY_JOINT["loss_weights"], "lambda_duration_pose": 1.0},
           "model_conf": {"duration_pose_sentences": 2}}  # fmt: skip
    model, batch = _model_and_batch(cfg, dump, 3)
    assert 0 < float(model(**batch, optim_idx=0)["stats"]["duration_pose"]) < 1

    clip_codes = {k: v.detach() for k, v in _clip_codes(model, batch).items()}
    text, lengths = batch["text"], batch["text_lengths"]
    spk = model.tts.speaker_embedding(clip_codes["f_id"].flatten(0, 1), 9)  # 3 clips x 3 frames
    want = []
    for i in range(2):  # sentence i alone, unpadded, in the 9 voices; the third is not timed
        n = int(lengths[i])
        logw = model.tts.log_durations(text[i : i + 1, :n].expand(9, n), lengths[i].expand(9), spk)
        want.append(model.losses["duration_pose"](logw.view(3, 3, n)))
    term = model._duration_pose_loss(clip_codes, text, lengths)
    torch.testing.assert_close(term, torch.stack(want).mean())

    model.zero_grad()
    term.backward()
    moved = {n for n, p in model.named_parameters() if p.grad is not None and p.grad.any()}
    assert "tts.conditioning.proj.weight" in moved
    assert moved <= {"tts.conditioning.proj.weight", "tts.conditioning.proj.bias"}

    _assert_the_conditioning_alone_halves(
        lambda: model._duration_pose_loss(clip_codes, text, lengths), model, 30
    )


def test_duration_pose_sentences_must_be_positive(dump):
    task = get_registry("task").build("ttsf")
    with pytest.raises(ValueError, match="duration_pose_sentences must be >= 1, got 0"):
        task.build_model({**TINY_JOINT, "model_conf": {"duration_pose_sentences": 0}}, str(dump))


def test_voice_pose_term_needs_a_face_conditioned_tts(dump):
    tts_conf = {**TINY_JOINT["tts_conf"], "tts_conditioning": "none"}
    cfg = {**with_voice_pose(TINY_JOINT), "tts_conf": tts_conf}
    model, batch = _model_and_batch(cfg, dump, 2)
    with pytest.raises(ValueError, match="voice_pose and duration_pose need a TTS conditioned"):
        model(**batch, optim_idx=0)


@pytest.mark.parametrize("mask", [False, True])
def test_mask_lower_face_hides_the_mouth_from_every_motion_code(dump, mask):
    task = get_registry("task").build("ttsf")
    torch.manual_seed(0)
    cfg = {**TINY_JOINT, "model_conf": {"mask_lower_face": mask}}
    model = task.build_model(cfg, str(dump)).eval()
    ds = task.build_dataset(cfg, str(dump), train=True)
    window = ds[0]["window"][None, :4]  # (1, 4, 3, 32, 32)
    mouth_moved = window.clone()
    mouth_moved[..., 20:, 8:24] = torch.rand_like(mouth_moved[..., 20:, 8:24]) * 2 - 1
    with torch.no_grad():
        motion, motion2 = model.motion(window), model.motion(mouth_moved)
        (f_s, f_m_s, f_id, _), (f_s2, f_m_s2, f_id2, _) = (
            model.identity(window[:, 0]), model.identity(mouth_moved[:, 0]))  # fmt: skip
    assert not torch.allclose(f_s, f_s2)  # the portrait's own features still see the mouth
    torch.testing.assert_close(f_id, f_s - f_m_s)  # TTSF §3.1: the motion removed
    if mask:  # the motion (driving frames, sampler targets, the portrait's) does not
        torch.testing.assert_close(motion, motion2)
        torch.testing.assert_close(f_m_s, f_m_s2)
        torch.testing.assert_close(f_id - f_id2, f_s - f_s2)
        # and the portrait's motion is read as a driving frame's is: one code for one image
        torch.testing.assert_close(f_m_s, motion[:, 0])
    else:
        assert not torch.allclose(motion, motion2) and not torch.allclose(f_m_s, f_m_s2)
        torch.testing.assert_close(f_m_s, model.motion_extractor(f_s))  # M(f_s), one pass of E


@pytest.mark.parametrize("lip_grad_to_tts", [True, False])
def test_lip_grad_to_tts_decides_whether_the_frame_losses_train_the_tts(dump, lip_grad_to_tts):
    task = get_registry("task").build("ttsf")
    torch.manual_seed(0)
    weights = {**TINY_JOINT["loss_weights"], "lambda_tts": 0.0}  # the frame losses alone
    cfg = {**TINY_JOINT, "loss_weights": weights,
           "model_conf": {"lip_grad_to_tts": lip_grad_to_tts}}  # fmt: skip
    model = task.build_model(cfg, str(dump))
    ds = task.build_dataset(cfg, str(dump), train=True)
    model(**task.collate_fn(cfg)([ds[i] for i in range(2)]), optim_idx=0)["loss"].backward()

    def moved(module: torch.nn.Module) -> bool:
        return any(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())

    assert moved(model.audio_mapper) and moved(model.face_generator)
    assert moved(model.tts.encoder) == lip_grad_to_tts  # the paper's joint training: true


def test_frame_grad_to_encoder_scales_what_the_frame_losses_give_e_and_m(dump):
    """With the TTS loss off and the TTS detached, E and M learn from the frame losses only:
    their gradient scales with frame_grad_to_encoder, the generator's decoder keeps its own."""
    task = get_registry("task").build("ttsf")
    weights = {**TINY_JOINT["loss_weights"], "lambda_tts": 0.0}
    ds = task.build_dataset(TINY_JOINT, str(dump), train=True)
    batch = task.collate_fn(TINY_JOINT)([ds[i] for i in range(2)])

    def grads(scale: float) -> dict[str, torch.Tensor]:
        torch.manual_seed(0)
        cfg = {**TINY_JOINT, "loss_weights": weights, "model_conf": {
            "lip_grad_to_tts": False, "frame_grad_to_encoder": scale}}  # fmt: skip
        model = task.build_model(cfg, str(dump))
        torch.manual_seed(1)  # the same sampler noise in both models
        model(**batch, optim_idx=0)["loss"].backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    full, quarter = grads(1.0), grads(0.25)
    shared = [n for n in full if n.startswith(("face_generator.encoder.", "motion_extractor."))]
    decoder = [n for n in full if n.startswith("face_generator.octaves.")]
    assert shared and decoder
    assert any(full[n].abs().sum() > 0 for n in shared)
    for n in shared:
        torch.testing.assert_close(quarter[n], 0.25 * full[n], rtol=1e-4, atol=1e-7)
    for n in decoder:
        torch.testing.assert_close(quarter[n], full[n], rtol=1e-4, atol=1e-7)
    with pytest.raises(ValueError, match="frame_grad_to_encoder must be in"):
        task.build_model({**TINY_JOINT, "model_conf": {"frame_grad_to_encoder": 2}}, str(dump))


@pytest.mark.parametrize("terms, lip_grad_to_tts, reaches_m_v", [
    ({"lambda_tts": 1.0, "lambda_canonical": 0.0}, False, True),   # the voice's condition
    ({"lambda_tts": 0.0, "lambda_canonical": 1.0}, False, True),   # canonical on its codes
    ({"lambda_tts": 0.0, "lambda_canonical": 0.0}, True, True),    # frames, through the TTS
    ({"lambda_tts": 0.0, "lambda_canonical": 0.0}, False, False),  # frames: renderer only
])  # fmt: skip
def test_the_voice_motion_extractor_learns_from_the_voice_only(
    dump, tmp_path, terms, lip_grad_to_tts, reaches_m_v
):
    """voice_from f_id_voice_extractor: the TTS reads f_s - M_v(f_s) with M_v its own copy of
    M's architecture, which init_param starts from the checkpoint's M. The renderer never reads
    it: the frame losses reach it only through the TTS's aligned features (lip_grad_to_tts),
    while the TTS loss and the canonical term on the voice's codes train it."""
    task = get_registry("task").build("ttsf")
    cfg = {**TINY_JOINT, "model_conf": {"voice_from": "f_id_voice_extractor",
                                        "mask_lower_face": True,
                                        "lip_grad_to_tts": lip_grad_to_tts},
           "losses": {**TINY_JOINT["losses"], "canonical": {"name": "code_consistency"}},
           "loss_weights": {**TINY_JOINT["loss_weights"], **terms}}  # fmt: skip
    torch.manual_seed(0)
    face = task.build_model(cfg, str(dump))
    torch.save(face.state_dict(), tmp_path / "face.pth")  # a face half's checkpoint
    torch.manual_seed(1)
    model = task.build_model(cfg, str(dump))
    assert model.voice_motion_extractor is not model.motion_extractor
    load_init_params(model, [f"{tmp_path / 'face.pth'}:motion_extractor"])
    for name, value in model.voice_motion_extractor.state_dict().items():
        torch.testing.assert_close(value, face.motion_extractor.state_dict()[name])

    ds = task.build_dataset(cfg, str(dump), train=True)
    out = model(**task.collate_fn(cfg)([ds[i] for i in range(2)]), optim_idx=0)
    assert ("canonical_voice" in out["stats"]) == (terms["lambda_canonical"] > 0)
    out["loss"].backward()
    grads = [p.grad for p in model.voice_motion_extractor.parameters()]
    assert any(g is not None and g.abs().sum() > 0 for g in grads) == reaches_m_v
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.face_generator.parameters())  # fmt: skip


def test_canonical_codes_choose_what_the_canonical_term_steadies(dump):
    """canonical_codes [voice]: the term reads M_v's codes only (not the masked f_id), and the
    f_v ablation keeps M_v (voice_extractor), so that E and M_v learn the same from it in both
    runs: they differ only in what the TTS reads."""
    task = get_registry("task").build("ttsf")
    only_canonical = {k: 0.0 for k in TINY_JOINT["loss_weights"]} | {"lambda_canonical": 1.0}
    losses = {**TINY_JOINT["losses"], "canonical": {"name": "code_consistency"}}
    ds = task.build_dataset(TINY_JOINT, str(dump), train=True)
    batch = task.collate_fn(TINY_JOINT)([ds[i] for i in range(2)])

    def run(model_conf: dict, weights: dict) -> tuple[dict, dict]:
        cfg = {**TINY_JOINT, "losses": losses, "loss_weights": weights,
               "model_conf": {"mask_lower_face": True, **model_conf}}  # fmt: skip
        torch.manual_seed(0)
        model = task.build_model(cfg, str(dump))
        out = model(**batch, optim_idx=0)
        out["loss"].backward()
        grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
        return out["stats"], grads

    voice_only = {"canonical_codes": ["voice"]}
    model_conf = {"voice_from": "f_id_voice_extractor", **voice_only}
    ablation = {"voice_from": "f_v", "voice_extractor": True, **voice_only}
    weights = {**TINY_JOINT["loss_weights"], "lambda_canonical": 1.0}
    for conf in (model_conf, ablation):
        stats, _ = run(conf, weights)
        assert "canonical_voice" in stats and "canonical" not in stats
    stats, _ = run({"voice_from": "f_id_voice_extractor", "canonical_codes": ["f_id"]}, weights)
    assert "canonical" in stats and "canonical_voice" not in stats
    stats, _ = run({"voice_from": "f_id_voice_extractor"}, weights)  # session 24's: both
    assert "canonical" in stats and "canonical_voice" in stats

    _, grads = run(model_conf, only_canonical)
    _, grads_fv = run(ablation, only_canonical)
    learning = [n for n in grads if n.startswith(("face_generator.encoder.",
                                                  "voice_motion_extractor."))]  # fmt: skip
    assert any(n.startswith("voice_motion_extractor.") for n in learning)
    assert any(grads[n].abs().sum() > 0 for n in learning)
    assert not any(n.startswith("motion_extractor.") for n in grads)  # M: no f_id term
    assert sorted(grads) == sorted(grads_fv)
    for n in grads:
        torch.testing.assert_close(grads_fv[n], grads[n])

    for bad in ({"canonical_codes": ["voice"]}, {"canonical_codes": ["f_s"]}):
        with pytest.raises(ValueError, match="canonical_codes must name codes of"):
            task.build_model({**TINY_JOINT, "model_conf": bad}, str(dump))


@pytest.mark.parametrize("to_encoder", [1.0, 0.0])
def test_voice_canonical_grad_to_encoder_leaves_the_steadying_to_m_v(dump, to_encoder):
    """With only the canonical term on the voice's codes, M_v always learns; E learns from it
    at scale 1 and not at 0."""
    task = get_registry("task").build("ttsf")
    cfg = {**TINY_JOINT,
           "model_conf": {"voice_from": "f_id_voice_extractor", "canonical_codes": ["voice"],
                          "voice_canonical_grad_to_encoder": to_encoder},
           "losses": {**TINY_JOINT["losses"], "canonical": {"name": "code_consistency"}},
           "loss_weights": {k: 0.0 for k in TINY_JOINT["loss_weights"]}
           | {"lambda_canonical": 1.0}}  # fmt: skip
    torch.manual_seed(0)
    model = task.build_model(cfg, str(dump))
    ds = task.build_dataset(cfg, str(dump), train=True)
    out = model(**task.collate_fn(cfg)([ds[i] for i in range(2)]), optim_idx=0)
    assert out["stats"]["canonical_voice"] > 0
    out["loss"].backward()

    def grad_norm(module: torch.nn.Module) -> float:
        return sum(float(p.grad.abs().sum()) for p in module.parameters() if p.grad is not None)

    assert grad_norm(model.voice_motion_extractor) > 0
    assert (grad_norm(model.face_generator.encoder) > 0) == (to_encoder > 0)
    with pytest.raises(ValueError, match="voice_canonical_grad_to_encoder must be in"):
        task.build_model({**cfg, "model_conf": {**cfg["model_conf"],
                                                "voice_canonical_grad_to_encoder": 2.0}},
                         str(dump))  # fmt: skip


def test_blank_lower_half_leaves_the_upper_half_and_its_input_alone():
    frames = torch.rand(2, 5, 3, 9, 8) * 2 - 1
    before = frames.clone()
    out = blank_lower_half(frames)
    torch.testing.assert_close(frames, before)
    torch.testing.assert_close(out[..., :4, :], frames[..., :4, :])
    assert (out[..., 4:, :] == 0).all()


def test_lr_scale_gives_a_module_its_own_learning_rate(dump):
    task = get_registry("task").build("ttsf")
    cfg = {**TINY_JOINT, "optim_conf": {"lr": 1e-3, "betas": [0.5, 0.99]},
           "lr_scale": {"tts.conditioning": 20}}  # fmt: skip
    model = task.build_model(cfg, str(dump))
    gen = task.build_optimizers(cfg, model)[0]
    lrs = {g["lr"]: len(g["params"]) for g in gen.param_groups}
    assert lrs == {1e-3: lrs[1e-3], 2e-2: 2}  # the projection's weight and bias
    assert all(g["betas"] == [0.5, 0.99] for g in gen.param_groups)
    n_gen = sum(1 for n, p in model.named_parameters() if not n.startswith("discriminator."))
    assert sum(lrs.values()) == n_gen
    with pytest.raises(ConfigError, match=r"no trainable parameters under \['tts.nope'\]"):
        task.build_optimizers({**cfg, "lr_scale": {"tts.nope": 2}}, model)
