"""How long the runs of a sweep will take here, from the runs already measured on a machine like this one.

Every complete run records its wall time, the seconds of each evaluation, its training rows and epochs and
the machine it ran on. A planned run is estimated from the medians of measured runs of its kind on the same
kind of machine (same CPU count and GPUs):

    training   = median seconds per (training row × epoch) of runs with the same model, the same kind of
                 objective (whether it encodes the Text/Code views), the same pretraining and LoRA flags
                 × its rows × its epochs (a FLOP budget that stops a run early is not counted: an upper bound)
    evaluation = median seconds per evaluated example of runs with the same model, task and max_new_tokens
                 × its examples per evaluation × its evaluations (one per epoch and split, or one per split)

A run without a measured kind gets no estimate (and says so). Measured times include whatever else the
machine was doing, so a busy machine's runs read slower: the estimate is a plan, not a promise.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from pathlib import Path

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


def estimate_seconds(run: RunSpec, measured: list[Measured], machine: tuple) -> float | None:
    """The run's estimated wall time here, or None when no measured run of its kind is on this machine."""
    cfg, plan = run.train.resolved(), run.eval
    here = [m for m in measured if m.machine == machine]
    kind = _train_kind(cfg.to_dict())
    same_train = [m for m in here if m.train_kind == kind]
    same_eval = [m for m in here if m.eval_kind == (cfg.model, cfg.task, plan.max_new_tokens)]
    rows = cfg.limit_train or _median([m.n_train for m in same_train if m.train_kind[0] == cfg.model])
    train_rate = _median([m.train_seconds_per_row_epoch for m in same_train])
    eval_rate = _median([m.eval_seconds_per_example for m in same_eval])
    if not rows or train_rate is None or eval_rate is None:
        return None
    examples = 0.0
    for split in plan.splits:
        seen = _median([m.eval_examples.get(split) for m in same_eval])
        n = plan.limit if plan.limit and (seen is None or plan.limit < seen) else seen
        if n is None:
            return None
        examples += n
    evaluations = (math.ceil(cfg.epochs) if plan.every_epoch else 1) + (1 if plan.at_start else 0)
    return train_rate * rows * cfg.epochs + eval_rate * examples * evaluations


def format_duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"
