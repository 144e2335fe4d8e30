"""A recording stand-in for python, so recipe scripts run for real without training anything."""

import os
import subprocess
from types import SimpleNamespace

import pytest

FAKE_PYTHON = """#!/usr/bin/env bash
echo "{prefix}$*" >> {calls}
if [ -n "${{FAIL_ON:-}}" ] && [[ "$*" == *"$FAIL_ON"* ]]; then echo "boom: $FAIL_ON" >&2; exit 3; fi
"""


@pytest.fixture
def recorder(tmp_path):
    """``python(prefix)`` writes the stand-in (it appends ``prefix`` + its arguments to
    ``calls`` and exits 3 with "boom: ..." on stderr when they contain ``$FAIL_ON``);
    ``run(cmd, cwd, env)`` runs a script and returns (its CompletedProcess, the recorded lines)."""
    calls = tmp_path / "calls.txt"

    def python(prefix: str = ""):
        fake = tmp_path / "fake_python"
        fake.write_text(FAKE_PYTHON.format(calls=calls, prefix=prefix))
        fake.chmod(0o755)
        return fake

    def run(cmd, cwd, env=None):
        out = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}
        )
        lines = calls.read_text().splitlines() if calls.exists() else []
        calls.unlink(missing_ok=True)
        return out, lines

    return SimpleNamespace(calls=calls, python=python, run=run)
