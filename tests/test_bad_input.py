"""Bad input, class by class (issue: bad input never reaches a traceback or a NaN run): each is one line on
stderr, exit code 2, nothing written, and checked before any model loads (loading is made to fail here, so
a check that comes too late shows up as a failure, not as a slow pass)."""
import json
from pathlib import Path

import pytest

from benchmark.cli import main

TRAIN = ["train", "--model", "tiny-random-llama", "--task", "synth", "--epochs", "1", "--batch-size", "2",
         "--grad-accum", "1", "--no-progress"]


@pytest.fixture
def no_model(monkeypatch):
    """Any model load is an error: every check must come before it."""
    import benchmark.training.models as models
    import benchmark.training.prepare as prepare  # imported first, so its own binding is patched too

    def refuse(*a, **k):
        raise AssertionError("a model was loaded before the input was checked")

    monkeypatch.setattr(models, "load_model_and_tokenizer", refuse)
    monkeypatch.setattr(prepare, "load_model_and_tokenizer", refuse)


def one_line_exit_2(argv, capsys, *needles):
    try:
        rc = main(argv)
    except SystemExit as e:  # argparse's own refusals (a value it can type itself) are exit 2 as well
        rc = e.code
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    if needles:
        assert len(err.splitlines()) == 1, err
        for n in needles:
            assert n in err, err
    return err


def nothing_under(path) -> bool:
    return not path.exists() or not any(path.iterdir())


# ----------------------------------------------------------------------------- 1. non-finite numbers
@pytest.mark.parametrize("args, needle", [
    (["--lbd", "inf"], "lbd must be a finite number"), (["--lr", "nan"], "lr must be a finite number"),
    (["--epochs", "inf"], "epochs must be a finite number"), (["--gamma=-inf"], "gamma must be a finite"),
    (["--jepa-ratio", "nan"], "jepa_ratio must be a finite"), (["--lr", "1e9"], "lr must be <= 10"),
    (["--max-grad-norm=-1"], "max_grad_norm must be >= 0"), (["--epochs", "two"], "invalid float value"),
])
def test_non_finite_and_absurd_numbers(args, needle, data_dir, tmp_path, capsys, no_model):
    one_line_exit_2(TRAIN + ["--data-dir", str(data_dir), "--out", str(tmp_path / "run"), *args], capsys, needle)
    assert nothing_under(tmp_path / "run") and not (tmp_path / "run.partial").exists()


@pytest.mark.parametrize("grid, needle", [({"lbd": [float("inf")]}, "lbd must be a finite"),
                                          ({"lr": ["2e-5", "abc"]}, "lr must be a number"),
                                          ({"bf16": ["no"]}, "bf16 must be true or false"),
                                          ({"epochs": [float("nan")]}, "epochs must be a finite")])
def test_sweep_specs_go_through_the_same_checks(grid, needle, data_dir, tmp_path, capsys):
    import yaml

    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump({"fixed": {"model": "tiny-random-llama", "task": "synth",
                                              "data_dir": str(data_dir)}, "grid": grid}))
    one_line_exit_2(["sweep", "plan", str(spec)], capsys, needle, str(spec))


def test_a_diverging_run_stops_naming_the_step_and_publishes_nothing(data_dir, tmp_path, capsys, monkeypatch):
    import benchmark.training.objectives as objectives

    real = objectives.jepa_distance_sum
    monkeypatch.setattr(objectives, "jepa_distance_sum",
                        lambda p, t, d, temp: (real(p, t, d, temp)[0] * float("nan"), real(p, t, d, temp)[1]))
    err = one_line_exit_2(TRAIN + ["--objective", "jepa", "--data-dir", str(data_dir), "--out", str(tmp_path / "run")],
                          capsys, "optimizer step 1", "nothing was published")
    assert "nan" in err and not (tmp_path / "run").exists() and not (tmp_path / "run.partial").exists()


