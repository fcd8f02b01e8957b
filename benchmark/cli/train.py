"""`jepa-bench train`: one run, built exactly as a one-run sweep (same id, layout and summary)."""
from __future__ import annotations

import argparse
import dataclasses

from benchmark.cli.flags import add_flags, collect
from benchmark.evaluation.plan import EvalPlan
from benchmark.training.config import TrainConfig
from benchmark.training.objectives import all_objectives

HELP = "fine-tune one model on one task with one objective (optionally evaluating after each epoch)"
TRAIN_ONLY = EvalPlan(splits=())  # `train` evaluates only when asked (--eval-splits test)
EPILOG = """examples:
  jepa-bench train --task synth --objective jepa --lbd 1 --predictors 1 --limit-train 256 --epochs 2 --out runs/synth-jepa
  jepa-bench train --task synth --objective regular --eval-splits test --eval-limit 100 --out runs/synth-regular

The run folder holds config.json, train_log.jsonl, epochs/epoch_<k>/<split>/ and summary.json, as a sweep run."""


def register(sub) -> None:
    t = sub.add_parser("train", help=HELP, description=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_flags(t.add_argument_group("training (every field of TrainConfig)"), TrainConfig,
              aliases={"world_size": ("--nproc-per-node",)}, skip=("objective_options",))
    for objective in all_objectives():  # each objective's own settings, from its options record
        if dataclasses.fields(objective.options):
            add_flags(t.add_argument_group(f"settings of objective {objective.name} (its options record)"),
                      objective.options)
    add_flags(t.add_argument_group("evaluation after each epoch (EvalPlan; none by default)"), EvalPlan,
              prefix="eval-", defaults={"splits": ()})
    t.add_argument("--overwrite", action="store_true", help="replace a non-empty --out directory")
    t.add_argument("--no-progress", action="store_true", help="no progress bars")
    t.set_defaults(handler=run)


def run(ns: argparse.Namespace) -> int:
    from benchmark.api import train

    cfg = collect(ns, TrainConfig)
    for objective in all_objectives():
        cfg.update(collect(ns, objective.options))
    plan = {"splits": TRAIN_ONLY.splits, **collect(ns, EvalPlan, prefix="eval-")}
    out = train(cfg, plan=plan, overwrite=ns.overwrite, progress=not ns.no_progress)
    print(f"run written to {out}")
    return 0
