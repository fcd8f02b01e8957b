"""`evaluate`: predictions.jsonl and metrics.json, scores that follow the verdicts, and the CLI."""
import json

import pytest

from benchmark.evaluation import evaluate as ev
from benchmark.cli import main
from benchmark.evaluation.evaluate import evaluate
from benchmark.evaluation.plan import EvalPlan
from tasks import get_task

QUIET = EvalPlan(batch_size=4, max_new_tokens=8)


def test_evaluate_writes_predictions_and_metrics(tiny, examples, tmp_path):
    model, tok = tiny
    task = get_task("synth")
    out = tmp_path / "eval"
    summary = evaluate(model, tok, task, examples, split="test", plan=QUIET, progress=False, out_dir=out)
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    # data order, not length order; no copy of the data (prompt, gold) unless keep_inputs
    assert [r["example_sha256"] for r in rows] == [ev.example_hash(e) for e in examples]
    assert not any("prompt" in r or "gold" in r for r in rows)
    assert all(set(r["verdicts"]) == {"exact", "prefix", "dfa"} for r in rows)
    on_disk = json.loads((out / "metrics.json").read_text())
    assert on_disk["task_version"] == task.version and on_disk["n"] == len(examples)
    for name, m in on_disk["metrics"].items():
        assert m["correct"] == sum(r["verdicts"][name]["correct"] is True for r in rows)
        assert m["accuracy"] == m["correct"] / len(examples)
    assert on_disk["main_metric"] == "exact" and on_disk["parity_metrics"] == ["exact"]
    assert on_disk["asked"]["batch_size"] == 4 and "versions" in on_disk and "git" in on_disk
    assert summary["accuracy"] == on_disk["accuracy"]
    assert not (tmp_path / "eval.partial").exists()


def test_a_model_that_answers_with_the_gold_scores_one(tiny, examples, monkeypatch):
    model, tok = tiny
    task = get_task("synth")
    gold = {e.user: e.assistant for e in examples}

    def perfect(model, tok, task, exs, plan, **kw):  # stands in for generation: every answer is the gold
        return [{"prompt": e.user, "output": gold[e.user]} for e in exs]

    monkeypatch.setattr(ev, "ask", perfect)
    summary = evaluate(model, tok, task, examples, split="test", plan=QUIET, progress=False)
    assert {m: v["accuracy"] for m, v in summary["metrics"].items()} == {"exact": 1.0, "prefix": 1.0, "dfa": 1.0}


def test_undecided_is_reported_and_counted_wrong(tiny, examples, monkeypatch):
    from tasks.base import Verdict

    model, tok = tiny
    task = get_task("synth")
    monkeypatch.setattr(ev, "ask", lambda m, t, task, exs, plan, **kw: [{"prompt": "", "output": "x"} for _ in exs])
    monkeypatch.setattr("tasks.brics.dfa_equivalent", lambda a, b, timeout: Verdict(None, "undecided: budget"))
    plan = EvalPlan(batch_size=4, max_new_tokens=8, metrics=("dfa",))
    m = evaluate(model, tok, task, examples, split="test", plan=plan, progress=False)["metrics"]["dfa"]
    assert m["undecided"] == len(examples) and m["accuracy"] == 0.0 and m["upper_bound"] == 1.0
    assert m["top_reasons"] == {"undecided: budget": len(examples)}


def test_cli_evaluate_model_on_task(data_dir, tmp_path, capsys):
    out = tmp_path / "ev"
    rc = main(["evaluate", "--model", "tiny-random-llama", "--task", "synth", "--data-dir", str(data_dir),
               "--limit", "3", "--max-new-tokens", "4", "--out", str(out), "--no-progress"])
    assert rc == 0
    assert json.loads((out / "test" / "metrics.json").read_text())["n"] == 3
    assert "exact" in capsys.readouterr().out


def test_cli_evaluate_a_saved_run(data_dir, tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--task", "synth", "--model", "tiny-random-llama", "--data-dir", str(data_dir),
                 "--epochs", "1", "--batch-size", "2", "--grad-accum", "1", "--limit-train", "4", "--max-length", "64",
                 "--save-model", "--out", str(run), "--no-progress"]) == 0
    assert main(["evaluate", "--run", str(run), "--split", "test", "--limit", "2", "--max-new-tokens", "4",
                 "--no-progress"]) == 0
    metrics = json.loads((run / "eval" / "test" / "metrics.json").read_text())
    assert metrics["run"] == str(run) and metrics["n"] == 2


@pytest.mark.parametrize("argv, message", [
    (["--model", "tiny-random-llama", "--task", "synht"], "Did you mean 'synth'"),
    (["--model", "tiny-random-llama", "--task", "synth", "--split", "dev"], "no split 'dev'"),
    (["--model", "tiny-random-llama", "--task", "synth", "--metrics", "exakt"], "Did you mean 'exact'"),
    (["--model", "tiny-random-llama", "--task", "spider"], "needs --spider-db-dir"),
    (["--task", "synth"], "--run DIR, or --model NAME"),
    (["--run", "/nonexistent/run"], "not a finished run"),
])
def test_cli_evaluate_bad_input_is_one_line_and_writes_nothing(argv, message, data_dir, tmp_path, capsys):
    from conftest import write_jsonl

    write_jsonl(data_dir / "spider_test.jsonl", [("For db_id:[shop]\n\nHow many?", "SELECT count(*) FROM singer")],
                system="Convert natural language to SQL.")
    out = tmp_path / "out"
    rc = main(["evaluate", *argv, "--data-dir", str(data_dir), "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and message in err and len(err.splitlines()) == 1
    assert not out.exists() and not (tmp_path / "out.partial").exists()
