"""egs/TEMPLATE/ttsf.sh: stage guards, done-markers, failure reporting — run for real with a
recording stand-in for python, so every stage's command line is checked without training."""

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.fixture
def recipe(tmp_path, recorder):
    """A recipe dir like egs/mini, with local/data.sh and python replaced by recorders."""
    rec = tmp_path / "egs" / "demo"
    (rec / "local").mkdir(parents=True)
    (tmp_path / "egs" / "TEMPLATE").symlink_to(ROOT / "egs" / "TEMPLATE")
    (rec / "utils").symlink_to(ROOT / "utils")
    (rec / "path.sh").write_text("true\n")
    shutil.copy(ROOT / "egs" / "TEMPLATE" / "cmd.sh", rec / "cmd.sh")
    data_sh = rec / "local" / "data.sh"
    data_sh.write_text(f'#!/usr/bin/env bash\necho "data.sh $*" >> {recorder.calls}\n')
    data_sh.chmod(0o755)
    fake = recorder.python()

    def run(*args, env=None):
        return recorder.run(["../TEMPLATE/ttsf.sh", "--python", str(fake), *args], rec, env)

    return rec, run


def test_only_the_requested_stage_runs(recipe):
    rec, run = recipe
    out, calls = run("--stage", "3", "--stop_stage", "3", "--tts_args", "--max_epoch 2",
                     "--syncnet_config", "", "--vocoder_config", "")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert len(calls) == 1
    assert calls[0].startswith("-m ttsf.bin.train --task tts --config conf/train_tts.yaml")
    assert "--output_dir exp/tts" in calls[0] and calls[0].endswith("--max_epoch 2")
    assert (rec / "exp" / "tts" / ".done").exists()
    assert "stage 3 (TTS pretraining): done" in out.stdout


def test_all_stages_in_order_then_done_markers_skip(recipe):
    rec, run = recipe
    out, calls = run("--tag", "x", "--test_sets", "t1 t2")
    assert out.returncode == 0, out.stderr
    first = [c.split()[1] if not c.startswith("data.sh") else "data.sh" for c in calls]
    assert first == ["data.sh", *["ttsf.bin.extract_features"] * 4, *["ttsf.bin.train"] * 4,
                     "ttsf.bin.decode", "ttsf.bin.decode", "ttsf.bin.score",
                     "ttsf.bin.score", "ttsf.bin.pack_model"]  # fmt: skip
    tasks = [c.split("--task ")[1].split()[0] for c in calls if "--task" in c]
    assert tasks == ["tts", "syncnet", "vocoder", "ttsf"]
    joint = calls[8]
    assert "--output_dir exp/ttsf_x" in joint and "--tts_init exp/tts_x/model.pth" in joint
    assert "--losses.sync.conf.syncnet_path exp/syncnet_x/syncnet.pth" in joint
    assert "--vocoder_conf.checkpoint exp/vocoder_x/generator.pth" in joint
    out, calls = run("--tag", "x", "--test_sets", "t1 t2")
    assert calls == [] and out.stdout.count("already done") == 9
    out, calls = run("--tag", "x", "--stage", "5", "--stop_stage", "5", "--force", "true",
                     "--test_sets", "t1 t2")  # fmt: skip
    assert len(calls) == 2


def test_failing_stage_stops_with_name_and_log(recipe):
    rec, run = recipe
    out, calls = run("--stage", "3", "--stop_stage", "5", env={"FAIL_ON": "--task ttsf"})
    assert out.returncode == 1
    assert "stage 4 (joint training) FAILED" in out.stdout
    assert "exp/logs/stage4_joint_training.log" in out.stdout
    assert "boom: --task ttsf" in (rec / "exp" / "ttsf" / "run.log").read_text()
    assert not (rec / "exp" / "ttsf" / ".done").exists()
    assert not any("ttsf.bin.decode" in c for c in calls)


def test_unknown_option_is_rejected(recipe):
    _, run = recipe
    out, calls = run("--stop-stgae", "3")
    assert out.returncode == 1 and "unknown option --stop-stgae" in out.stderr and calls == []


def test_evaluation_only_recipe_decodes_another_model(recipe):
    """LRS2/VoxCeleb2: no training sets; token list and stats from the LRS3 dump."""
    rec, run = recipe
    other = rec.parent / "lrs3"
    (other / "dump" / "token_list" / "char").mkdir(parents=True)
    (other / "dump" / "feats_stats.npz").write_bytes(b"x")
    out, calls = run("--train_set", "", "--valid_set", "", "--test_sets", "test",
                     "--stats_from", str(other / "dump"),
                     "--model_exp", str(other / "exp" / "ttsf"),
                     "--stage", "2", "--stop_stage", "6")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert [c.split()[1] for c in calls] == ["ttsf.bin.extract_features", "ttsf.bin.decode",
                                             "ttsf.bin.score"]  # fmt: skip
    assert (rec / "dump" / "feats_stats.npz").exists() and (rec / "dump" / "token_list").is_dir()
    assert f"--model {other}/exp/ttsf/model.pth" in calls[1]
    assert "--out_dir exp/decode_ttsf/test" in calls[1]


def test_face_pretraining_is_optional_and_starts_the_joint_stage(recipe):
    rec, run = recipe
    out, calls = run("--stage", "3", "--stop_stage", "4", "--syncnet_config", "",
                     "--vocoder_config", "", "--tfg_config", "conf/train_ttsf.yaml",
                     "--tfg_args", "--max_epoch 3")  # fmt: skip
    assert out.returncode == 0, out.stderr
    tasks = [c.split("--task ")[1].split()[0] for c in calls]
    assert tasks == ["tts", "tfg", "ttsf"]
    assert "--config conf/train_ttsf.yaml" in calls[1] and calls[1].endswith("--max_epoch 3")
    face = "exp/tfg/model.pth"
    assert (f"--init_param [{face}:face_generator,{face}:motion_extractor,"
            f"{face}:discriminator]") in calls[2]  # fmt: skip
    assert "stage 3 (face pretraining): done" in out.stdout
