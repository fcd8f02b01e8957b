"""Every setting at a non-default value changes what its reason says it changes.

A setting that is silently ignored passes every test that runs it at its default. Here each field of TrainConfig
and EvalPlan is set to a value unlike its default, and the place it must reach is read: the Trainer's arguments,
the tokenised views, the loss of one batch, the model, the collated batch, a finished run's files, or an
evaluation's outputs. A field without an entry in CHECKS fails the completeness test: a new setting needs one.
"""
import dataclasses
import json
from pathlib import Path

import pytest
import torch

from benchmark.evaluation.plan import EvalPlan
from benchmark.runs.spec import RunSpec
from benchmark.training.config import TrainConfig, setting_fields, setting_names
from conftest import FIXTURE_ROWS, write_jsonl

BASE = dict(task="synth", model="tiny-random-llama", limit_train=8, epochs=1, batch_size=4, grad_accum=1,
            max_length=96, lr=1e-3)
JEPA = dict(BASE, objective="jepa", predictors=1)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("data")
    write_jsonl(d / "synth_train.jsonl")
    write_jsonl(d / "synth_test.jsonl")
    write_jsonl(d / "turk_train.jsonl", [(u.upper(), a) for u, a in FIXTURE_ROWS])
    write_jsonl(d / "turk_test.jsonl")
    return d


def cfg(data, **changes) -> TrainConfig:
    return TrainConfig.from_dict({**BASE, "data_dir": str(data), **changes})  # flat keys: the objectives' too


# ---------------------------------------------------------------------------------------------- observers
def args(c: TrainConfig):
    from benchmark.training.prepare import training_arguments

    return training_arguments(c.resolved().validate(), "/tmp/jepa-bench-unused", progress=False)


def prepared(c: TrainConfig):
    from benchmark.training.prepare import prepare

    return prepare(c)


def items(c: TrainConfig) -> list[dict]:
    return prepared(c)[4]


def batch(c: TrainConfig) -> dict:
    from benchmark.training.prepare import make_trainer

    c2, _, model, tok, its = prepared(c)
    trainer = make_trainer(c2, model, tok, its, Path("/tmp/jepa-bench-unused"), progress=False)
    return trainer.data_collator(its[:4])


def loss(c: TrainConfig) -> float:
    from benchmark.training.prepare import make_trainer

    c2, _, model, tok, its = prepared(c)
    trainer = make_trainer(c2, model, tok, its, Path("/tmp/jepa-bench-unused"), progress=False)
    model.train()
    with torch.no_grad():
        return float(trainer.compute_loss(model, trainer.data_collator(its[:4])))


def run(tmp_path, c: TrainConfig, plan: EvalPlan = EvalPlan(splits=())) -> Path:
    from benchmark.runs.runner import train_one

    out = tmp_path / f"run-{RunSpec(c, plan).run_id}"
    return train_one(RunSpec(c, plan), out, overwrite=True, progress=False)


def summary(path: Path) -> dict:
    return json.loads((path / "summary.json").read_text())


def evaluation(tmp_path, data, plan: EvalPlan, task="synth") -> tuple[dict, list[dict]]:
    from benchmark.api import evaluate

    out = tmp_path / f"eval-{abs(hash(json.dumps(plan.to_dict(), sort_keys=True)))}"
    done = evaluate(model="tiny-random-llama", task=task, plan=plan, data_dir=str(data), out=out, progress=False)
    split = next(iter(done))
    preds = [json.loads(line) for line in (out / split / "predictions.jsonl").read_text().splitlines()]
    return done, preds


def pred_tokens(tok, ids) -> list[str]:
    return tok.convert_ids_to_tokens(ids)


# ---------------------------------------------------------------------------------------------- TrainConfig
def check_task(data, tmp_path):
    assert items(cfg(data, task="turk"))[0]["full_ids"] != items(cfg(data))[0]["full_ids"]


def check_model(data, tmp_path):
    assert type(prepared(cfg(data, model="stand-in-gemma2"))[2]).__name__ == "Gemma2ForCausalLM"


def check_pretrain(data, tmp_path):
    from benchmark.training.models import load_model_and_tokenizer

    model, tok = load_model_and_tokenizer("tiny-random-llama", seed=0)
    folder = tmp_path / "saved"
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    kept = prepared(cfg(data, model=str(folder)))[2].get_input_embeddings().weight
    fresh = prepared(cfg(data, model=str(folder), pretrain=True))[2].get_input_embeddings().weight
    assert not torch.allclose(kept, fresh)  # random initialisation of the same architecture


