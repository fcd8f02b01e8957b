"""The files of a results tree, as typed records (lm-eval's result_schema.py does the same for its JSON).

Schema 3 (this version) hashes a run's id over its settings with numbers in canonical form (whole floats as
ints: `epochs: 3` and `3.0` are one run); schema 2 hashed them as written. Schema 2 named the run summary
`summary.json`; schema 1 called it `metrics.json`, the name every evaluation's aggregate still has.
`jepa-bench migrate` brings a tree of schema 1 or 2 to schema 3 (runs/migrate.py).
"""
from __future__ import annotations

from typing import Any, TypedDict

SCHEMA_VERSION = 3


class TaskRef(TypedDict, total=False):
    name: str
    version: int  # bumped whenever prompts, views or scoring change (tasks/)
    files: dict[str, str]  # split -> file name in the data directory
    sha256: dict[str, str]  # file name -> sha256 of the data the run read (runs since 2026-12-07)


class Provenance(TypedDict, total=False):
    versions: dict[str, str | None]  # python and library versions
    git: dict[str, Any]  # {"commit": sha, "dirty": bool}
    hardware: dict[str, Any]
    command: list[str]  # as typed: `jepa-bench ...`, paths relative to the working directory
    started: str  # ISO time, UTC


class RunRecord(Provenance):
    """RUN/config.json, written before training starts."""

    schema: int
    run_id: str  # hash of the resolved training config and the evaluation plan (runs/spec.py)
    config: dict[str, Any]  # the resolved TrainConfig
    eval: dict[str, Any]  # the EvalPlan
    task: TaskRef
    n_train: int  # training examples after limit and validation carving
    n_truncated: int  # examples whose views or conversation were cut at max_length
    parameters: int
    trainable_parameters: int
    n_eval: dict[str, int]  # split -> examples evaluated
    world_size: int  # processes training the run (torchrun)


class MetricCounts(TypedDict):
    accuracy: float  # correct / n (undecided counts wrong: a lower bound)
    correct: int
    wrong: int
    undecided: int
    upper_bound: float  # (correct + undecided) / n


class EvaluationEntry(TypedDict):
    """One evaluation of a run (after an epoch, or at the end of a budget-stopped run)."""

    epoch: float
    step: int  # optimizer steps taken when evaluated
    split: str
    flops: float  # analytic training FLOPs up to this point (6·N·T)
    n: int
    main_metric: str
    accuracy: float  # of the main metric
    metrics: dict[str, MetricCounts]
    seconds: float
    path: str  # its folder, relative to the run: epochs/epoch_<k>/<split>


class FinalScore(TypedDict):
    epoch: float
    main_metric: str
    accuracy: float
    metrics: dict[str, float]


class RunSummary(TypedDict):
    """RUN/summary.json, written last: a run is complete when this file parses and says so."""

    schema: int
    run_id: str
    complete: bool
    task: TaskRef
    config: dict[str, Any]
    eval: dict[str, Any]
    optimizer_steps: int
    epochs_run: float
    world_size: int
    tokens_processed: int  # real tokens forwarded in training (conversation plus views), all processes
    tokens_computed: int  # the same with padding
    flops: float
    flop_budget: float | None
    stopped_by_budget: bool
    wall_seconds: float
    final: dict[str, FinalScore]  # split -> the last evaluation
    last_log: dict[str, Any] | None  # the last train_log record with a loss
    evaluations: list[EvaluationEntry]
    versions: dict[str, str | None]
    git: dict[str, Any]


class EvalMetrics(Provenance, total=False):
    """<evaluation>/metrics.json: one evaluation's aggregate, written with its predictions.jsonl."""

    task: str
    task_version: int
    split: str
    n: int
    main_metric: str
    accuracy: float
    metrics: dict[str, dict[str, Any]]  # MetricCounts plus top_reasons
    parity_metrics: list[str]
    asked: dict[str, Any]  # how outputs were produced (batch, max_new_tokens, bf16, plain, speed)
    scoring: dict[str, Any]  # the ScoringContext
    seconds: float


class PredictionRecord(TypedDict, total=False):
    """One line of predictions.jsonl: no prompt or gold unless written with keep_inputs."""

    index: int  # position in the evaluated split (after limit and validation carving)
    example_sha256: str  # fingerprint of the example's messages (evaluation.evaluate.example_hash)
    output: str
    verdicts: dict[str, dict[str, Any]]  # metric -> {correct: bool | None, reason, extracted}
    new_tokens: int
    stopped: bool
    choice_probs: dict[str, float]
    prompt: str
    gold: str


# What every reader of a summary relies on; a summary without one of these is not a complete run.
REQUIRED_SUMMARY_KEYS = ("run_id", "complete", "config", "evaluations")
