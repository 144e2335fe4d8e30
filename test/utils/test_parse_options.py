"""utils/parse_options.sh: flags, --help, unknown flags, booleans, positional arguments."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]

SCRIPT = """#!/usr/bin/env bash
set -euo pipefail
stage=1
ngpu=0
tag=""
use_vocoder=true
help_message="Usage: demo.sh [options] <arg>"
. {root}/utils/parse_options.sh
echo "stage=$stage ngpu=$ngpu tag=$tag use_vocoder=$use_vocoder rest=$*"
"""


@pytest.fixture
def demo(tmp_path):
    path = tmp_path / "demo.sh"
    path.write_text(SCRIPT.format(root=ROOT))
    path.chmod(0o755)

    def run(*args):
        return subprocess.run([str(path), *args], capture_output=True, text=True)

    return run


def test_flags_both_forms_and_dashes(demo):
    out = demo("--stage", "3", "--ngpu=2", "--tag", "a b", "--use-vocoder", "false", "pos1", "pos2")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "stage=3 ngpu=2 tag=a b use_vocoder=false rest=pos1 pos2"


def test_defaults(demo):
    assert demo().stdout.strip() == "stage=1 ngpu=0 tag= use_vocoder=true rest="


def test_help_lists_options_and_exits_0(demo):
    out = demo("--stage", "5", "--help")
    assert out.returncode == 0
    assert "Usage: demo.sh [options] <arg>" in out.stdout
    assert "--stage" in out.stdout and "5" in out.stdout and "--ngpu" in out.stdout


def test_unknown_flag_fails(demo):
    out = demo("--stgae", "3")
    assert out.returncode == 1
    assert "unknown option --stgae" in out.stderr and "--help" in out.stderr


def test_missing_value_and_bad_bool(demo):
    out = demo("--stage")
    assert out.returncode == 1 and "needs a value" in out.stderr
    out = demo("--use_vocoder", "yes")
    assert out.returncode == 1 and "true or false" in out.stderr
