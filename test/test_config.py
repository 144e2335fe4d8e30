import subprocess
import sys

import pytest
import yaml

from ttsf.config import ConfigError, apply_overrides, build, check_config, load_config, save_config
from ttsf.registry import get_registry


def write(tmp_path, cfg):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_overrides_nested_and_typed():
    cfg = apply_overrides({"a": {"b": 1}}, ["a.b=2", "--a.c=[1, 2]", "x.y.z=true", "s=none"])
    assert cfg == {"a": {"b": 2, "c": [1, 2]}, "x": {"y": {"z": True}}, "s": "none"}


def test_floats_without_a_dot(tmp_path):
    """PyYAML alone reads lr: 1e-3 as a string; configs and overrides read it as a float."""
    (tmp_path / "c.yaml").write_text("optim_conf: {lr: 1e-3}\nname: 1e\nsteps: 5\n")
    cfg = load_config(tmp_path / "c.yaml", ["optim_conf.eps=-1E-8", "big=2e5"])
    assert cfg == {"optim_conf": {"lr": 1e-3, "eps": -1e-8}, "name": "1e", "steps": 5, "big": 2e5}
    assert isinstance(cfg["steps"], int)


def test_override_errors():
    with pytest.raises(ConfigError, match="key=value"):
        apply_overrides({}, ["novalue"])
    with pytest.raises(ConfigError, match="'a' is 3, not a mapping"):
        apply_overrides({"a": 3}, ["a.b=1"])


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("a: [1, 2\n", "not valid YAML"),
        ("- 1\n- 2\n", "must hold a mapping"),
        # PyYAML would keep the second silently and lose the first's weights
        ("loss_weights: {lambda_sync: 0.03}\nlr: 1\nloss_weights: {lambda_x: 1}\n",
         "'loss_weights' twice \\(first at line 1\\)"),
        ("a: {b: 1, b: 2}\n", "'b' twice"),
    ],
)  # fmt: skip
def test_unusable_config_file(tmp_path, text, error):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError, match=error):
        load_config(bad)


def test_plugin_module_from_config(tmp_path):
    path = write(
        tmp_path,
        {
            "plugins": ["toy_plugins"],
            "motion_sampler": "toy_still",
            "motion_sampler_conf": {"gain": 2.0},
        },
    )
    cfg = load_config(path)
    check_config(cfg, ["motion_sampler"])
    sampler = build(cfg, "motion_sampler")
    assert type(sampler).__name__ == "ToyStill" and sampler.gain == 2.0
    assert "toy_still" in get_registry("motion_sampler")


def test_unknown_plugin_module(tmp_path):
    with pytest.raises(ConfigError, match="plugin module 'no_such_pkg.mod'.*cannot be imported"):
        load_config(write(tmp_path, {"plugins": ["no_such_pkg.mod"]}))


def test_check_config_fails_at_load_time(tmp_path):
    cfg = load_config(write(tmp_path, {"plugins": ["toy_plugins"], "motion_sampler": "toy_stil"}))
    with pytest.raises(ConfigError, match="unknown motion_sampler 'toy_stil'.*toy_still"):
        check_config(cfg, ["motion_sampler"])
    cfg = {
        "motion_sampler": "toy_still",
        "motion_sampler_conf": {"gian": 1},
        "plugins": ["toy_plugins"],
    }
    with pytest.raises(ConfigError, match=r"\['gian'\].*valid keys: gain"):
        check_config(cfg, ["motion_sampler"])
    cfg = {"motion_sampler": "toy_still", "max_epohc": 3}
    with pytest.raises(ConfigError, match=r"unknown config key\(s\) \['max_epohc'\].*'max_epoch'"):
        check_config(cfg, ["motion_sampler"], other_keys=["max_epoch"])


def test_save_roundtrip(tmp_path):
    cfg = {"tts": "matcha", "tts_conf": {"n_feats": 80}, "plugins": []}
    save_config(cfg, tmp_path / "out" / "config.yaml")
    assert load_config(tmp_path / "out" / "config.yaml") == cfg
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_list_plugins_cli():
    out = subprocess.run(
        [sys.executable, "-m", "ttsf.bin.list_plugins", "--plugins", "toy_plugins"],
        capture_output=True,
        text=True,
        check=True,
        env={
            **__import__("os").environ,
            "PYTHONPATH": str(__import__("pathlib").Path(__file__).parent / "fixtures"),
        },
    ).stdout
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()}
    assert "toy_still" in lines["motion_sampler"]
    assert "toy" in lines["task"]


def test_base_config_is_merged_key_by_key(tmp_path):
    (tmp_path / "tuning").mkdir()
    (tmp_path / "train.yaml").write_text(
        "max_epoch: 4\noptim_conf: {lr: 0.001, betas: [0.5, 0.99]}\ntts: matcha\n"
    )
    (tmp_path / "tuning" / "long.yaml").write_text(
        "base: ../train.yaml\nmax_epoch: 40\noptim_conf: {lr: 0.0005}\n"
    )
    cfg = load_config(tmp_path / "tuning" / "long.yaml", ["optim_conf.betas=[0.9, 0.99]"])
    assert cfg == {"max_epoch": 40, "optim_conf": {"lr": 0.0005, "betas": [0.9, 0.99]},
                   "tts": "matcha"}  # fmt: skip
    (tmp_path / "loop.yaml").write_text("base: loop.yaml\n")
    with pytest.raises(ConfigError, match="loops back"):
        load_config(tmp_path / "loop.yaml")
    (tmp_path / "orphan.yaml").write_text("base: gone.yaml\n")
    with pytest.raises(ConfigError, match=r"gone.yaml \(the base of .*orphan.yaml\) does not"):
        load_config(tmp_path / "orphan.yaml")
