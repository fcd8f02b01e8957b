"""The typed run configuration: every field, its default, and why.

Defaults are the paper's settings (arXiv 2509.14252 v2, §4 and Table 3: Llama-3.2-1B-Instruct on
NL-RX-SYNTH, lr 2e-5, lambda = 1, k = 1, 4 epochs, batch 4 x 4 accumulation per device) unless the field
is an improvement, which is then named and off-by-default, or a compute setting that does not change
the maths. `validate()` turns every impossible value into a `ConfigError` before anything runs.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Literal

OBJECTIVES = ("regular", "jepa", "stp")
DISTANCES = ("cosine", "l2", "mse", "infonce")
LABEL_MODES = ("as_run", "assistant")
COMPUTE_MODES = ("packed", "reference")
MAX_PREDICTORS = 10  # the authors add <|predictor_1..10|>
DEFAULT_LBD = {"regular": 0.0, "jepa": 1.0, "stp": 0.02}  # Table 3 (lambda = 1); STP Table 2 (SYNTH, 0.02)


class ConfigError(ValueError):
    """An impossible or unknown configuration value; the message says which and what is allowed."""


@dataclass
class TrainConfig:
    # --- what to train ---
    task: str = "synth"  # registry name; NL-RX-SYNTH is the paper's main ablation dataset (Table 3)
    model: str = "smollm2-135m-instruct"  # embedded default; the paper used Llama-3.2-1B-Instruct (needs a hub)
    pretrain: bool = False  # random initialisation of the same architecture (paper §4.1, Table 2)
    data_dir: str | None = None  # folder of upstream JSONL files; None -> $JEPA_BENCH_DATA_DIR or ./data
    limit_train: int | None = None  # first N training rows (CPU-scale runs); None = the whole split
    flop_budget: float | None = None  # stop at this many analytic training FLOPs (Table 6's equal-FLOP runs); None = all epochs
    val_fraction: float = 0.0  # carve this share of train as a validation split (paper: none, it tuned on test)

    # --- objective ---
    objective: Literal["regular", "jepa", "stp"] = "regular"  # regular = the same path with the extra term off
    lbd: float | None = None  # weight of the extra term; None -> 1.0 for jepa (Table 3), 0.02 for stp (STP Table 2)
    gamma: float = 1.0  # weight of the LM loss (code default --gamma 1.0)
    predictors: int = 1  # k [PRED] tokens; Table 3 uses k = 1 (0 = Pred is the identity)
    distance: Literal["cosine", "l2", "mse", "infonce"] = "cosine"  # cosine is the paper's d (Table 3)
    infonce_temperature: float = 0.07  # Table 3 InfoNCE row
    front_pred: bool = False  # Table 3 "Prepend [PRED]": predictor tokens before the Text
    reverse_pred: bool = False  # Table 3 "Code->Text": views swapped
    jepa_ratio: float = 1.0  # probability a micro-batch gets the JEPA term; loss dropout LD = 1 - jepa_ratio (§5.2)
    last_token: int | None = None  # authors' negative Enc offset (e.g. -2 for Llama-3); None = derived from the template
    plain: bool = False  # raw strings without a chat template (paraphrase pretraining, §4.1b)

    # --- labels and compute ---
    label_mode: Literal["as_run", "assistant"] = "as_run"  # as_run = what produced the paper's numbers (upstream.md §2)
    compute_mode: Literal["packed", "reference"] = "packed"  # packed = one row per example (exact, faster)
    pad_to_max_length: bool = False  # reference mode only: pad every row to max_length as the authors do
    padding_side: Literal["right", "left"] = "right"  # results must not depend on it; tests check both
    max_length: int = 512  # per-view truncation, the authors' --max_length

    # --- optimisation (HF Trainer AdamW, linear decay, no warmup, no weight decay: paper §4) ---
    epochs: float = 4.0  # "4 epochs for all experiments"
    lr: float = 2e-5  # Table 3 setting; the lr grid is {1e-5, 2e-5, 4e-5, 8e-5}
    batch_size: int = 4  # per device (run.sh)
    grad_accum: int = 4  # run.sh; 4 x 4 x 8 GPUs = 128 sequences per optimizer step in the paper
    optimizer: str = "adamw_torch"  # HF Trainer's AdamW, what the authors used (tests use sgd to see scale)
    max_grad_norm: float = 1.0  # HF Trainer default, kept by the authors (0 = no clipping)
    weight_decay: float = 0.0  # HF Trainer default, kept by the authors
    warmup_steps: int = 0  # the authors use no warmup
    seed: int = 82  # first of the paper's seeds {82, 23, 37, 84, 4}

    # --- fine-tuning mode ---
    lora: bool = False  # full fine-tuning is the paper's default
    lora_rank: int = 16  # authors' --lora_rank default
    lora_dropout: float = 0.1  # authors' LoRA config (alpha = 2 r)
    train_predictor_tokens: bool = True  # under LoRA keep the new [PRED] embeddings trainable (authors: frozen)

    # --- numerics and outputs ---
    bf16: bool = False  # bf16 autocast over fp32 weights (pure bf16 weights did not learn on CPU: environment.md)
    gradient_checkpointing: bool = False  # saves memory, same maths; the paper used it on GPUs
    logging_steps: int = 1  # optimizer steps between log lines
    save_model: bool = False  # write the fine-tuned model to OUT/model
    save_checkpoints: bool = False  # sweeps: also keep the model of every evaluated epoch (epochs/epoch_k/model)
    out: str | None = None  # run directory

    def resolved(self) -> "TrainConfig":
        """A copy with every derived default filled in (what results record)."""
        cfg = dataclasses.replace(self)
        if cfg.lbd is None:
            cfg.lbd = DEFAULT_LBD.get(cfg.objective, 0.0)
        return cfg

    def validate(self) -> "TrainConfig":
        def need(ok: bool, msg: str):
            if not ok:
                raise ConfigError(msg)

        def choice(name: str, allowed: tuple[str, ...]):
            value = getattr(self, name)
            need(value in allowed, f"{name} must be one of {', '.join(allowed)}, got {value!r}")

        choice("objective", OBJECTIVES)
        choice("distance", DISTANCES)
        choice("label_mode", LABEL_MODES)
        choice("compute_mode", COMPUTE_MODES)
        choice("padding_side", ("right", "left"))
        need(self.lbd is None or self.lbd >= 0, f"lambda (--lbd) must be >= 0, got {self.lbd}")
        need(self.gamma >= 0, f"gamma must be >= 0, got {self.gamma}")
        need(0 <= self.predictors <= MAX_PREDICTORS,
             f"predictors (k) must be between 0 and {MAX_PREDICTORS}, got {self.predictors}")
        need(0.0 <= self.jepa_ratio <= 1.0, f"jepa_ratio must be in [0, 1], got {self.jepa_ratio}")
        need(self.infonce_temperature > 0, "infonce_temperature must be > 0")
        need(self.last_token is None or self.last_token < 0, f"last_token must be negative, got {self.last_token}")
        need(self.max_length >= 8, f"max_length must be >= 8, got {self.max_length}")
        need(self.epochs > 0, f"epochs must be > 0, got {self.epochs}")
        need(self.lr > 0, f"learning rate must be > 0, got {self.lr}")
        need(self.batch_size >= 1 and self.grad_accum >= 1, "batch_size and grad_accum must be >= 1")
        need(self.limit_train is None or self.limit_train >= 1, "limit_train must be >= 1")
        need(self.flop_budget is None or self.flop_budget > 0, f"flop_budget must be > 0, got {self.flop_budget}")
        need(0.0 <= self.val_fraction < 1.0, f"val_fraction must be in [0, 1), got {self.val_fraction}")
        need(self.lora_rank >= 1, "lora_rank must be >= 1")
        from benchmark.training.models import RANDOM_PRESETS
        need(self.model not in RANDOM_PRESETS or self.pretrain,
             f"{self.model} is a randomly initialised architecture for pretraining: set pretrain")
        need(not (self.front_pred and self.reverse_pred), "front_pred and reverse_pred cannot be combined")
        need(not self.pad_to_max_length or self.compute_mode == "reference",
             "pad_to_max_length applies to compute_mode=reference only")
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def identity(self) -> dict:
        """The resolved config without the fields that do not change results (paths, logging, saving)."""
        d = self.resolved().to_dict()
        for k in ("out", "logging_steps", "data_dir", "save_model", "save_checkpoints"):
            d.pop(k)
        return d

    def run_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.identity(), sort_keys=True).encode()).hexdigest()[:12]

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            from tasks.base import did_you_mean
            raise ConfigError("; ".join(did_you_mean("config field", u, sorted(known)) for u in unknown))
        return cls(**d)


def field_help() -> dict[str, str]:
    """Field name -> its one-line reason (read from this file's comments), for --help texts."""
    import inspect
    import re

    src = inspect.getsource(TrainConfig)
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^\s+(\w+): [^=]+=.*?#\s*(.+)$", src, re.M)}
