"""Decoding (stage 5), packing (stage 7) and ttsf-synthesize on a small untrained model:
real files out, both streams with equal durations, and a clear error for every bad input."""

import json
import subprocess

import numpy as np
import pytest
import torch
from tiny_dump import TINY_JOINT, make_dump

from ttsf.bin import decode, pack_model, synthesize
from ttsf.config import save_config
from ttsf.registry import get_registry


@pytest.fixture(scope="module")
def exp(tmp_path_factory):
    """An experiment dir as stage 4 leaves it (config.yaml + model.pth), and a test dump."""
    root = tmp_path_factory.mktemp("syn")
    dump = make_dump(root / "dump", n_utt=2)
    test = make_dump(root / "dump", n_utt=2, set_name="test", seed=3)
    task = get_registry("task").build("ttsf")
    cfg = {
        **TINY_JOINT,
        "vocoder": "griffin_lim",
        "audio_encoder": "mel_conv",  # for the audio-driven mode
        "audio_encoder_conf": {"hidden": 8, "n_layers": 1},
    }
    cfg = task.resolve_config(cfg, str(dump))
    torch.manual_seed(0)
    model = task.build_model(cfg, str(dump))
    exp_dir = root / "exp"
    save_config(cfg, exp_dir / "config.yaml")
    torch.save(model.state_dict(), exp_dir / "model.pth")
    return exp_dir, test


