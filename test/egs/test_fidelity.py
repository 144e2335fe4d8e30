"""egs/mini/local/fidelity.sh: which jobs it trains, side by side and in what order, with which
inputs, and that a failed job stops it naming its log — run with a recording stand-in for
python (conftest.py), so nothing trains."""

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.fixture
def fidelity(tmp_path, recorder):
    rec = tmp_path / "mini"
    (rec / "local").mkdir(parents=True)
    shutil.copy(ROOT / "egs" / "mini" / "local" / "fidelity.sh", rec / "local")
    (rec / "utils").symlink_to(ROOT / "utils")
    (rec / "path.sh").write_text("true\n")
    (rec / "db.sh").write_text("MINI=db/mini\n")
    (rec / "run.sh").write_text(f'#!/usr/bin/env bash\necho "run.sh $*" >> {recorder.calls}\n')
    (rec / "run.sh").chmod(0o755)
    fake = recorder.python(prefix="threads=${OMP_NUM_THREADS:-unset} ")

    def run(*args, env=None):
        return recorder.run(["local/fidelity.sh", "--python", str(fake), *args], rec, env)

    return rec, run


def _output_dir(call: str) -> str:
    return call.split("--output_dir ")[1].split()[0]


def test_trains_pretraining_then_joint_models_then_measures(fidelity):
    rec, run = fidelity
    out, calls = run()
    assert out.returncode == 0, out.stderr
    assert calls[0] == "run.sh --stop_stage 2"
    train = [c for c in calls if "ttsf.bin.train" in c]
    assert all(c.startswith("threads=1 ") for c in train)  # side by side, one thread each
    # pretraining first (the face half beside the TTS then the expert), then the joint pairs
    pretraining = [_output_dir(c) for c in train[:3]]
    assert set(pretraining) == {"exp/tts_long", "exp/syncnet_long", "exp/tfg_long"}
    assert pretraining.index("exp/tts_long") < pretraining.index("exp/syncnet_long")
    tfg = train[pretraining.index("exp/tfg_long")]
    assert "--task tfg --config conf/tuning/train_tfg_long.yaml" in tfg
    assert {_output_dir(c) for c in train[3:5]} == {"exp/ttsf_long", "exp/ttsf_long_fv"}
    assert {_output_dir(c) for c in train[5:7]} == {"exp/ttsf_long_emb_mu", "exp/ttsf_long_emb"}
    joint = {_output_dir(c): c for c in train[3:]}
    face = "exp/tfg_long/model.pth"
    for c in joint.values():
        assert "--task ttsf --config conf/tuning/train_ttsf_long_voice_pose.yaml" in c
        assert "--tts_init exp/tts_long/model.pth" in c
        assert "--losses.sync.conf.syncnet_path exp/syncnet_long/syncnet.pth" in c
        assert (f"--init_param [{face}:face_generator,{face}:motion_extractor,"
                f"{face}:discriminator]") in c  # fmt: skip
    assert joint["exp/ttsf_long_fv"].endswith("--model_conf.voice_from f_v")
    assert joint["exp/ttsf_long_emb_mu"].endswith("--audio_mapper_conf.inputs [emb, mu]")
    assert joint["exp/ttsf_long"].endswith("discriminator]")  # the model itself: no override
    measure = calls[-1]
    assert "bench/mini_fidelity.py" in measure and "--exp exp/ttsf_long " in measure
    assert "--fv_exp exp/ttsf_long_fv" in measure and "emb=exp/ttsf_long_emb" in measure
    # done-markers: a second run trains nothing
    out, calls = run("--stage", "2", "--stop_stage", "3")
    assert out.returncode == 0 and calls == []


def test_a_failed_job_stops_before_measuring_and_names_its_log(fidelity):
    rec, run = fidelity
    out, calls = run("--stage", "2", env={"FAIL_ON": "ttsf_long_fv"})
    assert out.returncode != 0
    assert "exp/ttsf_long_fv/run.log" in out.stderr
    assert not any("mini_fidelity" in c for c in calls)
    assert not (rec / "exp" / "ttsf_long_fv" / ".done").exists()
    assert (rec / "exp" / "ttsf_long" / ".done").exists()
    assert (rec / "exp" / "ttsf_long_fv" / "run.log").read_text() == "boom: ttsf_long_fv\n"
    out, calls = run("--stage", "3", "--stop_stage", "3")  # only the failed job again
    assert out.returncode == 0, out.stderr
    assert [_output_dir(c) for c in calls] == ["exp/ttsf_long_fv"]


def test_joint_procs_runs_the_joint_jobs_in_turn_each_on_that_many_processes(fidelity):
    rec, run = fidelity
    out, calls = run("--stage", "3", "--stop_stage", "3", "--joint_procs", "2",
                     env={"FAIL_ON": "ttsf_long_fv"})  # fmt: skip
    assert out.returncode != 0 and "exp/ttsf_long_fv/run.log" in out.stderr
    # in turn: a failed job does not stop the ones after it, and the order is the listed one
    assert [_output_dir(c) for c in calls] == [
        "exp/ttsf_long", "exp/ttsf_long_fv", "exp/ttsf_long_emb_mu", "exp/ttsf_long_emb"]
    assert all(c.startswith("threads=1 ") and "--num_procs 2" in c for c in calls)
    assert calls[1].endswith("--model_conf.voice_from f_v --num_procs 2")
    out, calls = run("--stage", "3", "--stop_stage", "3")  # the default: side by side, 1 process
    assert out.returncode == 0, out.stderr
    assert [_output_dir(c) for c in calls] == ["exp/ttsf_long_fv"]
    assert "--num_procs" not in calls[0]