def check_data_dir(data, tmp_path):
    other = tmp_path / "other"
    write_jsonl(other / "synth_train.jsonl", [(u + " again", a) for u, a in FIXTURE_ROWS])
    write_jsonl(other / "synth_test.jsonl")
    assert items(cfg(data, data_dir=str(other)))[0]["full_ids"] != items(cfg(data))[0]["full_ids"]


def check_limit_train(data, tmp_path):
    assert len(items(cfg(data, limit_train=3))) == 3 and len(items(cfg(data))) == 8


def check_train_subset(data, tmp_path):
    head = [i["full_ids"] for i in items(cfg(data, limit_train=5))]  # 5 of 8: the random draw is not the first 5
    assert [i["full_ids"] for i in items(cfg(data, limit_train=5, train_subset="random"))] != head
    assert [i["full_ids"] for i in items(cfg(data, limit_train=5, train_subset="nested"))] != head


def check_flop_budget(data, tmp_path):
    full = summary(run(tmp_path, cfg(data, epochs=2, batch_size=2)))
    short = summary(run(tmp_path, cfg(data, epochs=2, batch_size=2, flop_budget=full["flops"] / 3)))
    assert short["stopped_by_budget"] and short["optimizer_steps"] < full["optimizer_steps"]


def check_val_fraction(data, tmp_path):
    assert len(items(cfg(data, val_fraction=0.25))) == 6


def check_objective(data, tmp_path):
    assert items(cfg(data, objective="jepa"))[0]["source_ids"] and not items(cfg(data))[0]["source_ids"]
    assert loss(cfg(data, objective="jepa")) != loss(cfg(data))


def check_lbd(data, tmp_path):
    assert loss(cfg(data, **{**JEPA, "lbd": 3.0})) != loss(cfg(data, **JEPA))


def check_gamma(data, tmp_path):
    assert loss(cfg(data, **{**JEPA, "gamma": 0.5})) != loss(cfg(data, **JEPA))


def check_predictors(data, tmp_path):
    c = cfg(data, **{**JEPA, "predictors": 3})
    tok = prepared(c)[3]
    assert sum(t.startswith("<|predictor_") for t in pred_tokens(tok, items(c)[0]["source_ids"])) == 3


def check_distance(data, tmp_path):
    assert loss(cfg(data, **{**JEPA, "distance": "l2"})) != loss(cfg(data, **JEPA))


def check_infonce_temperature(data, tmp_path):
    base = {**JEPA, "distance": "infonce"}
    assert loss(cfg(data, **{**base, "infonce_temperature": 0.5})) != loss(cfg(data, **base))


def check_front_pred(data, tmp_path):
    c = cfg(data, **{**JEPA, "front_pred": True})
    tok = prepared(c)[3]
    text = tok.decode(items(c)[0]["source_ids"])
    assert "<|predictor_1|>" + FIXTURE_ROWS[0][0][:10] in text


def check_reverse_pred(data, tmp_path):
    c = cfg(data, **{**JEPA, "reverse_pred": True})
    tok = prepared(c)[3]
    assert FIXTURE_ROWS[0][1] in tok.decode(items(c)[0]["source_ids"])  # the Code view carries [PRED]


def check_jepa_ratio(data, tmp_path):
    dropped = loss(cfg(data, **{**JEPA, "jepa_ratio": 0.0}))
    assert dropped != loss(cfg(data, **JEPA)) and abs(dropped - loss(cfg(data))) < 1e-6  # the term is never on


def check_last_token(data, tmp_path):
    it = items(cfg(data, **{**JEPA, "last_token": -1}))[0]
    assert it["source_enc"] == len(it["source_ids"]) - 1 != items(cfg(data, **JEPA))[0]["source_enc"]


def check_plain(data, tmp_path):
    from benchmark.training.models import PERCEPTION_TOKEN

    c = cfg(data, plain=True)
    assert PERCEPTION_TOKEN in prepared(c)[3].decode(items(c)[0]["full_ids"])


