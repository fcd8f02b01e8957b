"""`jepa-bench migrate`: a schema-1 tree (run summary in metrics.json, machine paths in the command) becomes
a schema-2 tree with every number equal; readers refuse an unmigrated tree with the command that fixes it;
committed results and reports hold no machine's absolute paths."""
import json
import re
import shutil
from pathlib import Path

import pytest

from benchmark import store
from benchmark.cli import main
from benchmark.store.provenance import command_as_typed

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "results" / "ci-baseline"


def _as_schema_1(tree: Path) -> None:
    """Undo the migration by hand: what version 0.1 wrote."""
    for run in store.run_dirs(tree):
        s = json.loads((run / "summary.json").read_text())
        s.pop("schema")
        (run / "metrics.json").write_text(json.dumps(s, indent=2))
        (run / "summary.json").unlink()
        c = json.loads((run / "config.json").read_text())
        c.pop("schema")
        c["command"] = ["/work/main/benchmark/cli.py", *c["command"][1:]]
        (run / "config.json").write_text(json.dumps(c, indent=2))


def test_migration_keeps_every_number(tmp_path, capsys):
    old = tmp_path / "old"
    shutil.copytree(BASELINE, old)
    _as_schema_1(old)
    assert store.run_dirs(old) == [] and len(store.legacy_runs(old)) == 12
    assert main(["report", str(old), "--out", str(tmp_path / "rep")]) == 2
    assert "jepa-bench migrate" in capsys.readouterr().err
    assert main(["migrate", str(old)]) == 0
    assert "12 of 12 run(s)" in capsys.readouterr().out
    for run in store.run_dirs(BASELINE):
        a = json.loads((run / "summary.json").read_text())
        b = json.loads((old / run.name / "summary.json").read_text())
        assert a == b and not (old / run.name / "metrics.json").exists()
        assert json.loads((old / run.name / "config.json").read_text())["command"][0] == "jepa-bench"
    assert main(["migrate", str(old)]) == 0 and "0 of 12" in capsys.readouterr().out  # idempotent
    assert main(["check", "--baseline", str(BASELINE), "--results", str(old)]) == 0


def test_commands_are_recorded_as_typed(tmp_path):
    cwd = tmp_path / "repo"
    assert command_as_typed(["/x/venv/bin/jepa-bench", "sweep", "run", "a.yaml"], cwd) == ["jepa-bench", "sweep",
                                                                                          "run", "a.yaml"]
    assert command_as_typed([str(cwd / "benchmark" / "cli" / "__main__.py"), "--results", str(cwd / "results" / "x")],
                            cwd) == ["jepa-bench", "--results", "results/x"]
    assert command_as_typed(["jepa-bench", str(Path.home() / "data")], cwd)[1] == "~/data"


MACHINE_PATHS = re.compile(r"(/work/|/tmp/|/home/|/root/|/Users/|/private/var/)")


def test_generated_text_that_looks_like_a_path_is_written_escaped(tmp_path):
    """A model's answer can look like a machine path (SmolLM2 answered an NQ-Open question with
    "/home/user/data"): JSON-lines files write "/" as JSON's escape, which reads back identical."""
    import json

    from benchmark import store

    record = {"index": 57, "output": "/home/user/data", "verdicts": {"squad_em": {"extracted": "a\\/b"}}}
    store.write_jsonl(tmp_path / "predictions.jsonl", [record])
    text = (tmp_path / "predictions.jsonl").read_text(encoding="utf-8")
    assert not MACHINE_PATHS.search(text) and "/" not in text.replace("\\/", "")
    assert json.loads(text) == record


@pytest.mark.parametrize("top", ["results", "reports"])
def test_committed_files_hold_no_machine_paths(top):
    offenders = []
    for path in (ROOT / top).rglob("*"):
        if path.is_file() and path.suffix in (".json", ".jsonl", ".md", ".csv", ".tex", ".txt", ".yaml"):
            for i, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if MACHINE_PATHS.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()[:100]}")
    assert not offenders, f"{len(offenders)} lines with absolute machine paths, e.g.\n" + "\n".join(offenders[:10])


def test_kept_models_are_never_committed():
    """save_model / save_checkpoints write weights into the results tree: git ignores them, and no committed
    file under results/ is a weight file."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    for path in ("results/cpu-x/0123456789ab/model/model.safetensors",
                 "results/cpu-x/0123456789ab/epochs/epoch_2/model/config.json"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=root).returncode == 0, path
    tracked = subprocess.run(["git", "ls-files", "results"], cwd=root, capture_output=True, text=True).stdout.split()
    assert not [p for p in tracked if p.endswith((".safetensors", ".bin", ".pt", ".gguf"))]
