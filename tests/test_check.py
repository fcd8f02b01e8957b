"""`jepa-bench check`: the CI regression check passes on the committed baseline and catches planted changes."""
import json
import shutil
from pathlib import Path

import pytest

from benchmark.analysis import check
from benchmark import store
from benchmark.cli import main
from benchmark.runs.runner import run_one
from benchmark.runs.sweep import load_spec
from tasks import resolve_data_dir

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "results" / "ci-baseline"
SPEC = ROOT / "configs" / "ci.yaml"


def needs_data():
    if not (resolve_data_dir(None) / "synth_test.jsonl").is_file():
        pytest.skip("the CI sweep reads the upstream data ($JEPA_BENCH_DATA_DIR); CI has it")


def test_ci_sweep_reproduces_the_committed_baseline(tmp_path, capsys):
    """The regression check of CI: a fresh run of configs/ci.yaml equals results/ci-baseline."""
    needs_data()
    assert main(["sweep", "run", str(SPEC), "--results", str(tmp_path / "ci"), "--no-progress"]) == 0
    capsys.readouterr()
    rc = main(["check", "--baseline", str(BASELINE), "--results", str(tmp_path / "ci")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "check passed: 12 runs" in out


def test_a_planted_change_to_the_objective_is_caught(tmp_path, monkeypatch, capsys):
    needs_data()
    import benchmark.training.objectives as objectives

    sweep = load_spec(SPEC)
    run = next(r for r in sweep.runs if r.train.objective == "jepa")
    real = objectives.jepa_distance_sum

    def skewed(pred, target, distance, temperature):  # a 1 % change in the JEPA term
        s, c = real(pred, target, distance, temperature)
        return s * 1.01, c

    monkeypatch.setattr(objectives, "jepa_distance_sum", skewed)
    run_one(run, tmp_path / "r", progress=False)
    base = tmp_path / "base"
    base.mkdir()
    shutil.copytree(BASELINE / run.run_id, base / run.run_id)
    diffs, n = check.compare(base, tmp_path / "r")
    assert n == 1 and any(d.what == "final jepa_loss" for d in diffs), diffs
    assert main(["check", "--baseline", str(base), "--results", str(tmp_path / "r")]) == 1
    assert "final jepa_loss" in capsys.readouterr().out


def _copy(tmp_path) -> tuple[Path, Path]:
    base, cur = tmp_path / "base", tmp_path / "cur"
    run_id = sorted(p.name for p in store.run_dirs(BASELINE))[0]
    for d in (base, cur):
        shutil.copytree(BASELINE / run_id, d / run_id)
    return base / run_id, cur / run_id


def _edit(run_dir: Path, fn) -> None:
    s = json.loads((run_dir / "summary.json").read_text())
    fn(s)
    (run_dir / "summary.json").write_text(json.dumps(s))


def test_identical_trees_pass_and_planted_differences_fail(tmp_path, capsys):
    base, cur = _copy(tmp_path)
    assert main(["check", "--baseline", str(base.parent), "--results", str(cur.parent)]) == 0
    _edit(cur, lambda s: s["evaluations"][-1]["metrics"]["prefix"].update(accuracy=-1.0))
    assert main(["check", "--baseline", str(base.parent), "--results", str(cur.parent)]) == 1
    out = capsys.readouterr().out
    assert "regression" in out and "prefix" in out
    assert main(["check", "--baseline", str(base.parent), "--results", str(cur.parent), "--allow-changes"]) == 0


def test_changed_outputs_and_missing_runs_fail(tmp_path):
    base, cur = _copy(tmp_path)
    pred = next(cur.rglob("predictions.jsonl"))
    rows = [json.loads(line) for line in pred.read_text().splitlines()]
    rows[0]["output"] += "x"
    pred.write_text("".join(json.dumps(r) + "\n" for r in rows))
    diffs, _ = check.compare(base.parent, cur.parent)
    assert [d.what for d in diffs] == ["outputs"]
    shutil.rmtree(cur)
    diffs, _ = check.compare(base.parent, cur.parent)
    assert [d.kind for d in diffs] == ["missing"]


def test_losses_within_tolerance_pass(tmp_path):
    base, cur = _copy(tmp_path)
    _edit(cur, lambda s: s["last_log"].update(loss=s["last_log"]["loss"] * (1 + check.LOSS_TOLERANCE / 10)))
    assert check.compare(base.parent, cur.parent)[0] == []


def test_a_damaged_metrics_file_is_named_by_report_and_check(tmp_path, data_dir):
    """A truncated per-evaluation metrics.json must not be read as a run without a word."""
    import shutil

    from benchmark.analysis.runs import ReportError, load_runs
    from benchmark.cli import main as cli

    out = tmp_path / "tree" / "run"
    assert cli(["train", "--task", "synth", "--model", "tiny-random-llama", "--data-dir", str(data_dir),
                "--limit-train", "4", "--epochs", "1", "--batch-size", "2", "--grad-accum", "1", "--eval-splits",
                "test", "--eval-limit", "2", "--eval-max-new-tokens", "2", "--out", str(out), "--no-progress"]) == 0
    shutil.copytree(tmp_path / "tree", tmp_path / "baseline")
    metrics = next(out.rglob("metrics.json"))
    metrics.write_text(metrics.read_text()[:40])  # truncated
    with pytest.raises(ReportError, match="epoch_1/test/metrics.json: .*not valid JSON"):
        load_runs(tmp_path / "tree")
    said = []
    with pytest.raises(ReportError, match="no complete runs"):  # the one run is left out, and that is said
        load_runs(tmp_path / "tree", skip_broken=True, log=said.append)
    assert said and "metrics.json" in said[0]
    with pytest.raises(store.StoreError, match="damaged file.*metrics.json"):
        check.compare(tmp_path / "baseline", tmp_path / "tree")
