"""The evaluation plan: every setting of how a model is asked and scored, in one frozen record.

One `EvalPlan` drives every evaluation path: `jepa-bench evaluate` (its flags are generated from these
fields), the per-epoch evaluations of a training run (a sweep spec's `eval:` block, `train --eval-*`),
and the lm-eval export (its scoring constants and `max_gen_toks`). Validation happens here and only here.

Field kinds (metadata `scope`): "select" which examples, "generate" how outputs are produced, "score"
how they are judged (these become the task's `ScoringContext`), "run" settings that only a training run
has, "output" what is written beside the scores.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from benchmark.training import options
from benchmark.training.options import ConfigError, option
from tasks import Subset
from tasks.base import ScoringContext

DEFAULT_BATCH_SIZE = 16  # generation batch; equal to batch 1 in fp32 (tests/test_generate.py)


@dataclass(frozen=True)
class EvalPlan:
    splits: tuple[str, ...] = option(("test",), "splits to evaluate: test (the paper's) and/or val (needs "
                                                "val_fraction > 0); empty = train only", scope="select")
    final_splits: tuple[str, ...] = option(
        (), "splits evaluated after the last epoch only, beside `splits` (every epoch): e.g. a small validation "
            "split traces the curve and the whole test split is scored once at the end", scope="run", since=2)
    limit: int | None = option(None, "first N examples of each split (CPU-scale runs); None = the whole split",
                               low=1, scope="select")
    subset: Subset = option(
        "head", "which examples limit keeps: head = the first N; random = N drawn with a fixed seed, the same for "
                "every run (for files sorted by answer, e.g. Rotten Tomatoes); nested = the first N of one fixed shuffle",
        scope="select", since=2)
    metrics: tuple[str, ...] | None = option(None, "subset of the task's metrics; None = every metric",
                                             scope="select")
    batch_size: int = option(DEFAULT_BATCH_SIZE, "generation batch (1 = the authors' loop); fp32 outputs equal "
                                                 "batch 1", low=1, scope="generate")
    max_new_tokens: int = option(128, "the authors' evaluate.py uses 128", low=1, high=100_000, scope="generate")
    bf16: bool = option(False, "autocast bf16 generation (faster; left-padded bf16 may differ from batch 1)",
                        scope="generate")
    spider_db_dir: str | None = option(None, "Spider database/ folder (<db_id>/<db_id>.sqlite); where it lives "
                                             "does not change results", identity=False, scope="score")
    spider_keep_distinct: bool = option(False, "keep DISTINCT in Spider execution accuracy (the official "
                                               "test-suite's --keep_distinct; its default strips it)",
                                        scope="score", since=2)
    dfa_timeout: float = option(10.0, "seconds per NL-RX equivalence check; a pair that runs out is undecided",
                                low=0, low_open=True, high=86_400, scope="score")
    sql_timeout: float = option(10.0, "seconds per SQL query; a prediction that runs out is wrong",
                                low=0, low_open=True, high=86_400, scope="score")
    every_epoch: bool = option(True, "evaluate after every epoch (the paper's Fig. 1 curves); False = after the "
                                     "last only", scope="run")
    at_start: bool = option(False, "also evaluate before training (epoch 0)", scope="run")
    keep_inputs: bool = option(False, "also write each prompt and gold into predictions.jsonl (local "
                                      "debugging; committed results must hold no data copy)",
                               identity=False, scope="output")

    def validate(self, task=None, val_fraction: float = 0.0) -> "EvalPlan":
        """Ranges and finiteness of every number; with a task, its splits, metrics and scoring needs."""
        options.check_values(self)
        every = self.splits + self.final_splits
        if len(set(every)) != len(every):
            raise ConfigError(f"splits and final_splits name a split twice: {', '.join(every)} (a split is "
                              "evaluated every epoch or at the end, not both)")
        if self.metrics is not None and not self.metrics:
            raise ConfigError("metrics must name at least one metric (or be left unset for all)")
        if task is None:
            return self
        from tasks import splits as task_splits

        for split in every:
            if split not in task_splits(task, val_fraction):
                hint = " (set val_fraction)" if split == "val" else ""
                raise ConfigError(f"task {task.name!r} has no split {split!r}{hint}; it has "
                                  f"{', '.join(task_splits(task, val_fraction))}")
        for name in self.metrics or ():
            task.metric(name)  # unknown metric: "did you mean"
        for need in task.requires:
            if getattr(self, need, None) is None:
                raise ConfigError(f"task {task.name!r} needs --{need.replace('_', '-')} (in a sweep spec: "
                                  f"eval.{need}); see `jepa-bench tasks`")
        return self

    def all_splits(self) -> tuple[str, ...]:
        """Every split the plan evaluates at some point: the per-epoch ones, then the final-only ones."""
        return self.splits + self.final_splits

    def scoring_context(self) -> ScoringContext:
        """The task scorers' settings, every one taken from this plan."""
        return ScoringContext(spider_db_dir=Path(self.spider_db_dir) if self.spider_db_dir else None,
                              dfa_timeout=self.dfa_timeout, sql_timeout=self.sql_timeout,
                              spider_keep_distinct=self.spider_keep_distinct)

    def identity(self) -> dict:
        """What changes the numbers an evaluation reports (part of a run's id)."""
        return options.identity_dict(self)

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict | None) -> "EvalPlan":
        return options.from_dict(cls, dict(d or {}), "eval setting").validate()


def scoped_fields(*scopes: str) -> tuple[str, ...]:
    """Names of the plan's fields whose scope is one of `scopes` (e.g. "score")."""
    return tuple(f.name for f in dataclasses.fields(EvalPlan) if f.metadata.get("scope") in scopes)
