"""From a `TrainConfig` to a ready `JepaTrainer`: validate, load the data and the model, build the views.

Everything here checks or builds; nothing writes a run directory (runs/runner.py does, through the store).
Every input is checked (config, task, model name, every data line) before the model loads.
"""
from __future__ import annotations

from pathlib import Path

import torch
from transformers.trainer_callback import PrinterCallback, ProgressCallback

from benchmark.training import objectives
from benchmark.training.chat import template_variables
from benchmark.training.config import TrainConfig, typed_trainer_args
from benchmark.training.models import PREDICTOR_TOKENS, apply_lora, load_model_and_tokenizer, resolve_model_source
from benchmark.training.packing import Collator
from benchmark.training.step import check_head_logits
from benchmark.training.trainer import JepaTrainer
from benchmark.training.views import ViewBuilder
from tasks import get_task, load_split


class ListDataset(torch.utils.data.Dataset):
    def __init__(self, items: list[dict]):
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict:
        return self.items[i]


def view_builder(cfg: TrainConfig, tok) -> ViewBuilder:
    return ViewBuilder(tok, predictors=cfg.predictors, **cfg.options.view_layout(),
                       label_mode=cfg.label_mode, last_token=cfg.last_token, plain=cfg.plain,
                       max_length=cfg.max_length, with_views=cfg.builds_views())


def _checkpointing_arguments(enabled: bool) -> dict:
    """transformers 5.x renamed gradient_checkpointing to activation_checkpointing; older 5.x releases
    (e.g. the GPU image's 5.17) only know the old names."""
    import inspect

    from transformers import TrainingArguments

    prefix = ("activation" if "activation_checkpointing" in inspect.signature(TrainingArguments).parameters
              else "gradient")
    # non-reentrant: safe with DDP and with several forwards per step
    return {f"{prefix}_checkpointing": enabled, f"{prefix}_checkpointing_kwargs": {"use_reentrant": False}}


def training_arguments(cfg: TrainConfig, output_dir: Path, progress: bool):
    """The Trainer's arguments: the suite's settings, then the user's `trainer_args` (FSDP, DeepSpeed, ...)
    for everything else (config.validate refuses a key the suite sets itself)."""
    from transformers import TrainingArguments

    mine = dict(
        output_dir=str(output_dir), per_device_train_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum, learning_rate=cfg.lr, num_train_epochs=cfg.epochs,
        lr_scheduler_type="linear", warmup_steps=cfg.warmup_steps, weight_decay=cfg.weight_decay,
        optim=cfg.optimizer, max_grad_norm=cfg.max_grad_norm, seed=cfg.seed, data_seed=cfg.seed, logging_steps=cfg.logging_steps,
        # the latest epoch's full state, for resuming a killed run (runs/resume.py); the Trainer's own format
        save_strategy="epoch" if cfg.checkpoint_every_epoch else "no", save_total_limit=1,
        report_to=cfg.report_to, bf16=cfg.bf16, use_cpu=not torch.cuda.is_available(),
        dataloader_drop_last=True,  # the authors drop the last incomplete batch
        remove_unused_columns=False, disable_tqdm=not progress,
        **_checkpointing_arguments(cfg.gradient_checkpointing),
    )
    return TrainingArguments(**mine, **typed_trainer_args(cfg.trainer_args or {}))


def prepare(cfg: TrainConfig):
    """Validate everything and build model, tokenizer and tokenised data; writes nothing."""
    cfg = cfg.resolved().validate()
    task = get_task(cfg.task)
    resolve_model_source(cfg.model)
    examples = load_split(task, "train", cfg.data_dir, cfg.limit_train, val_fraction=cfg.val_fraction,
                          subset=cfg.train_subset)
    model, tok = load_model_and_tokenizer(cfg.model, pretrain=cfg.pretrain, seed=cfg.seed, plain=cfg.plain,
                                          template_variables=template_variables(cfg))
    if cfg.compute_mode == "packed":  # the packed layout computes the head itself: it must equal the model's
        check_head_logits(model, model.get_output_embeddings(), len(tok))
    builder = view_builder(cfg, tok)
    items = [builder.build(e).to_dict() for e in examples]
    if cfg.lora:
        pred_ids = tok.convert_tokens_to_ids(list(PREDICTOR_TOKENS)) if cfg.train_predictor_tokens else None
        model = apply_lora(model, rank=cfg.lora_rank, dropout=cfg.lora_dropout, trainable_token_ids=pred_ids)
    return cfg, task, model, tok, items


def make_trainer(cfg: TrainConfig, model, tok, items: list[dict], output_dir: Path, progress: bool = True,
                 callbacks=()) -> JepaTrainer:
    collator = Collator(tok.pad_token_id, mode=cfg.compute_mode, padding_side=cfg.padding_side,
                        with_views=cfg.builds_views(),
                        pad_to=cfg.max_length if cfg.pad_to_max_length else None)
    trainer = JepaTrainer(model=model, args=training_arguments(cfg, output_dir, progress),
                          train_dataset=ListDataset(items), data_collator=collator, processing_class=tok,
                          run_config=cfg, pad_id=tok.pad_token_id, callbacks=list(callbacks))
    if not progress:  # without a bar the Trainer prints every log dict instead; train_log.jsonl keeps them
        trainer.remove_callback(PrinterCallback)
    else:  # the running losses in the bar's postfix, not a dict printed between its lines per logged step
        trainer.remove_callback(ProgressCallback)
        trainer.add_callback(PostfixProgress())
    return trainer


class PostfixProgress(ProgressCallback):
    """The Trainer's progress bar, with the latest loss, LM loss and the objective's term as its postfix; every
    logged value stays in train_log.jsonl (trainer.JsonlLogCallback)."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and self.training_bar is not None and logs and "loss" in logs:
            # every objective's own term comes from the objective registry: a new objective shows without an edit here
            shown = ("loss", "lm_loss", *objectives.log_keys(), "cosine")
            self.training_bar.set_postfix({k: f"{logs[k]:.4g}" for k in shown if k in logs}, refresh=False)
