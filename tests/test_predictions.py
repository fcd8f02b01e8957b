"""Predictions without data copies: evaluate() leaves prompts and golds out unless asked, `predictions show`
joins them back from the data (checking each fingerprint), `predictions strip` cleans an existing tree."""
import json

import pytest

from benchmark.cli import main
from benchmark.evaluation.evaluate import evaluate, example_hash
from benchmark.evaluation.plan import EvalPlan
from benchmark.analysis.predictions import eval_source, join, load_examples, read_predictions, strip_tree
from benchmark.runs.spec import RunSpec
from benchmark.training.config import TrainConfig
from benchmark.store import StoreError
from tasks import get_task, load_split

QUIET = EvalPlan(batch_size=4, max_new_tokens=8)


def _evaluate(tiny, data_dir, out, keep_inputs, limit=5):
    model, tok = tiny
    task = get_task("synth")
    exs = load_split(task, "test", data_dir, limit)
    plan = EvalPlan(batch_size=4, max_new_tokens=8, keep_inputs=keep_inputs)
    evaluate(model, tok, task, exs, split="test", plan=plan, progress=False, out_dir=out, extra={"limit": limit})
    return exs


def test_keep_inputs_adds_prompt_and_gold_and_nothing_else(tiny, data_dir, tmp_path):
    exs = _evaluate(tiny, data_dir, tmp_path / "kept", keep_inputs=True)
    _evaluate(tiny, data_dir, tmp_path / "clean", keep_inputs=False)
    kept, clean = read_predictions(tmp_path / "kept"), read_predictions(tmp_path / "clean")
    assert [r["gold"] for r in kept] == [e.assistant for e in exs]
    assert all(r["prompt"] and e.user in r["prompt"] for r, e in zip(kept, exs))
    assert [{k: v for k, v in r.items() if k not in ("prompt", "gold")} for r in kept] == clean


def test_strip_turns_a_kept_tree_into_the_clean_one_byte_for_byte(tiny, data_dir, tmp_path):
    _evaluate(tiny, data_dir, tmp_path / "tree" / "run" / "epochs" / "epoch_1" / "test", keep_inputs=True)
    _evaluate(tiny, data_dir, tmp_path / "clean", keep_inputs=False)
    # a tree written before fingerprints existed: prompt and gold, no example_sha256
    old = tmp_path / "tree" / "run" / "epochs" / "epoch_1" / "test" / "predictions.jsonl"
    rows = [json.loads(line) for line in old.read_text().splitlines()]
    old.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "example_sha256"}) + "\n" for r in rows))
    assert strip_tree(tmp_path / "tree", str(data_dir), log=lambda *_: None) == 1
    assert old.read_text() == (tmp_path / "clean" / "predictions.jsonl").read_text()
    assert strip_tree(tmp_path / "tree", str(data_dir), log=lambda *_: None) == 0  # already clean: untouched


def test_strip_refuses_a_gold_that_is_not_in_the_data(tiny, data_dir, tmp_path):
    out = tmp_path / "ev"
    _evaluate(tiny, data_dir, out, keep_inputs=True)
    path = out / "predictions.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[2].pop("example_sha256")
    rows[2]["gold"] = "not the gold"
    before = "".join(json.dumps(r) + "\n" for r in rows)
    path.write_text(before)
    with pytest.raises(StoreError, match="example 2"):
        strip_tree(out, str(data_dir), log=lambda *_: None)
    assert path.read_text() == before  # nothing half-written


def test_join_detects_changed_data(tiny, data_dir, tmp_path):
    from conftest import FIXTURE_ROWS, write_jsonl

    _evaluate(tiny, data_dir, tmp_path / "ev", keep_inputs=False)
    records = read_predictions(tmp_path / "ev")
    source = eval_source(tmp_path / "ev", str(data_dir))
    assert source.limit == 5 and source.split == "test" and source.val_fraction == 0.0
    pairs = join(records, load_examples(source))
    assert [ex.assistant for _, ex in pairs] == [a for _, a in FIXTURE_ROWS[:5]]
    rows = list(FIXTURE_ROWS)
    rows[1] = (rows[1][0], "a different gold")
    write_jsonl(data_dir / "synth_test.jsonl", rows)
    with pytest.raises(StoreError, match="example 1 differs"):
        join(records, load_examples(source))


