"""The shared training path: regular = plain SFT, accumulation-invariance, loss dropout, LoRA tokens."""
import copy

import pytest
import torch

from benchmark.training.config import TrainConfig
from benchmark.training.models import PREDICTOR_TOKENS, apply_lora
from benchmark.training.prepare import make_trainer, view_builder


def params(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def train(model, tok, examples, tmp_path, **overrides):
    overrides = {"lr": 1e-3, **overrides}
    cfg = TrainConfig.from_dict({"model": "tiny-random-llama", "epochs": 1, "logging_steps": 1, **overrides})
    cfg = cfg.resolved().validate()
    items = [view_builder(cfg, tok).build(e).to_dict() for e in examples]
    trainer = make_trainer(cfg, model, tok, items, tmp_path / "t", progress=False)
    trainer.train()
    return trainer


def assert_params_close(a, b, atol=1e-6):
    assert a.keys() == b.keys()
    for n in a:
        torch.testing.assert_close(a[n], b[n], atol=atol, rtol=1e-5, msg=n)


# Adam's first step and gradient clipping are both blind to a constant scale of the gradient, so the
# update-equality tests use plain SGD without clipping: a loss scaled wrongly by any factor shows up.
SHARP = {"optimizer": "sgd", "max_grad_norm": 0.0}


def test_regular_equals_plain_supervised_fine_tuning(tiny, examples, tmp_path):
    """Our trainer with the JEPA term off updates the weights exactly as stock transformers.Trainer does."""
    from transformers import Trainer, TrainingArguments

    model, tok = tiny
    reference = copy.deepcopy(model)
    train(model, tok, examples, tmp_path, objective="regular", batch_size=2, grad_accum=2, **SHARP)

    cfg = TrainConfig(objective="regular")
    items = [view_builder(cfg, tok).build(e) for e in examples]

    def collate(batch):  # the textbook SFT batch: right padding, labels = ids where labelled, else -100
        width = max(len(b["ids"]) for b in batch)
        ids = torch.tensor([b["ids"] + [tok.pad_token_id] * (width - len(b["ids"])) for b in batch])
        att = torch.tensor([[1] * len(b["ids"]) + [0] * (width - len(b["ids"])) for b in batch])
        lab = torch.tensor([[t if keep else -100 for t, keep in zip(b["ids"], b["labels"])] + [-100] * (width - len(b["ids"]))
                            for b in batch])
        return {"input_ids": ids, "attention_mask": att, "labels": lab}

    args = TrainingArguments(output_dir=str(tmp_path / "stock"), per_device_train_batch_size=2, gradient_accumulation_steps=2,
                             learning_rate=1e-3, num_train_epochs=1, lr_scheduler_type="linear", seed=82, data_seed=82,
                             optim="sgd", max_grad_norm=0.0,
                             save_strategy="no", report_to="none", use_cpu=True, dataloader_drop_last=True,
                             remove_unused_columns=False, disable_tqdm=True)
    data = [{"ids": i.full_ids, "labels": i.full_labels} for i in items]
    Trainer(model=reference, args=args, train_dataset=data, data_collator=collate).train()
    assert_params_close(params(model), params(reference))


@pytest.mark.parametrize("objective", ["regular", "jepa", "stp"])
@pytest.mark.parametrize("mode", ["packed", "reference"])
def test_accumulation_split_does_not_change_the_update(examples, tmp_path, objective, mode):
    """batch 4 x accumulation 1 and batch 1 x accumulation 4 give the same optimizer step."""
    from benchmark.training.models import load_model_and_tokenizer

    results = []
    for bs, ga in ((4, 1), (1, 4)):
        model, tok = load_model_and_tokenizer("tiny-random-llama", seed=0)
        kw = {"lbd": 0.0} if objective == "stp" else {}  # STP draws spans per micro-batch: compare its LM path
        train(model, tok, examples[:4], tmp_path / f"{bs}", objective=objective, compute_mode=mode,
              batch_size=bs, grad_accum=ga, **SHARP, **kw)
        results.append(params(model))
    assert_params_close(*results)


@pytest.mark.parametrize("mode", ["packed", "reference"])
def test_loss_dropout_works_in_every_compute_mode(examples, tmp_path, mode):
    from benchmark.training.models import load_model_and_tokenizer

    model, tok = load_model_and_tokenizer("tiny-random-llama", seed=0)
    regular = copy.deepcopy(model)
    train(model, tok, examples, tmp_path / "a", objective="jepa", jepa_ratio=0.0, compute_mode=mode, batch_size=1, grad_accum=1)
    train(regular, tok, examples, tmp_path / "b", objective="regular", compute_mode=mode, batch_size=1, grad_accum=1)
    assert_params_close(params(model), params(regular))  # LD = 1: never a JEPA term, exactly regular

    model, tok = load_model_and_tokenizer("tiny-random-llama", seed=0)
    t = train(model, tok, examples, tmp_path / "c", objective="jepa", jepa_ratio=0.5, compute_mode=mode, batch_size=1, grad_accum=1)
    steps = [r for r in t.state.log_history if "lm_loss" in r]
    with_jepa = sum("jepa_loss" in r for r in steps)
    assert len(steps) == len(examples) and 0 < with_jepa < len(steps)


def test_jepa_run_logs_its_terms_and_trains_every_parameter(tiny, examples, tmp_path):
    model, tok = tiny
    before = params(model)
    t = train(model, tok, examples, tmp_path, objective="jepa", predictors=2, batch_size=2, grad_accum=1)
    logs = [r for r in t.state.log_history if "lm_loss" in r]
    assert logs and all({"jepa_loss", "cosine", "loss"} <= r.keys() for r in logs)
    r = logs[0]  # loss = gamma * lm + lambda * jepa, and jepa = 1 - cosine for the cosine distance
    assert r["loss"] == pytest.approx(r["lm_loss"] + r["jepa_loss"], rel=1e-4)
    assert r["jepa_loss"] == pytest.approx(1 - r["cosine"], rel=1e-5)
    after = params(model)
    unchanged = [n for n in before if torch.equal(before[n], after[n])]
    assert not unchanged


@pytest.mark.parametrize("train_tokens", [True, False])
def test_lora_keeps_predictor_embeddings_trainable(tiny, examples, tmp_path, train_tokens):
    model, tok = tiny
    pred_ids = tok.convert_tokens_to_ids(list(PREDICTOR_TOKENS))
    model = apply_lora(model, rank=4, dropout=0.0, trainable_token_ids=pred_ids if train_tokens else None)
    probe = torch.tensor([pred_ids[:3]])
    before = model.get_input_embeddings()(probe).detach().clone()
    train(model, tok, examples, tmp_path, objective="jepa", predictors=3, lora=True, batch_size=2, grad_accum=1)
    after = model.get_input_embeddings()(probe).detach()
    assert (not torch.equal(before, after)) == train_tokens  # the authors' LoRA leaves them frozen


def test_same_config_gives_the_same_numbers(examples, tmp_path):
    from benchmark.training.models import load_model_and_tokenizer

    runs = []
    for i in range(2):
        model, tok = load_model_and_tokenizer("tiny-random-llama", seed=0)
        t = train(model, tok, examples, tmp_path / str(i), objective="jepa", jepa_ratio=0.5, batch_size=2, grad_accum=1)
        runs.append([(r.get("lm_loss"), r.get("jepa_loss")) for r in t.state.log_history if "lm_loss" in r])
    assert runs[0] == runs[1]


@pytest.mark.parametrize("objective", ["regular", "stp", "jepa"])
def test_the_jepa_diagnostic_is_logged_and_changes_nothing(examples, tmp_path, objective):
    """Fig. 3 right: 1 - cos(Pred(Enc(Text)), Enc(Code)) logged without gradient every N steps, for any
    objective; the weights and the logged losses are exactly those of the same run without it."""
    from benchmark.training.models import load_model_and_tokenizer

    runs = {}
    for every in (0, 2):
        model, tok = load_model_and_tokenizer("tiny-random-llama", seed=0)
        t = train(model, tok, examples, tmp_path / str(every), objective=objective, batch_size=2, grad_accum=1,
                  jepa_diagnostic_every=every)
        runs[every] = (params(model), [r for r in t.state.log_history if "lm_loss" in r])
    (p0, log0), (p2, log2) = runs[0], runs[2]
    assert_params_close(p0, p2, atol=0)
    keys = ("loss", "lm_loss", "jepa_loss", "stp_loss")
    assert [{k: r.get(k) for k in keys} for r in log0] == [{k: r.get(k) for k in keys} for r in log2]
    diag = [(r["step"] if "step" in r else i) for i, r in enumerate(log2) if "jepa_diagnostic" in r]
    assert diag and not any("jepa_diagnostic" in r for r in log0)
    assert all(0 <= r["jepa_diagnostic"] <= 2 for r in log2 if "jepa_diagnostic" in r)
    if objective == "jepa":  # the same quantity the JEPA term logs, measured before the step's update
        r = next(r for r in log2 if "jepa_diagnostic" in r)
        assert r["jepa_diagnostic"] == pytest.approx(r["jepa_loss"], rel=1e-4)
