"""The code passes the linter (ruff, pyproject.toml's small rule set: syntax, pyflakes, imports and statements,
warnings, lines of at most 140 characters), as the test command runs it."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is not installed: `pip install -e .[test]` installs it")
    done = subprocess.run([ruff, "check", "benchmark", "tasks", "tests", "benchmarks"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
