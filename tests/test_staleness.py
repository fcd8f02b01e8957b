"""A changed task or changed data never reuses old results without a word: every run records its task's version
and the sha256 of the data it read; `sweep plan` shows a run made with another version or other data as stale,
`sweep run` refuses until it is removed or accepted, and a report refuses to pair runs of different versions."""
import dataclasses
import json

import pytest
import yaml

from benchmark import store
from benchmark.cli import main
from conftest import FIXTURE_ROWS, write_jsonl


def _spec(tmp_path, data_dir):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"fixed": {"task": "synth", "model": "tiny-random-llama", "data_dir": str(data_dir),
                                              "limit_train": 4, "epochs": 1, "batch_size": 2, "grad_accum": 1,
                                              "max_length": 64},
                                    "eval": {"splits": ["test"], "limit": 2, "max_new_tokens": 2}}))
    return spec


def test_a_bumped_task_version_or_changed_data_makes_a_run_stale(tmp_path, data_dir, monkeypatch, capsys):
    import tasks.base as base

    spec, results = _spec(tmp_path, data_dir), tmp_path / "r"
    assert main(["sweep", "run", str(spec), "--results", str(results), "--no-progress"]) == 0
    (run,) = store.run_dirs(results)
    recorded = store.read_json(run / store.CONFIG)["task"]
    assert set(recorded["sha256"]) == {"synth_train.jsonl", "synth_test.jsonl"} and recorded["version"] == 2
    capsys.readouterr()
    assert main(["sweep", "plan", str(spec), "--results", str(results)]) == 0
    assert "  done  " in capsys.readouterr().out

    task = base.TASKS.get("synth")
    monkeypatch.setitem(base.TASKS._records, "synth", dataclasses.replace(task, version=3,
                                                                      changelog=task.changelog + ("a change",)))
    assert main(["sweep", "plan", str(spec), "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert "  stale  " in out and "made with synth v2, the task is now v3" in out and "0 done, 1 to run" in out
    assert main(["sweep", "run", str(spec), "--results", str(results), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "another task version or other data" in err and "--accept-stale" in err
    before = (run / store.SUMMARY).read_text()
    assert main(["sweep", "run", str(spec), "--results", str(results), "--no-progress", "--accept-stale"]) == 0
    assert (run / store.SUMMARY).read_text() == before  # accepted: kept as it is

    monkeypatch.setitem(base.TASKS._records, "synth", task)
    write_jsonl(data_dir / "synth_train.jsonl", FIXTURE_ROWS[::-1])  # the data file regenerated
    assert main(["sweep", "plan", str(spec), "--results", str(results)]) == 0
    assert "synth_train.jsonl has changed since the run read it" in capsys.readouterr().out


def test_a_report_refuses_to_mix_task_versions(tmp_path):
    from benchmark.analysis.runs import ReportError, load_runs
    from test_report import fake_run

    root = tmp_path / "r"
    fake_run(root, "synth", "regular", None, 1, 82, (0.5,))
    fake_run(root, "synth", "jepa", 1.0, 1, 82, (0.6,))
    load_runs(root)  # one version: fine
    (first, _) = store.run_dirs(root)
    summary = json.loads((first / store.SUMMARY).read_text())
    summary["task"] = {"name": "synth", "version": 1}
    (first / store.SUMMARY).write_text(json.dumps(summary))
    with pytest.raises(ReportError, match="mixes versions of a task \\(synth v1, v2\\)"):
        load_runs(root)