# ----------------------------------------------------------------------------- 2. values that mean nothing
@pytest.mark.parametrize("args, needle", [
    (["--limit", "0"], "limit must be >= 1"), (["--limit", "-5"], "limit must be >= 1"),
    (["--dfa-timeout", "-1"], "dfa_timeout must be > 0"), (["--sql-timeout", "0"], "sql_timeout must be > 0"),
    (["--max-new-tokens", "0"], "max_new_tokens must be >= 1"), (["--batch-size", "-2"], "batch_size must be >= 1"),
    (["--splits", ""], "at least one split"), (["--val-fraction", "1.5"], "val_fraction must be < 1"),
])
def test_evaluate_refuses_meaningless_values(args, needle, data_dir, tmp_path, capsys, no_model):
    one_line_exit_2(["evaluate", "--model", "tiny-random-llama", "--task", "synth", "--data-dir", str(data_dir),
                     "--out", str(tmp_path / "ev"), "--no-progress", *args], capsys, needle)
    assert not (tmp_path / "ev").exists()


@pytest.mark.parametrize("args, needle", [
    (["--ridge", "nan"], "--ridge must be"), (["--ridge", "-1"], "--ridge must be"),
    (["--ridge", "loo"], '"cv" or a finite number'), (["--examples", "1"], "--examples must be >= 2"),
])
def test_represent_refuses_meaningless_values(args, needle, capsys, no_model):
    one_line_exit_2(["represent", "results/ci-baseline", "--no-progress", *args], capsys, needle)
    assert not (Path("results/ci-baseline") / "analysis" / "representation").exists()


# ----------------------------------------------------------------------------- 3. library errors, checked up front
@pytest.mark.parametrize("args, needle", [
    (["--optimizer", "adamw_trch"], "Did you mean 'adamw_torch'"), (["--warmup-steps", "-3"], "warmup_steps must be >= 0"),
    (["--val-fraction", "1.0"], "val_fraction must be < 1"), (["--lora-rank", "0"], "lora_rank must be >= 1"),
    (["--objective", "jpea"], "Did you mean 'jepa'"), (["--seed", "-1"], "seed must be >= 0"),
])
def test_settings_a_library_would_reject_are_checked_first(args, needle, data_dir, tmp_path, capsys, no_model):
    one_line_exit_2(TRAIN + ["--data-dir", str(data_dir), "--out", str(tmp_path / "run"), *args], capsys, needle)
    assert not (tmp_path / "run").exists() and not (tmp_path / "run.partial").exists()


# ----------------------------------------------------------------------------- 4. output paths
def test_output_paths_that_cannot_be_created(data_dir, tmp_path, capsys, no_model):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    one_line_exit_2(TRAIN + ["--data-dir", str(data_dir), "--out", str(blocker / "run")], capsys, "a_file")
    one_line_exit_2(TRAIN + ["--data-dir", str(data_dir), "--out", str(blocker), "--overwrite"], capsys, "is a file")
    one_line_exit_2(["evaluate", "--model", "tiny-random-llama", "--task", "synth", "--data-dir", str(data_dir),
                     "--out", str(blocker / "ev")], capsys, "a_file")
    one_line_exit_2(["report", "results/ci-baseline", "--out", str(blocker / "rep")], capsys, "a_file")
    one_line_exit_2(["export-lm-eval", str(blocker / "lm"), "--data-dir", str(data_dir)], capsys, "a_file")
    assert blocker.read_text() == "x"


# ----------------------------------------------------------------------------- 5. unreadable inputs
def test_a_data_line_that_is_not_utf8_is_named(data_dir, tmp_path, capsys, no_model):
    path = data_dir / "synth_train.jsonl"
    path.write_bytes(path.read_bytes() + b'{"messages": "\xff\xfe"}\n')
    one_line_exit_2(TRAIN + ["--data-dir", str(data_dir), "--out", str(tmp_path / "run")], capsys,
                    f"{path}:9", "not UTF-8")


