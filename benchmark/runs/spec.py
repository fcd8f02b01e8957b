"""A run's specification: its training config and its evaluation plan, and the id they hash to.

The id is the one identity of a run everywhere: the folder name in a sweep's results tree, the `run_id`
in its config.json and summary.json, and what `jepa-bench check` compares by. `jepa-bench train` builds
the same `RunSpec` a one-run sweep would, so both give the same id, layout and summary.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from benchmark.evaluation.plan import EvalPlan
from benchmark.training.config import TrainConfig
from benchmark.training.options import identity_digest


@dataclass(frozen=True)
class RunSpec:
    train: TrainConfig
    eval: EvalPlan = field(default_factory=EvalPlan)

    @property
    def run_id(self) -> str:
        """Hash of the resolved training config (minus paths and logging) and the evaluation plan, numbers in
        canonical form (schema 3: `epochs: 3` and `3.0` are one run; `jepa-bench migrate` renames older ids)."""
        return identity_digest({"train": self.train.identity(), "eval": self.eval.identity()})

    def check(self) -> "RunSpec":
        """Everything that can be checked without loading a model or data."""
        from tasks import get_task

        cfg = self.train.resolved().validate()
        self.eval.validate(get_task(cfg.task), cfg.val_fraction)
        return self

    def to_dict(self) -> dict:
        return {"train": self.train.to_dict(), "eval": self.eval.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> "RunSpec":
        return cls(TrainConfig.from_dict(d["train"]), EvalPlan.from_dict(d["eval"]))
