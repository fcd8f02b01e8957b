"""Objectives are records in a registry, as tasks are: adding one is a function, a registration and its
tests. A toy objective (λ times the mean squared hidden state of the conversations) is registered here and
runs through training, logging, the report's labels and the regression check without any other module
knowing its name."""
import dataclasses
import json

import pytest
import torch

from benchmark.training import objectives
from benchmark.training.config import ConfigError, TrainConfig
from benchmark.training.objectives import (Objective, ObjectiveOptions, Term, TermInputs, get_objective, register,
                                           unregister)
from benchmark.training.options import option


def hidden_energy(x: TermInputs) -> Term:
    """Mean squared last-layer state of each conversation row (its views, if any, are not read)."""
    n = int(x.batch["num_examples"])
    per_example = x.hidden[:n].float().pow(2).mean(dim=(1, 2))  # [B]
    return Term(per_example.sum(), n)


@pytest.fixture
def energy():
    obj = register(Objective("energy", "toy: λ · mean squared hidden state", 0.25, term=hidden_energy,
                             log_key="energy_loss"))
    yield obj
    unregister("energy")


def test_a_registered_objective_trains_logs_and_is_reported(energy, data_dir, tmp_path):
    from benchmark import train
    from benchmark.analysis.check import _measures
    from benchmark.analysis.runs import load_runs

    cfg = TrainConfig(task="synth", model="tiny-random-llama", objective="energy", epochs=1, batch_size=2,
                      grad_accum=1, limit_train=4, max_length=64, data_dir=str(data_dir)).validate()
    assert cfg.resolved().lbd == 0.25  # the objective's own default λ
    run = train(cfg, plan={"splits": ["test"], "limit": 2, "max_new_tokens": 4}, out=tmp_path / "run", progress=False)
    log = [json.loads(line) for line in (run / "train_log.jsonl").read_text().splitlines()]
    steps = [r for r in log if "lm_loss" in r]
    assert steps and all(r["energy_loss"] > 0 for r in steps) and not any("jepa_loss" in r for r in steps)
    (loaded,) = load_runs(tmp_path)
    assert loaded.label == "energy"
    assert "final energy_loss" in _measures(run)  # `jepa-bench check` compares the new term too


def test_the_term_changes_the_update(energy, tiny, examples):
    """λ · term reaches the gradient: the loss with the toy term exceeds the LM loss by exactly λ · term."""
    from benchmark.training.packing import Collator
    from benchmark.training.step import loss_parts
    from benchmark.training.views import ViewBuilder

    model, tok = tiny
    items = [ViewBuilder(tok, with_views=False).build(e).to_dict() for e in examples[:3]]
    batch = Collator(tok.pad_token_id, mode="packed", with_views=False)(items)
    parts = loss_parts(model, model.get_output_embeddings(), batch, mode="packed", objective=get_objective("energy"),
                       use_aux=True)
    expected = hidden_energy(TermInputs(hidden=model(input_ids=batch["input_ids"], position_ids=batch["position_ids"],
                                                     attention_mask=batch["attention_mask"],
                                                     output_hidden_states=True).hidden_states[-1],
                                        batch=batch, mode="packed"))
    assert parts.aux_count == 3 and torch.allclose(parts.aux_sum, expected.total, atol=1e-5)


def test_the_registry_fails_loudly():
    with pytest.raises(KeyError, match="Did you mean 'jepa'"):
        get_objective("jepaa")
    with pytest.raises(ValueError, match="registered twice"):
        register(Objective("jepa", "again", 1.0))
    with pytest.raises(ValueError, match="log_key"):
        register(Objective("half", "a term without a log key", 1.0, term=hidden_energy))
    with pytest.raises(ConfigError, match="Did you mean 'stp'"):
        TrainConfig(objective="stpp").validate()


def test_no_module_compares_an_objective_by_name():
    """Only the registry knows which objective has which term, views and log key."""
    from pathlib import Path

    root = Path(objectives.__file__).resolve().parents[1]
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "objectives.py":
            continue
        text = path.read_text()
        for needle in ('objective == "jepa"', 'objective == "stp"', "objective == 'jepa'", '"stp_loss"',
                       '"jepa_loss"'):
            if needle in text:
                offenders.append(f"{path.relative_to(root)}: {needle}")
    assert not offenders, offenders