def test_a_missing_data_file_says_how_to_fetch_it(tmp_path, capsys, no_model):
    one_line_exit_2(TRAIN + ["--data-dir", str(tmp_path / "empty"), "--out", str(tmp_path / "run")], capsys,
                    "jepa-bench data fetch --tasks synth")


@pytest.mark.parametrize("damage, needle", [(b"{not json\n", "line 2: not valid JSON"),
                                            (b"\xff\xfe\n", "not UTF-8"), (b"[1, 2]\n", "must be a JSON object")])
def test_a_damaged_predictions_file_is_named(damage, needle, tmp_path, capsys):
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "predictions.jsonl").write_bytes(b'{"index": 0, "output": "x", "verdicts": {}}\n' + damage)
    (ev / "metrics.json").write_text(json.dumps({"task": "synth", "split": "test", "n": 2}))
    one_line_exit_2(["predictions", "show", str(ev)], capsys, "predictions.jsonl", needle)


# ----------------------------------------------------------------------------- 7. silent loss of data in reports
def test_a_report_lists_runs_it_cannot_read(tmp_path, capsys):
    import shutil

    from benchmark import store

    tree = tmp_path / "results"
    shutil.copytree("results/ci-baseline", tree)
    broken = store.run_dirs(tree)[0]
    (broken / "summary.json").write_text('{"run_id": "x", "complete": tr')
    one_line_exit_2(["report", str(tree), "--out", str(tmp_path / "rep")], capsys, broken.name, "--skip-broken")
    assert not (tmp_path / "rep").exists()
    assert main(["report", str(tree), "--out", str(tmp_path / "rep"), "--skip-broken"]) == 0
    assert f"left out 1 unreadable run(s): {broken}" in capsys.readouterr().out


def test_check_names_a_results_tree_that_does_not_exist(tmp_path, capsys):
    one_line_exit_2(["check", "--baseline", "results/ci-baseline", "--results", str(tmp_path / "nope")], capsys,
                    "does not exist")


