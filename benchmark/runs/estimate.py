"""How long the runs of a sweep will take here, from the runs already measured on a machine like this one.

Every complete run records its wall time, the seconds of each evaluation, its training rows and epochs and
the machine it ran on. A planned run is estimated from the medians of measured runs of its kind on the same
kind of machine (same CPU count and GPUs):

    training   = median seconds per (training row × epoch) of runs with the same model, the same kind of
                 objective (whether it encodes the Text/Code views), the same pretraining and LoRA flags
                 × its rows × its epochs (a FLOP budget that stops a run early is not counted: an upper bound)
    evaluation = median seconds per evaluated example of runs with the same model, task and max_new_tokens
                 × its examples per evaluation × its evaluations (one per epoch and split, or one per split)

Where no run of the exact kind was measured, the nearest kind stands in (another task's evaluations, full
fine-tuning for LoRA) and the estimate says "rough"; a random preset never measured here is scaled from a
measured one by their analytic cost per token (rough too); any other model never measured here gets no estimate.
Measured times include whatever else the machine was doing, so a busy machine's runs read slower: the estimate
is a plan, not a promise.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from benchmark import store
from benchmark.runs.spec import RunSpec
from benchmark.training.objectives import get_objective


@dataclass(frozen=True)
class Measured:
    machine: tuple  # (cpu_count, gpus)
    train_kind: tuple  # (model, encodes views, pretrain, LoRA)
    eval_kind: tuple  # (model, task, max_new_tokens)
    n_train: int
    train_seconds_per_row_epoch: float | None
    eval_seconds_per_example: float | None
    eval_examples: dict  # split -> examples per evaluation


def machine_key(hardware: dict) -> tuple:
    return (hardware.get("cpu_count"), tuple(hardware.get("gpus") or ()))


def _train_kind(cfg: dict) -> tuple:
    try:
        views = get_objective(cfg["objective"]).needs_views or bool(cfg.get("jepa_diagnostic_every"))
    except KeyError:
        views = None
    return (cfg["model"], views, bool(cfg.get("pretrain")), bool(cfg.get("lora")))


def _measure(run_dir: Path) -> Measured | None:
    try:
        summary, record = store.read_summary(run_dir), store.read_json(run_dir / store.CONFIG)
    except (OSError, ValueError, KeyError):
        return None
    cfg, plan = summary["config"], summary.get("eval") or {}
    evals = summary.get("evaluations") or []
    eval_seconds = sum(e.get("seconds") or 0.0 for e in evals)
    eval_n = sum(e.get("n") or 0 for e in evals)
    wall, n_train, epochs = summary.get("wall_seconds"), record.get("n_train"), summary.get("epochs_run")
    per_row = (wall - eval_seconds) / (n_train * epochs) if wall and n_train and epochs else None
    return Measured(machine_key(record.get("hardware") or {}), _train_kind(cfg),
                    (cfg["model"], cfg["task"], plan.get("max_new_tokens")), n_train or 0,
                    per_row if per_row and per_row > 0 else None,
                    eval_seconds / eval_n if eval_n and eval_seconds > 0 else None,
                    {e["split"]: e.get("n") for e in evals})


def measured_runs(root: str | Path = "results") -> list[Measured]:
    """Every complete run of every results tree under `root` (a tree is a folder with runs in it)."""
    root = Path(root)
    if not root.is_dir():
        return []
    out = []
    for tree in sorted(p for p in root.iterdir() if p.is_dir()):
        for d in store.run_dirs(tree):
            m = _measure(d)
            if m is not None:
                out.append(m)
    return out


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


class Estimate(NamedTuple):
    seconds: float
    rough: bool  # a part came from runs of a nearby kind: another task, or without LoRA / pretraining


def estimate_seconds(run: RunSpec, measured: list[Measured], machine: tuple) -> Estimate | None:
    """The run's estimated wall time here, or None when no run of its model (and kind of objective) was
    measured on this machine. Where no run of its exact kind was, the nearest kind stands in and the
    estimate is marked rough: the same model and objective kind without the pretraining / LoRA match (full
    fine-tuning is slower than LoRA: an upper bound), or the same model's evaluations of another task. A
    random preset never measured here is scaled from the measured preset of the same kind by their analytic
    cost per token (`preset_cost`), also rough."""
    cfg, plan = run.train.resolved(), run.eval
    here = [m for m in measured if m.machine == machine]
    got = _estimate_as(cfg.model, cfg, plan, here)
    if got is not None or cfg.model not in _presets():
        return got
    kind = _train_kind(cfg.to_dict())[1:]
    others = sorted({m.train_kind[0] for m in here if m.train_kind[0] in _presets() and m.train_kind[1:] == kind},
                    key=lambda name: -sum(m.train_kind[0] == name for m in here))
    for other in others:
        got = _estimate_as(other, cfg, plan, here)
        if got is not None:
            return Estimate(got.seconds * preset_cost(cfg.model) / preset_cost(other), True)
    return None


def _presets() -> dict:
    from benchmark.training.models import RANDOM_PRESETS

    return RANDOM_PRESETS


PRESET_VOCAB = 49152  # the presets use SmolLM2's tokenizer; its output layer is much of a small model's cost


def preset_cost(name: str) -> float:
    """Multiply-adds per token of a random preset: its decoder layers' matrices and the output layer (the
    embedding lookup costs nothing); what a run's time scales with, short of the fixed costs."""
    p = _presets()[name]
    h, i = p["hidden_size"], p["intermediate_size"]
    kv = h * p["num_key_value_heads"] // p["num_attention_heads"]
    return p["num_hidden_layers"] * (2 * h * h + 2 * h * kv + 3 * h * i) + PRESET_VOCAB * h


def _estimate_as(model: str, cfg, plan, here: list[Measured]) -> Estimate | None:
    """The estimate of `cfg` from the measured runs of `model` (its own, or a stand-in's to be scaled)."""
    kind = (model, *_train_kind(cfg.to_dict())[1:])
    same_train = [m for m in here if m.train_kind == kind]
    near_train = [m for m in here if m.train_kind[:2] == kind[:2]]
    same_eval = [m for m in here if m.eval_kind == (model, cfg.task, plan.max_new_tokens)]
    near_eval = [m for m in here if m.eval_kind[0] == model and m.eval_kind[2] == plan.max_new_tokens]
    rough = not same_train or not same_eval
    same_train, same_eval = same_train or near_train, same_eval or near_eval
    rows = cfg.limit_train or _median([m.n_train for m in same_train])
    train_rate = _median([m.train_seconds_per_row_epoch for m in same_train])
    eval_rate = _median([m.eval_seconds_per_example for m in same_eval])
    if not rows or train_rate is None or eval_rate is None:
        return None
    def examples(split: str) -> float | None:
        seen = _median([m.eval_examples.get(split) for m in same_eval if m.eval_kind[1] == cfg.task])
        return plan.limit if plan.limit and (seen is None or plan.limit < seen) else seen

    evaluations = (math.ceil(cfg.epochs) if plan.every_epoch else 1) + (1 if plan.at_start else 0)
    counts = [(examples(s), evaluations) for s in plan.splits] + [(examples(s), 1) for s in plan.final_splits]
    if any(n is None for n, _ in counts):
        return None
    asked = sum(n * times for n, times in counts)
    return Estimate(train_rate * rows * cfg.epochs + eval_rate * asked, rough)


def format_duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"
