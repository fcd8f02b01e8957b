"""The file and folder names of a results tree: the one place they are spelled (see the package docstring)."""
from __future__ import annotations

from pathlib import Path

CONFIG = "config.json"
TRAIN_LOG = "train_log.jsonl"
SUMMARY = "summary.json"
EVAL_METRICS = "metrics.json"  # one evaluation's aggregate
PREDICTIONS = "predictions.jsonl"
EPOCHS = "epochs"
MODEL = "model"
ANALYSIS = "analysis"
LOCKS = ".locks"
PARTIAL = ".partial"
LEGACY_SUMMARY = "metrics.json"  # schema 1 kept the run summary under the evaluation file's name


def epoch_label(epoch: float) -> str:
    return f"epoch_{epoch:g}"


def eval_dir(run_dir: Path, epoch: float, split: str) -> Path:
    """Where one evaluation of a run lives: RUN/epochs/epoch_<k>/<split>."""
    return Path(run_dir) / EPOCHS / epoch_label(epoch) / split
