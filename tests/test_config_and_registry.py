import pytest

from benchmark.training.config import ConfigError, TrainConfig
from tasks import DataError, UnknownNameError, get_task, read_jsonl, register
from tasks.base import Task


@pytest.mark.parametrize("field,value,needle", [
    ("lbd", -0.5, "lbd must be >= 0"), ("predictors", 11, "predictors must be <= 10"),
    ("predictors", -1, "predictors must be >= 0"), ("jepa_ratio", 1.5, "jepa_ratio must be <= 1"),
    ("distance", "cos", "distance must be one of"), ("objective", "jepa2", "Did you mean 'jepa'"),
    ("last_token", 2, "last_token must be <= -1"), ("epochs", 0, "epochs"),
])
def test_invalid_values_raise(field, value, needle):
    with pytest.raises(ConfigError, match=needle):
        TrainConfig.from_dict({"objective": "jepa", field: value}).validate()  # the objective's options too


def test_unknown_config_key_suggests():
    with pytest.raises(ConfigError, match="Did you mean 'predictors'"):
        TrainConfig.from_dict({"predictor": 2})


def test_resolved_lambda_defaults_follow_the_papers():
    assert TrainConfig(objective="jepa").resolved().lbd == 1.0  # Table 3
    assert TrainConfig(objective="stp").resolved().lbd == 0.02  # STP Table 2 (SYNTH)
    assert TrainConfig(objective="jepa", lbd=2.0).resolved().lbd == 2.0


def test_run_hash_ignores_output_location_only():
    a, b = TrainConfig(out="x"), TrainConfig(out="y")
    assert a.run_hash() == b.run_hash()
    assert a.run_hash() != TrainConfig(seed=23).run_hash()


def test_a_number_written_two_ways_is_one_run():
    """Schema 3: `epochs: 3` in a spec, `epochs: 3.0` in another and `--epochs 3` (argparse gives a float) hash to
    one id, and so do `lbd: 1` and `1.0`; a different number is still a different run."""
    import argparse

    from benchmark.cli.flags import add_flags, collect
    from benchmark.evaluation.plan import EvalPlan
    from benchmark.runs.spec import RunSpec

    parser = argparse.ArgumentParser()
    add_flags(parser, TrainConfig)
    flagged = TrainConfig.from_dict(collect(parser.parse_args(["--epochs", "3", "--lbd", "1"]), TrainConfig))
    assert isinstance(flagged.epochs, float)
    one = TrainConfig.from_dict({"epochs": 3, "lbd": 1})
    assert one.run_hash() == TrainConfig.from_dict({"epochs": 3.0, "lbd": 1.0}).run_hash() == flagged.run_hash()
    assert one.run_hash() != TrainConfig.from_dict({"epochs": 3.5, "lbd": 1}).run_hash()
    assert one.run_hash() != TrainConfig.from_dict({"epochs": 3, "lbd": 1.5}).run_hash()
    plans = [EvalPlan.from_dict({"dfa_timeout": t}) for t in (5, 5.0, 5.5)]
    ids = [RunSpec(one, plan).run_id for plan in plans]
    assert ids[0] == ids[1] != ids[2]
    assert RunSpec(one).run_id == RunSpec(TrainConfig.from_dict({"epochs": 3.0, "lbd": 1.0})).run_id


def test_registry_unknown_and_duplicate():
    with pytest.raises(UnknownNameError, match="Did you mean 'synth'"):
        get_task("synht")
    with pytest.raises(ValueError, match="registered twice"):
        register(Task(name="synth", version=1, family="x", source="", license="", files={}, system_prompt="", changelog=("x",)))


@pytest.mark.parametrize("line,needle", [
    ("{not json", "not valid JSON"),
    ('{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}', "system/user/assistant"),
    ('{"messages": [{"role": "system", "content": 1}, {"role": "user", "content": "a"}, '
     '{"role": "assistant", "content": "b"}]}', "string 'role' and 'content'"),
    ('{"text": []}', "'messages' field"),
])
def test_malformed_jsonl_names_file_and_line(tmp_path, line, needle):
    good = '{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}]}'
    path = tmp_path / "bad.jsonl"
    path.write_text(good + "\n" + good + "\n" + line + "\n")
    with pytest.raises(DataError) as e:
        read_jsonl(path)
    assert f"{path}:3" in str(e.value) and needle in str(e.value)


def test_missing_data_file_says_what_to_do(tmp_path):
    with pytest.raises(DataError, match="--data-dir"):
        read_jsonl(tmp_path / "nope.jsonl")