def check_date_string(data, tmp_path):
    from benchmark.evaluation.generate import generation_prompt
    from tasks import load_split, get_task

    ex = load_split(get_task("synth"), "test", str(data))[0]
    c = cfg(data, model="stand-in-llama3", date_string="01 Mar 2025")
    assert "Today Date: 01 Mar 2025" in generation_prompt(prepared(c)[3], ex.messages)
    assert "01 Mar 2025" in prepared(c)[3].decode(items(c)[0]["full_ids"])


def check_enable_thinking(data, tmp_path):
    from benchmark.evaluation.generate import generation_prompt
    from tasks import load_split, get_task

    ex = load_split(get_task("synth"), "test", str(data))[0]
    c = cfg(data, model="stand-in-qwen3", enable_thinking=False)
    assert generation_prompt(prepared(c)[3], ex.messages).endswith("<think>\n\n</think>\n\n")


def check_label_mode(data, tmp_path):
    assert items(cfg(data, label_mode="assistant"))[0]["full_labels"] != items(cfg(data))[0]["full_labels"]


def check_compute_mode(data, tmp_path):
    assert batch(cfg(data, **{**JEPA, "compute_mode": "reference"}))["input_ids"].shape[0] == 12  # three rows each
    assert batch(cfg(data, **JEPA))["input_ids"].shape[0] == 4


def check_pad_to_max_length(data, tmp_path):
    c = cfg(data, **{**JEPA, "compute_mode": "reference", "pad_to_max_length": True, "max_length": 120})
    assert batch(c)["input_ids"].shape[1] == 120


def check_padding_side(data, tmp_path):
    pad = prepared(cfg(data))[3].pad_token_id
    left = batch(cfg(data, padding_side="left"))["input_ids"]
    right = batch(cfg(data))["input_ids"]
    assert (left[:, 0] == pad).any() and not (right[:, 0] == pad).any()


def check_max_length(data, tmp_path):
    its = items(cfg(data, max_length=10))
    assert max(len(i["full_ids"]) for i in its) == 10 and prepared(cfg(data, max_length=10))[4][0]["truncated"]


def check_epochs(data, tmp_path):
    assert args(cfg(data, epochs=3)).num_train_epochs == 3


def check_lr(data, tmp_path):
    assert args(cfg(data, lr=3e-4)).learning_rate == 3e-4


def check_batch_size(data, tmp_path):
    assert args(cfg(data, batch_size=3)).per_device_train_batch_size == 3


def check_grad_accum(data, tmp_path):
    assert args(cfg(data, grad_accum=3)).gradient_accumulation_steps == 3


def check_world_size(data, tmp_path, monkeypatch):
    import benchmark.runs.runner as runner

    launched = {}
    monkeypatch.setattr(runner, "_torchrun", lambda spec, work, n, progress: launched.update(n=n))
    with pytest.raises(Exception):  # the stub writes no summary: only the launch is looked at
        runner.execute(RunSpec(cfg(data, world_size=3)), tmp_path / "ws", replace=True, progress=False)
    assert launched == {"n": 3}


def check_optimizer(data, tmp_path):
    assert args(cfg(data, optimizer="sgd")).optim.value == "sgd"


def check_max_grad_norm(data, tmp_path):
    assert args(cfg(data, max_grad_norm=0.5)).max_grad_norm == 0.5


def check_weight_decay(data, tmp_path):
    assert args(cfg(data, weight_decay=0.1)).weight_decay == 0.1


def check_warmup_steps(data, tmp_path):
    assert args(cfg(data, warmup_steps=5)).warmup_steps == 5


def check_seed(data, tmp_path):
    a = args(cfg(data, seed=7))
    assert a.seed == 7 and a.data_seed == 7
    w = lambda c: prepared(c)[2].get_input_embeddings().weight  # noqa: E731
    assert not torch.allclose(w(cfg(data, seed=7)), w(cfg(data)))


def check_lora(data, tmp_path):
    assert type(prepared(cfg(data, lora=True))[2]).__name__.startswith("Peft")


def check_lora_rank(data, tmp_path):
    model = prepared(cfg(data, lora=True, lora_rank=4))[2]
    assert any(p.shape[0] == 4 for n, p in model.named_parameters() if "lora_A" in n)


def check_lora_dropout(data, tmp_path):
    model = prepared(cfg(data, lora=True, lora_dropout=0.0))[2]
    assert next(iter(model.peft_config.values())).lora_dropout == 0.0


