"""Every shipped sweep spec (configs/) parses and checks: a typo, a key of the wrong objective or a value out of range
in a spec nobody has run yet fails here, not on the machine that was booked for it."""
from pathlib import Path

import pytest

from benchmark.runs.sweep import load_spec

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
SPECS = sorted(p for p in CONFIGS.rglob("*.yaml"))


def test_the_shipped_specs_are_there():
    assert len(SPECS) >= 20 and {p.parent.name for p in SPECS} >= {"cpu", "paper"}


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_shipped_spec_loads(path, tmp_path):
    sweep = load_spec(path, results=tmp_path / "r")
    assert sweep.runs, path
    assert all(r.train.validate() for r in sweep.runs)
