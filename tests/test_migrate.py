"""`jepa-bench migrate`: a tree of schema 1 (run summary in metrics.json, machine paths in the command) or of
schema 2 (run ids hashed over numbers as written) becomes a schema-3 tree with every number equal and every run
under the id today's code gives it; readers and sweeps refuse an unmigrated tree with the command that fixes it;
committed results and reports hold no machine's absolute paths."""
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from benchmark import store
from benchmark.cli import main
from benchmark.evaluation.plan import EvalPlan
from benchmark.runs.spec import RunSpec
from benchmark.store.provenance import command_as_typed
from benchmark.training.config import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "results" / "ci-baseline"


def _schema_2_id(record: dict) -> str:
    """How schemas 1 and 2 hashed a run: the identity dumped as written (3 and 3.0 apart)."""
    spec = RunSpec(TrainConfig.from_dict(record["config"]), EvalPlan.from_dict(record["eval"]))
    blob = json.dumps({"train": spec.train.identity(), "eval": spec.eval.identity()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _as_schema(tree: Path, version: int) -> dict[str, str]:
    """Undo the migration by hand: what version 0.1 (schema 1) or 0.2 (schema 2) wrote. Returns new id -> old."""
    ids = {}
    for run in store.run_dirs(tree):
        c = json.loads((run / "config.json").read_text())
        s = json.loads((run / "summary.json").read_text())
        old = _schema_2_id(c)
        ids[run.name] = old
        for d in (c, s):
            d["run_id"] = old
            d.pop("schema") if version == 1 else d.update(schema=version)
        if version == 1:
            c["command"] = ["/work/main/benchmark/cli.py", *c["command"][1:]]
            (run / "metrics.json").write_text(json.dumps(s, indent=2))
            (run / "summary.json").unlink()
        else:
            (run / "summary.json").write_text(json.dumps(s, indent=2))
        (run / "config.json").write_text(json.dumps(c, indent=2))
        run.rename(run.with_name(old))
    return ids


def _same_numbers(a: Path, b: Path) -> bool:
    strip = lambda p: {k: v for k, v in json.loads(p.read_text()).items() if k not in ("run_id", "schema")}  # noqa
    return strip(a / "summary.json") == strip(b / "summary.json") and strip(a / "config.json") == strip(b / "config.json")


def test_the_committed_baseline_had_these_ids_before_schema_3():
    """The old hash above is the one schema 2 used: it gives back a run id committed under schema 2."""
    run = next(r for r in store.run_dirs(BASELINE))
    old_ids = {_schema_2_id(json.loads((r / "config.json").read_text())) for r in store.run_dirs(BASELINE)}
    assert "00bac8fcb637" in old_ids and run.name not in old_ids  # a schema-2 id of this tree, now renamed


def test_migration_keeps_every_number(tmp_path, capsys):
    old = tmp_path / "old"
    shutil.copytree(BASELINE, old)
    _as_schema(old, 1)
    assert store.run_dirs(old) == [] and len(store.legacy_runs(old)) == 12
    assert main(["report", str(old), "--out", str(tmp_path / "rep")]) == 2
    assert "jepa-bench migrate" in capsys.readouterr().err
    assert main(["migrate", str(old)]) == 0
    assert "12 of 12 run(s)" in capsys.readouterr().out
    assert sorted(r.name for r in store.run_dirs(old)) == sorted(r.name for r in store.run_dirs(BASELINE))
    for run in store.run_dirs(BASELINE):
        a = json.loads((run / "summary.json").read_text())
        b = json.loads((old / run.name / "summary.json").read_text())
        assert a == b and not (old / run.name / "metrics.json").exists()
        assert json.loads((old / run.name / "config.json").read_text())["command"][0] == "jepa-bench"
    assert main(["migrate", str(old)]) == 0 and "0 of 12" in capsys.readouterr().out  # idempotent
    assert main(["check", "--baseline", str(BASELINE), "--results", str(old)]) == 0


def test_a_schema_2_tree_is_refused_then_renamed_with_its_unfinished_run_and_readme(tmp_path, capsys):
    old = tmp_path / "ci"
    shutil.copytree(BASELINE, old)
    ids = _as_schema(old, 2)
    first_new, first_old = sorted(ids.items())[0]
    (old / "README.md").write_text(f"| {first_old} | regular |\n")
    partial = old / f"{first_old}.partial"  # an unfinished run a sweep must still resume after the migration
    shutil.copytree(old / first_old, partial, ignore=shutil.ignore_patterns("summary.json", "epochs"))
    (partial / "trainer" / "checkpoint-4").mkdir(parents=True)
    (partial / "trainer" / "checkpoint-4" / "config.json").write_text('{"model_type": "llama"}')
    for argv in (["report", str(old), "--out", str(tmp_path / "rep")],
                 ["sweep", "plan", "configs/ci.yaml", "--results", str(old)],
                 ["check", "--baseline", str(BASELINE), "--results", str(old)]):
        assert main(argv) == 2, argv
        assert f"jepa-bench migrate {old}" in capsys.readouterr().err, argv
    assert main(["migrate", str(old)]) == 0
    out = capsys.readouterr().out
    assert "13 of 13 run(s)" in out and "(13 with a new run id)" in out
    assert sorted(r.name for r in store.run_dirs(old)) == sorted(ids)
    assert all(_same_numbers(BASELINE / new, old / new) for new in ids)
    assert (old / f"{first_new}.partial").is_dir() and not partial.exists()
    assert json.loads((old / f"{first_new}.partial" / "config.json").read_text())["run_id"] == first_new
    assert (old / "README.md").read_text() == f"| {first_new} | regular |\n"
    assert main(["check", "--baseline", str(BASELINE), "--results", str(old)]) == 0
    assert main(["sweep", "plan", "configs/ci.yaml", "--results", str(old)]) == 0
    assert "12 done" in capsys.readouterr().out
    assert main(["migrate", str(old)]) == 0 and "0 of 13" in capsys.readouterr().out  # idempotent


def test_two_runs_that_are_one_setting_stop_the_migration_before_any_change(tmp_path, capsys):
    """epochs 3 and 3.0 had two ids under schema 2 and have one now: the user must choose, nothing is moved."""
    tree = tmp_path / "t"
    shutil.copytree(BASELINE, tree)
    _as_schema(tree, 2)
    a = sorted(p for p in tree.iterdir() if p.is_dir())[0]
    c = json.loads((a / "config.json").read_text())
    c["config"]["epochs"] = float(c["config"]["epochs"])
    c["run_id"] = _schema_2_id(c)
    assert c["run_id"] != a.name
    b = a.with_name(c["run_id"])
    shutil.copytree(a, b)
    (b / "config.json").write_text(json.dumps(c, indent=2))
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    assert main(["migrate", str(tree)]) == 2
    err = capsys.readouterr().err
    assert "one setting" in err and a.name in err and b.name in err
    assert {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()} == before


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