def test_show_prints_gold_beside_output_and_filters_wrong(tiny, data_dir, tmp_path, capsys):
    _evaluate(tiny, data_dir, tmp_path / "ev", keep_inputs=False)
    assert main(["predictions", "show", str(tmp_path / "ev"), "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert out.count("  gold:   ") == 5 and "(.*truck.*){3,}" in out
    assert main(["predictions", "show", str(tmp_path / "ev"), "--data-dir", str(data_dir), "--wrong", "exakt"]) == 2
    assert "Did you mean 'exact'" in capsys.readouterr().err
    assert main(["predictions", "show", str(tmp_path / "nowhere")]) == 2
    assert "no predictions.jsonl" in capsys.readouterr().err


def test_keep_inputs_does_not_change_a_run_id():
    train = TrainConfig.from_dict({"task": "synth", "model": "tiny-random-llama"})
    assert RunSpec(train, EvalPlan()).run_id == RunSpec(train, EvalPlan(keep_inputs=True)).run_id


def test_example_hash_depends_on_every_message(examples):
    from tasks.jsonl import Example

    ex = examples[0]
    changed = Example((ex.messages[0], ex.messages[1], {"role": "assistant", "content": ex.assistant + "x"}))
    assert example_hash(ex) != example_hash(changed) and len(example_hash(ex)) == 16


def test_committed_results_hold_no_copy_of_the_data():
    """Every predictions.jsonl under results/ (committed) is stripped: no prompt, no gold."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "results"
    files = sorted(root.rglob("predictions.jsonl"))
    assert files, "results/ should hold the committed trees"
    offending = [str(p.relative_to(root)) for p in files
                 if any("prompt" in r or "gold" in r for r in map(json.loads, p.read_text().splitlines()))]
    assert not offending, f"run `jepa-bench predictions strip results` before committing: {offending[:3]}"


def test_a_random_subset_is_recorded_and_joined_back_to_the_same_rows(tiny, data_dir, tmp_path):
    """`predictions show` reloads the rows an evaluation saw: with `subset: random` those are not the first
    n, so the evaluation records its subset and the join takes the same sample (fingerprints agree)."""
    from conftest import FIXTURE_ROWS, write_jsonl

    model, tok = tiny
    task = get_task("synth")
    write_jsonl(data_dir / "synth_test.jsonl", [(f"{u} ({i})", a) for i in range(5) for u, a in FIXTURE_ROWS])
    exs = load_split(task, "test", data_dir, 4, subset="random")
    assert [e.user for e in exs] != [e.user for e in load_split(task, "test", data_dir, 4)]
    plan = EvalPlan(batch_size=4, max_new_tokens=8, limit=4, subset="random")
    evaluate(model, tok, task, exs, split="test", plan=plan, progress=False, out_dir=tmp_path / "ev")
    source = eval_source(tmp_path / "ev", str(data_dir))
    assert source.subset == "random" and source.limit == 4
    pairs = join(read_predictions(tmp_path / "ev"), load_examples(source))
    assert [ex.user for _, ex in pairs] == [e.user for e in exs]


def test_the_subset_settings_leave_head_run_ids_unchanged():
    """Added after runs were committed: at their default (head) they stay out of the id; random changes it."""
    train = TrainConfig.from_dict({"task": "synth", "model": "tiny-random-llama", "limit_train": 8})
    base = RunSpec(train, EvalPlan(limit=4)).run_id
    assert "train_subset" not in train.identity() and "subset" not in EvalPlan(limit=4).identity()
    assert RunSpec(TrainConfig.from_dict({**train.to_dict(), "train_subset": "random"}), EvalPlan(limit=4)).run_id != base
    assert RunSpec(train, EvalPlan(limit=4, subset="random")).run_id != base