def check_train_predictor_tokens(data, tmp_path):
    names = lambda c: [n for n, p in prepared(c)[2].named_parameters() if p.requires_grad]  # noqa: E731
    assert any("trainable_tokens" in n for n in names(cfg(data, lora=True)))
    assert not any("trainable_tokens" in n for n in names(cfg(data, lora=True, train_predictor_tokens=False)))


def check_bf16(data, tmp_path):
    assert args(cfg(data, bf16=True)).bf16 is True


def check_gradient_checkpointing(data, tmp_path):
    a = args(cfg(data, gradient_checkpointing=True))
    assert getattr(a, "activation_checkpointing", None) is True or getattr(a, "gradient_checkpointing", None) is True


def check_logging_steps(data, tmp_path):
    assert args(cfg(data, logging_steps=5)).logging_steps == 5


def check_jepa_diagnostic_every(data, tmp_path):
    from benchmark.training.objectives import DIAGNOSTIC_KEY

    log = (run(tmp_path, cfg(data, batch_size=2, jepa_diagnostic_every=1)) / "train_log.jsonl").read_text()
    assert DIAGNOSTIC_KEY in log


def check_save_model(data, tmp_path):
    assert (run(tmp_path, cfg(data, save_model=True)) / "model" / "config.json").is_file()


def check_save_checkpoints(data, tmp_path):
    assert (run(tmp_path, cfg(data, save_checkpoints=True), EvalPlan(splits=("test",), limit=1,
                                                                     max_new_tokens=2))
            / "epochs" / "epoch_1" / "model" / "config.json").is_file()


def check_checkpoint_every_epoch(data, tmp_path):
    assert args(cfg(data, checkpoint_every_epoch=False)).save_strategy.value == "no"
    assert args(cfg(data)).save_strategy.value == "epoch"


def check_out(data, tmp_path):
    from benchmark.api import train

    assert train(cfg(data, out=str(tmp_path / "here")), progress=False) == tmp_path / "here"


def check_report_to(data, tmp_path, monkeypatch):
    import benchmark.training.config as config

    monkeypatch.setattr(config, "_check_report_to", lambda value: None)  # no integration is installed here
    assert args(cfg(data, report_to="wandb")).report_to == ["wandb"]


def check_trainer_args(data, tmp_path):
    assert args(cfg(data, trainer_args={"adam_beta2": 0.95})).adam_beta2 == 0.95


# ---------------------------------------------------------------------------------------------- EvalPlan
def check_plan_splits(data, tmp_path):
    s = summary(run(tmp_path, cfg(data, val_fraction=0.25), EvalPlan(splits=("val",), limit=1, max_new_tokens=2)))
    assert [e["split"] for e in s["evaluations"]] == ["val"]


def check_plan_final_splits(data, tmp_path):
    s = summary(run(tmp_path, cfg(data, epochs=2, val_fraction=0.25),
                    EvalPlan(splits=("val",), final_splits=("test",), limit=1, max_new_tokens=2)))
    assert [(e["epoch"], e["split"]) for e in s["evaluations"]] == [(1.0, "val"), (2.0, "val"), (2.0, "test")]


def check_plan_limit(data, tmp_path):
    done, _ = evaluation(tmp_path, data, EvalPlan(limit=2, max_new_tokens=2))
    assert done["test"]["n"] == 2


def check_plan_subset(data, tmp_path):
    head = [p["example_sha256"] for p in evaluation(tmp_path, data, EvalPlan(limit=5, max_new_tokens=1))[1]]
    drawn = [p["example_sha256"] for p in evaluation(tmp_path, data, EvalPlan(limit=5, subset="random",
                                                                              max_new_tokens=1))[1]]
    assert drawn != head


def check_plan_metrics(data, tmp_path):
    done, _ = evaluation(tmp_path, data, EvalPlan(limit=1, max_new_tokens=1, metrics=("prefix",)))
    assert set(done["test"]["metrics"]) == {"prefix"}


def check_plan_batch_size(data, tmp_path, monkeypatch):
    import benchmark.evaluation.generate as generate

    sizes = []
    real = generate._batches
    monkeypatch.setattr(generate, "_batches", lambda ids, n: sizes.append(n) or real(ids, n))
    evaluation(tmp_path, data, EvalPlan(limit=4, max_new_tokens=1, batch_size=3))
    assert sizes == [3]


