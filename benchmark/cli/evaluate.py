"""`jepa-bench evaluate`: ask a model (a finished run's, or any model) on a task and score every metric."""
from __future__ import annotations

import argparse

from benchmark.cli.flags import add_flags, collect
from benchmark.evaluation.plan import EvalPlan, scoped_fields

HELP = "generate on task splits and score the outputs with every metric of the task"
EPILOG = """examples:
  jepa-bench evaluate --run runs/synth-jepa --splits test
  jepa-bench evaluate --model smollm2-135m-instruct --task gsm8k --limit 100
  jepa-bench evaluate --model M --task spider --spider-db-dir data/spider_db/spider_data/database

Each split goes to OUT/<split>/{predictions.jsonl,metrics.json}."""


def register(sub) -> None:
    e = sub.add_parser("evaluate", help=HELP, description=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    what = e.add_argument_group("what to evaluate: a finished run, or a model on a task")
    what.add_argument("--run", default=None, help="a run folder trained with --save-model (train or a sweep)")
    what.add_argument("--model", default=None, help="embedded name, local folder or hub id (without --run)")
    what.add_argument("--task", default=None, help="registered task (without --run); see `jepa-bench tasks`")
    what.add_argument("--data-dir", default=None, help="folder of the upstream JSONL files")
    what.add_argument("--val-fraction", type=float, default=None,
                      help="share of train carved as `val` (default: the run's setting, else 0)")
    what.add_argument("--plain", action="store_true", default=None, help="prompt without a chat template")
    what.add_argument("--out", default=None, help="output folder (default: RUN/eval, or runs/eval/<model>/<task>)")
    what.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_flags(e.add_argument_group("the evaluation plan (EvalPlan)"), EvalPlan, skip=scoped_fields("run"),
              aliases={"splits": ("--split",)})
    e.set_defaults(handler=run)


def run(ns: argparse.Namespace) -> int:
    from benchmark.api import evaluate
    from benchmark.evaluation.evaluate import format_summary

    done = evaluate(run=ns.run, model=ns.model, task=ns.task, plan=collect(ns, EvalPlan), data_dir=ns.data_dir,
                    val_fraction=ns.val_fraction, plain=ns.plain, out=ns.out,
                    progress=not ns.no_progress)
    for split, summary in done.items():
        print(format_summary(summary))
        print(f"predictions and metrics written to {summary['out']}")
    return 0
