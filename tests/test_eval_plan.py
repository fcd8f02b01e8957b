"""One evaluation plan drives every evaluation path: each scoring field of the tasks' ScoringContext is a
field of EvalPlan, reaches the scorers from it, and can be set from the `evaluate` command, `train
--eval-*`, a sweep spec's `eval:` block and the lm-eval export. A field missing from any path fails here."""
import dataclasses
import json

import pytest

from benchmark.cli import build_parser
from benchmark.evaluation.lm_eval_hooks import utils_source
from benchmark.evaluation.plan import EvalPlan, scoped_fields
from benchmark.training.config import ConfigError
from tasks import get_task
from tasks.base import ScoringContext

SCORING = tuple(f.name for f in dataclasses.fields(ScoringContext))
# a value unlike each default, so that a path that drops the field is seen
NON_DEFAULT = {"spider_db_dir": "/dbs", "dfa_timeout": 3.5, "sql_timeout": 4.5, "spider_keep_distinct": True}


def _flag(name: str, value) -> list[str]:
    flag = "--" + name.replace("_", "-")
    return [flag] if value is True else [flag, str(value)]


def test_scoring_fields_are_plan_fields_of_scope_score():
    assert set(NON_DEFAULT) == set(SCORING)
    assert set(scoped_fields("score")) == set(SCORING)


def test_the_plan_builds_the_scorers_context_from_every_field():
    ctx = EvalPlan(**NON_DEFAULT).scoring_context()
    for name, value in NON_DEFAULT.items():
        got = getattr(ctx, name)
        assert (str(got) if name == "spider_db_dir" else got) == value, name


def _parsed_plan(argv: list[str], prefix: str = "") -> dict:
    from benchmark.cli.flags import collect

    return collect(build_parser().parse_args(argv), EvalPlan, prefix=prefix)


@pytest.mark.parametrize("name", sorted(NON_DEFAULT))
def test_every_command_takes_every_scoring_field(name):
    value = NON_DEFAULT[name]
    evaluate = _parsed_plan(["evaluate", "--model", "m", "--task", "synth", *_flag(name, value)])
    train = _parsed_plan(["train", *_flag("eval_" + name, value)], prefix="eval-")
    export = _parsed_plan(["export-lm-eval", "out", *_flag(name, value)])
    for got in (evaluate, train, export):
        assert EvalPlan.from_dict(got).scoring_context() == EvalPlan(**{name: value}).scoring_context()


def test_a_sweep_spec_takes_every_plan_field():
    from benchmark.runs.sweep import parse_spec

    spec = {"fixed": {"task": "synth", "model": "tiny-random-llama"}, "eval": dict(NON_DEFAULT)}
    (run,) = parse_spec(spec).runs
    assert run.eval.scoring_context() == EvalPlan(**NON_DEFAULT).scoring_context()


def test_the_lm_eval_export_writes_every_scoring_field():
    src = utils_source([get_task("synth")], EvalPlan(**NON_DEFAULT).scoring_context())
    context_line = src[src.index("CONTEXT = ScoringContext("):].split("\n\n")[0]
    for name in SCORING:
        assert f"{name}=" in context_line, name


def test_the_runner_and_evaluate_read_the_scoring_context_from_the_plan(tiny, examples, monkeypatch):
    """evaluate() hands the plan's context to every scorer call (the runner passes its plan unchanged)."""
    from benchmark.evaluation import evaluate as ev
    from tasks.base import Verdict

    seen = []
    monkeypatch.setattr(ev, "ask", lambda m, t, task, exs, plan, **kw: [{"prompt": "", "output": "x"} for _ in exs])
    monkeypatch.setattr(ev, "score_all", lambda task, out, ex, ctx, metrics: seen.append(ctx) or {"exact": Verdict(False)})
    plan = EvalPlan(dfa_timeout=3.5, sql_timeout=4.5, spider_keep_distinct=True)
    summary = ev.evaluate(*tiny, get_task("synth"), examples[:2], split="test", plan=plan, progress=False)
    assert len(seen) == 2 and all(c == plan.scoring_context() for c in seen)
    assert summary["scoring"]["spider_keep_distinct"] is True and summary["scoring"]["dfa_timeout"] == 3.5


@pytest.mark.parametrize("bad, needle", [
    ({"limit": 0}, "limit must be >= 1"), ({"limit": -5}, "limit must be >= 1"),
    ({"dfa_timeout": -1.0}, "dfa_timeout must be > 0"), ({"sql_timeout": float("inf")}, "finite"),
    ({"max_new_tokens": 0}, "max_new_tokens must be >= 1"), ({"batch_size": 0}, "batch_size must be >= 1"),
    ({"splits": ["test", "test"]}, "twice"), ({"splits": ["test"], "final_splits": ["test"]}, "twice"),
    ({"metrics": []}, "at least one metric"),
    ({"bf16": "no"}, "bf16 must be true or false"), ({"limit": "10"}, "limit must be an integer"),
    ({"splitz": ["test"]}, "Did you mean 'splits'"),
])
def test_the_plan_is_validated_in_one_place(bad, needle):
    with pytest.raises(ConfigError, match=needle):
        EvalPlan.from_dict(bad)


def test_identity_leaves_out_paths_and_copies_and_keeps_old_ids():
    base = EvalPlan()
    assert EvalPlan(spider_db_dir="/x", keep_inputs=True).identity() == base.identity()
    # a field added after schema 1 enters the identity only when set, so committed run ids stay valid
    assert "spider_keep_distinct" not in base.identity()
    assert EvalPlan(spider_keep_distinct=True).identity()["spider_keep_distinct"] is True
    assert json.dumps(base.identity(), sort_keys=True)  # JSON-serialisable, as run ids need


def test_final_splits_are_scored_once_after_the_last_epoch(tmp_path, data_dir):
    """`splits` every epoch, `final_splits` once at the end: a validation curve beside one whole-test score."""
    from benchmark.api import train

    run = train({"task": "synth", "model": "tiny-random-llama", "limit_train": 8, "val_fraction": 0.25, "epochs": 2,
                 "batch_size": 4, "grad_accum": 1, "data_dir": str(data_dir)},
                plan={"splits": ["val"], "final_splits": ["test"], "limit": 2, "max_new_tokens": 4},
                out=tmp_path / "run", progress=False)
    summary = json.loads((run / "summary.json").read_text())
    assert [(e["epoch"], e["split"]) for e in summary["evaluations"]] == [(1.0, "val"), (2.0, "val"), (2.0, "test")]
    assert set(summary["final"]) == {"val", "test"}
    assert "final_splits" not in EvalPlan().identity()  # a later field: committed ids stay
    assert EvalPlan(final_splits=("test",)).identity()["final_splits"] == ["test"]
    with pytest.raises(ConfigError, match="no split 'val'"):
        EvalPlan(splits=(), final_splits=("val",)).validate(get_task("synth"))