def check_plan_max_new_tokens(data, tmp_path, monkeypatch):
    import benchmark.evaluation.generate as generate

    lengths = []
    real = generate.greedy_generate
    monkeypatch.setattr(generate, "greedy_generate", lambda *a, **k: [
        lengths.append(g.new_tokens) or g for g in real(*a, **k)])
    import benchmark.evaluation.evaluate as evaluate

    monkeypatch.setattr(evaluate, "greedy_generate", generate.greedy_generate)
    evaluation(tmp_path, data, EvalPlan(limit=4, max_new_tokens=1))
    capped, lengths[:] = list(lengths), []
    evaluation(tmp_path, data, EvalPlan(limit=4, max_new_tokens=3))
    assert max(capped) == 1 and max(lengths) > 1  # the fresh tiny model never ends its turn: the cap ends it


def check_plan_bf16(data, tmp_path, monkeypatch):
    import benchmark.evaluation.generate as generate

    seen = []
    real = generate._autocast
    monkeypatch.setattr(generate, "_autocast", lambda model, bf16: seen.append(bf16) or real(model, bf16))
    evaluation(tmp_path, data, EvalPlan(limit=1, max_new_tokens=1, bf16=True))
    assert seen and all(seen)


def _context_check(field, value):
    def check(data, tmp_path):
        assert getattr(EvalPlan(**{field: value}).scoring_context(), field) == (
            Path(value) if field == "spider_db_dir" else value)
        assert getattr(EvalPlan().scoring_context(), field) != getattr(EvalPlan(**{field: value}).scoring_context(),
                                                                       field)
    return check  # the scorers read only the context (tests/test_eval_plan.py: each reaches its scorer)


def check_plan_every_epoch(data, tmp_path):
    s = summary(run(tmp_path, cfg(data, epochs=2), EvalPlan(limit=1, max_new_tokens=1, every_epoch=False)))
    assert [e["epoch"] for e in s["evaluations"]] == [2.0]


def check_plan_at_start(data, tmp_path):
    s = summary(run(tmp_path, cfg(data), EvalPlan(limit=1, max_new_tokens=1, at_start=True)))
    assert [e["epoch"] for e in s["evaluations"]] == [0.0, 1.0]


def check_plan_keep_inputs(data, tmp_path):
    _, preds = evaluation(tmp_path, data, EvalPlan(limit=1, max_new_tokens=1, keep_inputs=True))
    assert "prompt" in preds[0] and "gold" in preds[0]
    _, plain = evaluation(tmp_path, data, EvalPlan(limit=1, max_new_tokens=1))
    assert "prompt" not in plain[0]


TRAIN_CHECKS = {f.name: globals()[f"check_{f.name}"] for f in setting_fields() if f"check_{f.name}" in globals()}
PLAN_CHECKS = {f.name: globals().get(f"check_plan_{f.name}") for f in dataclasses.fields(EvalPlan)}
for _name, _value in (("spider_db_dir", "/dbs"), ("spider_keep_distinct", True), ("dfa_timeout", 3.5),
                      ("sql_timeout", 4.5)):
    PLAN_CHECKS[_name] = _context_check(_name, _value)


def test_every_field_has_a_check():
    assert set(TRAIN_CHECKS) == set(setting_names()), "add check_<field> here"  # TrainConfig's and every objective's
    assert all(PLAN_CHECKS.values()), [k for k, v in PLAN_CHECKS.items() if v is None]


def _call(check, data, tmp_path, monkeypatch):
    import inspect

    kwargs = {"monkeypatch": monkeypatch} if "monkeypatch" in inspect.signature(check).parameters else {}
    check(data, tmp_path, **kwargs)


@pytest.mark.parametrize("field", sorted(TRAIN_CHECKS))
def test_a_non_default_train_setting_reaches_its_place(field, data, tmp_path, monkeypatch):
    _call(TRAIN_CHECKS[field], data, tmp_path, monkeypatch)


@pytest.mark.parametrize("field", sorted(PLAN_CHECKS))
def test_a_non_default_plan_setting_reaches_its_place(field, data, tmp_path, monkeypatch):
    _call(PLAN_CHECKS[field], data, tmp_path, monkeypatch)