# ---------------------------------------------------------------------------------------------- an objective's options
@dataclasses.dataclass(frozen=True)
class ScaleOptions(ObjectiveOptions):
    """The toy objective's one setting of its own, declared as TrainConfig's fields are."""

    energy_scale: float = option(1.0, "multiplies the toy energy", low=0, low_open=True, arm=True, since=2)


def scaled_energy(x: TermInputs) -> Term:
    term = hidden_energy(x)
    return Term(term.total * x.options.energy_scale, term.count)


@pytest.fixture
def scaled():
    obj = register(Objective("scaled", "toy: λ · scale · mean squared hidden state", 0.25, term=scaled_energy,
                             log_key="scaled_loss", options=ScaleOptions))
    yield obj
    unregister("scaled")


def test_an_objective_with_a_setting_of_its_own_is_one_record(scaled, data_dir, tmp_path):
    """Declared once, the option is a flag, a spec key, an `--only` selector and part of the run id (only when set,
    so committed ids stay), is range-checked, and reaches the term through the trainer."""
    from benchmark import train
    from benchmark.cli import build_parser
    from benchmark.runs.sweep import parse_spec, select_runs

    regular_id = TrainConfig().run_hash()
    ns = build_parser().parse_args(["train", "--objective", "scaled", "--energy-scale", "2", "--out", "x"])
    assert ns.energy_scale == 2.0  # the flag, generated from the record
    cfg = TrainConfig.from_dict({"objective": "scaled", "energy_scale": 2})
    assert cfg.options == ScaleOptions(energy_scale=2.0) and cfg.setting("energy_scale") == 2.0
    assert cfg.identity()["energy_scale"] == 2.0 and "energy_scale" in cfg.to_dict()
    default = TrainConfig.from_dict({"objective": "scaled"})
    assert "energy_scale" not in default.identity() and default.run_hash() != cfg.run_hash()
    assert TrainConfig().run_hash() == regular_id  # registering it changed no other run's id
    with pytest.raises(ConfigError, match="energy_scale must be > 0"):
        TrainConfig.from_dict({"objective": "scaled", "energy_scale": 0}).validate()
    with pytest.raises(ConfigError, match="energy_scale is a setting of objective scaled"):
        TrainConfig.from_dict({"objective": "jepa", "energy_scale": 2})
    with pytest.raises(ConfigError, match="Did you mean 'energy_scale'"):
        TrainConfig.from_dict({"objective": "scaled", "energy_scal": 2})
    sweep = parse_spec({"name": "toy", "fixed": {"objective": "scaled"}, "grid": {"energy_scale": [1.0, 3.0]}})
    assert [r.train.options.energy_scale for r in select_runs(sweep, ["energy_scale=3"]).runs] == [3.0]

    def first_term(scale: float, out: str) -> float:
        run = train({"task": "synth", "model": "tiny-random-llama", "objective": "scaled", "energy_scale": scale,
                     "epochs": 1, "batch_size": 2, "grad_accum": 1, "limit_train": 2, "max_length": 64,
                     "data_dir": str(data_dir)}, out=tmp_path / out, progress=False)
        log = [json.loads(line) for line in (run / "train_log.jsonl").read_text().splitlines()]
        return next(r["scaled_loss"] for r in log if "scaled_loss" in r)

    assert first_term(3.0, "b") == pytest.approx(3 * first_term(1.0, "a"), rel=1e-5)  # the trainer hands it down


def test_option_names_are_one_namespace(scaled):
    @dataclasses.dataclass(frozen=True)
    class Clash(ObjectiveOptions):
        energy_scale: float = option(1.0, "taken", since=2)

    @dataclasses.dataclass(frozen=True)
    class Early(ObjectiveOptions):
        sharpness: float = option(1.0, "would enter every committed run's id")

    with pytest.raises(ValueError, match="already objective 'scaled'"):
        register(Objective("clash", "x", 1.0, term=hidden_energy, log_key="clash_loss", options=Clash))
    with pytest.raises(ValueError, match="since=2"):
        register(Objective("early", "x", 1.0, term=hidden_energy, log_key="early_loss", options=Early))
