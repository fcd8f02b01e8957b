"""Objectives are records in a registry, as tasks are: adding one is a function, a registration and its
tests. A toy objective (λ times the mean squared hidden state of the conversations) is registered here and
runs through training, logging, the report's labels and the regression check without any other module
knowing its name."""
import json

import pytest
import torch

from benchmark.training import objectives
from benchmark.training.config import ConfigError, TrainConfig
from benchmark.training.objectives import Objective, Term, TermInputs, get_objective, register, unregister


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
    parts = loss_parts(model, model.get_output_embeddings(), batch, mode="packed", objective="energy", use_aux=True)
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