# ----------------------------------------------------------------------------- 8. finished runs evaluate again
@pytest.mark.parametrize("extra", [[], ["--lora", "--lora-rank", "4"], ["--pretrain"]])
def test_every_saved_run_loads_again_for_evaluation(extra, data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(TRAIN + ["--data-dir", str(data_dir), "--limit-train", "4", "--max-length", "64", "--save-model",
                         "--out", str(run), *extra]) == 0
    assert main(["evaluate", "--run", str(run), "--limit", "2", "--max-new-tokens", "4", "--no-progress"]) == 0
    assert json.loads((run / "eval" / "test" / "metrics.json").read_text())["n"] == 2


# ----------------------------------------------------------------------------- the Trainer's own arguments
def test_trainer_arguments_pass_through_and_are_checked(data_dir, tmp_path, capsys, no_model):
    from benchmark.cli.flags import collect
    from benchmark.cli import build_parser
    from benchmark.training.config import TrainConfig
    from benchmark.training.prepare import training_arguments

    ns = build_parser().parse_args(["train", "--trainer-arg", "adam_beta1=0.8", "--trainer-arg", "adam_epsilon=1e-6"])
    cfg = TrainConfig.from_dict(collect(ns, TrainConfig)).validate()
    args = training_arguments(cfg, tmp_path / "t", progress=False)
    assert (args.adam_beta1, args.adam_epsilon) == (0.8, 1e-6)
    base = TRAIN + ["--data-dir", str(data_dir), "--out", str(tmp_path / "run")]
    one_line_exit_2(base + ["--trainer-arg", "learning_rate=1"], capsys, "set by the suite: use lr")
    one_line_exit_2(base + ["--trainer-arg", "adam_bta1=0.8"], capsys, "Did you mean 'adam_beta1'")
    one_line_exit_2(base + ["--trainer-arg", "adam_beta1"], capsys, "expected KEY=VALUE")
    one_line_exit_2(base + ["--report-to", "tensorbord"], capsys, "Did you mean 'tensorboard'")
    assert not (tmp_path / "run").exists()


# ----------------------------------------------------------------------------- 6. subsets that measure nothing
def _sorted_sentiment(data_dir, n=24):
    """A Rotten-Tomatoes-like pair of files: every "Good" row first, then every "Bad" one."""
    from conftest import write_jsonl

    rows = [(f"review {i}", "Good" if i < n // 2 else "Bad") for i in range(n)]
    for split in ("train", "test"):
        write_jsonl(data_dir / f"rotten_tomatoes_{split}.jsonl", rows, system="Determine whether the comment is "
                                                                            "positive or negative")


SENTIMENT = ["train", "--model", "tiny-random-llama", "--task", "rotten_tomatoes", "--epochs", "1", "--batch-size",
             "2", "--grad-accum", "1", "--no-progress"]


@pytest.mark.parametrize("args, needle", [
    (["--limit-train", "8"], "--train-subset random"),
    (["--train-subset", "random", "--limit-train", "8", "--eval-splits", "test", "--eval-limit", "6"],
     "--eval-subset random"),
])
def test_a_head_subset_of_a_file_sorted_by_answer_is_refused(args, needle, data_dir, tmp_path, capsys, no_model):
    """The first rows of a label-sorted file all carry one answer: training or scoring on them measures
    nothing (a model that always says "Good" scores 100 %), so the run stops before any model loads."""
    _sorted_sentiment(data_dir)
    out = tmp_path / "run"
    one_line_exit_2(SENTIMENT + ["--data-dir", str(data_dir), "--out", str(out)] + args, capsys,
                    "all have the answer 'Good'", "sorted by answer", needle)
    assert nothing_under(out)


def test_evaluate_refuses_a_head_subset_of_one_answer(data_dir, tmp_path, capsys, no_model):
    _sorted_sentiment(data_dir)
    one_line_exit_2(["evaluate", "--model", "tiny-random-llama", "--task", "rotten_tomatoes", "--data-dir",
                     str(data_dir), "--splits", "test", "--limit", "5", "--out", str(tmp_path / "ev")], capsys,
                    "first 5 test rows", "--subset random")
    assert nothing_under(tmp_path / "ev")


def test_a_sweep_spec_with_a_head_subset_of_one_answer_fails_before_anything_runs(data_dir, tmp_path, capsys):
    import yaml

    _sorted_sentiment(data_dir)
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump({"name": "s", "fixed": {"task": "rotten_tomatoes", "model": "tiny-random-llama",
                                                           "limit_train": 8, "epochs": 1, "data_dir": str(data_dir)},
                                    "eval": {"limit": 4}}))
    one_line_exit_2(["sweep", "run", str(spec), "--results", str(tmp_path / "res"), "--no-progress"], capsys,
                    "train_subset: random")
    assert nothing_under(tmp_path / "res")


# ----------------------------------------------------------------------------- 9. values past any sensible range
@pytest.mark.parametrize("args, needle", [
    (["--objective", "jepa", "--lbd", "1e30"], "lbd must be <= 100000, got 1e+30"),
    (["--gamma", "1e9"], "gamma must be <= 100000"),
    (["--lr", "-1e-5"], "lr must be > 0, got -1e-05"),  # argparse alone would read -1e-5 as an option
    (["--lbd", "-2.5e-1"], "lbd must be >= 0, got -0.25"),
    (["--gamma", "-inf"], "gamma must be a finite number"),
    (["--seed", str(2 ** 40)], "seed must be <= 4294967295, got 1099511627776"),
    (["--lora", "--lora-rank", "64"], "lora_rank must be <= the hidden size of tiny-random-llama (32), got 64"),
])
def test_numbers_past_any_sensible_range_are_refused(args, needle, data_dir, tmp_path, capsys, no_model):
    one_line_exit_2(TRAIN + ["--data-dir", str(data_dir), "--out", str(tmp_path / "run"), *args], capsys, needle)
    assert not (tmp_path / "run").exists() and not (tmp_path / "run.partial").exists()


def test_a_lora_rank_up_to_the_hidden_size_is_accepted():
    from benchmark.training.config import TrainConfig
    from benchmark.training.models import RANDOM_PRESETS, hidden_size

    TrainConfig(model="tiny-random-llama", lora=True, lora_rank=32).validate()
    TrainConfig(model="smollm2-135m-instruct", lora=True, lora_rank=576).validate()
    assert hidden_size("medium-random-llama") == RANDOM_PRESETS["medium-random-llama"]["hidden_size"]
    assert hidden_size("org/some-hub-model") is None  # unknown without the hub: not checked, not refused


def test_a_local_model_folders_width_comes_from_its_config(tmp_path, capsys, data_dir, no_model):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"hidden_size": 8, "model_type": "llama"}))
    argv = TRAIN[:2] + [str(folder)] + TRAIN[3:]  # TRAIN with the model replaced
    one_line_exit_2(argv + ["--data-dir", str(data_dir), "--lora", "--lora-rank", "9", "--out", str(tmp_path / "run")],
                    capsys, "hidden size of", "(8), got 9")