def ffprobe(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name,duration,"
         "sample_rate,r_frame_rate,width", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return {s["codec_type"]: s for s in json.loads(out)["streams"]}


def test_decode_writes_mp4_with_both_streams_of_equal_duration(exp, tmp_path):
    exp_dir, test = exp
    out = tmp_path / "decode"
    cfg = tmp_path / "decode.yaml"
    cfg.write_text("n_timesteps: 2\nmotion_steps: 2\nseed: 0\n")
    assert decode.main(["--model", str(exp_dir / "model.pth"), "--config", str(cfg),
                        "--data_dir", str(test), "--out_dir", str(out)]) == 0  # fmt: skip
    utts = [line.split()[0] for line in (test / "text").read_text().splitlines()]
    assert sorted(p.stem for p in out.glob("*.mp4")) == sorted(utts)
    for utt in utts:
        streams = ffprobe(out / f"{utt}.mp4")
        v, a = streams["video"], streams["audio"]
        assert (v["codec_name"], v["r_frame_rate"], v["width"]) == ("h264", "25/1", 32)
        assert (a["codec_name"], a["sample_rate"]) == ("aac", "16000")
        assert abs(float(v["duration"]) - float(a["duration"])) <= 0.04  # one frame
    assert (out / "text").read_text().count("\n") == 2
    mtime = (out / f"{utts[0]}.mp4").stat().st_mtime
    assert decode.main(["--model", str(exp_dir / "model.pth"), "--config", str(cfg),
                        "--data_dir", str(test), "--out_dir", str(out)]) == 0  # fmt: skip
    assert (out / f"{utts[0]}.mp4").stat().st_mtime == mtime  # resumed: nothing redone


@pytest.fixture(scope="module")
def astronaut(tmp_path_factory):
    import cv2
    import skimage.data

    d = tmp_path_factory.mktemp("img")
    img = skimage.data.astronaut()
    cv2.imwrite(str(d / "one.png"), img[:, :, ::-1])
    cv2.imwrite(str(d / "two.png"), np.concatenate([img, img], axis=1)[:, :, ::-1])
    cv2.imwrite(str(d / "none.png"), np.full((256, 256, 3), 128, np.uint8))
    (d / "broken.jpg").write_bytes(b"not an image")
    return d


def test_pack_then_synthesize_from_a_photo(exp, astronaut, tmp_path):
    exp_dir, _ = exp
    archive = tmp_path / "packed" / "model.tar"
    assert pack_model.main(["--exp_dir", str(exp_dir), "--out", str(archive)]) == 0
    out = tmp_path / "hello.mp4"
    rc = synthesize.main(["--model", str(archive), "--image", str(astronaut / "one.png"),
                          "--text", "Hello there. This is a second sentence!", "--out", str(out),
                          "--steps", "2", "--motion_steps", "2", "--quiet"])  # fmt: skip
    assert rc == 0
    streams = ffprobe(out)
    assert abs(float(streams["video"]["duration"]) - float(streams["audio"]["duration"])) <= 0.04
    assert out.with_suffix(".wav").stat().st_size > 1000
    # the same seed gives the same speech; another seed another
    out2 = tmp_path / "again.mp4"
    for seed, name in ((0, out2), (1, tmp_path / "other.mp4")):
        synthesize.main(["--model", str(archive), "--image", str(astronaut / "one.png"),
                         "--text", "Hello there. This is a second sentence!", "--out", str(name),
                         "--steps", "2", "--motion_steps", "2", "--seed", str(seed),
                         "--quiet"])  # fmt: skip
    import soundfile as sf

    a, b, c = (sf.read(p.with_suffix(".wav"))[0] for p in (out, out2, tmp_path / "other.mp4"))
    np.testing.assert_array_equal(a, b)
    assert len(a) != len(c) or not np.allclose(a, c)


@pytest.mark.parametrize("image, text, message", [
    ("none.png", "Hello.", "no face found"),
    ("two.png", "Hello.", "2 faces of similar size"),
    ("broken.jpg", "Hello.", "cannot be read"),
    ("missing.png", "Hello.", "does not exist"),
    ("one.png", "   ", "the text is empty"),
])  # fmt: skip
def test_bad_inputs_give_clear_errors_and_no_files(exp, astronaut, tmp_path, capsys, image,
                                                   text, message):  # fmt: skip
    exp_dir, _ = exp
    out = tmp_path / "out" / "x.mp4"
    rc = synthesize.main(["--model", str(exp_dir / "model.pth"), "--image", str(astronaut / image),
                          "--text", text, "--out", str(out), "--quiet"])  # fmt: skip
    assert rc == 2
    assert message in capsys.readouterr().err
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_audio_driven_mode(exp, astronaut, tmp_path):
    import soundfile as sf

    exp_dir, test = exp
    wav = tmp_path / "speech.wav"
    sf.write(wav, 0.1 * np.sin(np.arange(16000) / 7.0), 16000)  # 1 s
    out = tmp_path / "talk.mp4"
    rc = synthesize.main(["--model", str(exp_dir / "model.pth"), "--audio", str(wav),
                          "--image", str(astronaut / "one.png"), "--out", str(out),
                          "--motion_steps", "2", "--quiet"])  # fmt: skip
    assert rc == 0
    streams = ffprobe(out)
    assert float(streams["video"]["duration"]) == pytest.approx(1.0, abs=0.04)
    assert abs(float(streams["video"]["duration"]) - float(streams["audio"]["duration"])) <= 0.04


def test_synthesize_arrays_matches_the_file_written(exp, astronaut, tmp_path):
    from ttsf.synthesis import SynthesisControls, Synthesizer

    exp_dir, _ = exp
    synth = Synthesizer.load(exp_dir / "model.pth")
    controls = SynthesisControls(n_timesteps=2, motion_steps=2, seed=3)
    code = synth.model.encode_portrait(synth.portrait(astronaut / "one.png"))
    wav, frames = synth.synthesize_arrays("Hello there.", code, controls)
    assert frames.dtype == np.uint8 and frames.shape[1:] == (32, 32, 3)
    assert len(wav) == len(frames) * 640  # 16 kHz, 25 fps
    synth.synthesize_to_file("Hello there.", astronaut / "one.png", tmp_path / "a.mp4", controls)
    import soundfile as sf

    np.testing.assert_allclose(sf.read(tmp_path / "a.wav", dtype="float32")[0], wav, atol=1e-4)


def test_bf16_precision_is_close_to_fp32(exp, astronaut):
    """bf16 autocast: same lengths, float32 results, speech and frames within bfloat16 error."""
    from ttsf.synthesis import SynthesisControls, Synthesizer

    exp_dir, _ = exp
    synth = Synthesizer.load(exp_dir / "model.pth")
    code = synth.model.encode_portrait(synth.portrait(astronaut / "one.png"))
    out = {}
    for precision in ("fp32", "bf16"):
        controls = SynthesisControls(n_timesteps=4, motion_steps=4, seed=3, precision=precision)
        speech, chunks = synth.model.synthesize(synth.text_to_ids("Hello there."), code, controls)
        frames = torch.cat(list(chunks))
        assert speech["mel"].dtype == frames.dtype == torch.float32
        out[precision] = speech["mel"], frames, synth.vocode(speech, precision)
    (mel32, frames32, wav32), (mel16, frames16, wav16) = out["fp32"], out["bf16"]
    assert wav16.dtype == np.float32 and wav16.shape == wav32.shape
    assert mel16.shape == mel32.shape and frames16.shape == frames32.shape
    assert 0 < float((mel16 - mel32).norm() / mel32.norm()) < 0.03
    assert float((frames16 - frames32).abs().mean()) < 0.01  # frames in [-1, 1]
    # the synthesiser runs bf16 on a twin whose weights are stored in bf16: the same numbers
    controls = SynthesisControls(n_timesteps=4, motion_steps=4, seed=3, precision="bf16")
    wav, frames = synth.synthesize_arrays("Hello there.", code, controls)
    assert synth.model_at("bf16") is not synth.model and len(frames) == len(frames16)
    np.testing.assert_array_equal(wav, wav16[: len(wav)])


def test_unknown_precision_is_refused(tmp_path):
    from ttsf.synthesis import load_decode_config

    cfg = tmp_path / "decode.yaml"
    cfg.write_text("precision: fp16\n")
    with pytest.raises(ValueError, match="precision must be one of"):
        load_decode_config(cfg)
    with pytest.raises(SystemExit):
        synthesize.get_parser().parse_args(["--model", "m", "--text", "x", "--out", "o.mp4",
                                            "--precision", "fp16"])  # fmt: skip