# ----------------------------------------------------------------------------- 10. paths that point at the wrong thing
def test_model_and_data_paths_that_are_not_what_they_should_be(data_dir, tmp_path, capsys, no_model):
    argv = ["train", "--task", "synth", "--no-progress", "--out", str(tmp_path / "run")]
    one_line_exit_2(argv + ["--model", str(tmp_path / "no-such-model"), "--data-dir", str(data_dir)], capsys,
                    "model folder", "does not exist")
    one_line_exit_2(argv + ["--model", "./no-such-model", "--data-dir", str(data_dir)], capsys, "does not exist")
    one_line_exit_2(argv + ["--model", str(data_dir), "--data-dir", str(data_dir)], capsys, "holds no config.json")
    one_line_exit_2(argv + ["--model", "tiny-random-llama", "--data-dir", str(data_dir / "synth_train.jsonl")], capsys,
                    "is a file, not a folder")
    one_line_exit_2(argv + ["--model", "tiny-random-llama", "--data-dir", str(tmp_path / "nowhere")], capsys,
                    f"the data directory {tmp_path / 'nowhere'} does not exist", "--data-dir")
    assert not (tmp_path / "run").exists()


def test_a_byte_order_mark_is_not_data(data_dir):
    from tasks.jsonl import read_jsonl

    path = data_dir / "synth_train.jsonl"
    plain = read_jsonl(path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_jsonl(path) == plain


# ----------------------------------------------------------------------------- 11. sweep specs shaped wrong
@pytest.mark.parametrize("text, needle", [
    ("name: s\nfixed: [1]\n", "fixed must be a mapping"),
    ("name: s\ngrid: [seed, 1]\n", "grid must be a mapping"),
    ("name: s\neval: 3\n", "eval must be a mapping"),
    ("name: s\nfixed: {task: synth, model: tiny-random-llama}\ngrid:\n  lbd: [1]\n  lbd: [2]\n",
     "key 'lbd' given twice in one mapping (line 5)"),
])
def test_a_sweep_spec_of_the_wrong_shape_is_named(text, needle, tmp_path, capsys):
    spec = tmp_path / "s.yaml"
    spec.write_text(text)
    one_line_exit_2(["sweep", "plan", str(spec)], capsys, needle, str(spec))


def test_a_claims_file_with_a_key_twice_is_named(tmp_path):
    from benchmark.analysis.claims import load_claims
    from benchmark.training.options import ConfigError

    path = tmp_path / "claims.yaml"
    path.write_text("claims:\n  - id: a\n    id: b\n")
    with pytest.raises(ConfigError, match="key 'id' given twice"):
        load_claims(path)
    with pytest.raises(ConfigError, match="cannot read the claims file"):
        load_claims(tmp_path / "none.yaml")
