"""`jepa-bench`: the command line. Every bad input ends in one line on stderr and exit code 2."""
from __future__ import annotations

import argparse
import dataclasses
import sys
import types
import typing

from benchmark.training.config import ConfigError, TrainConfig, field_help


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field (`limit_train` -> `--limit-train`), help = the field's reason."""
    helps = field_help()
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        tp = hints[f.name]
        args = typing.get_args(tp)
        if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
            tp = next(a for a in args if a is not type(None))
        kw = {"help": f"{helps.get(f.name, '')} (default: {f.default})", "default": argparse.SUPPRESS}
        if tp is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, **kw)
        elif typing.get_origin(tp) is typing.Literal:
            parser.add_argument(flag, choices=typing.get_args(tp), **kw)
        else:
            parser.add_argument(flag, type=tp, **kw)


def _add_evaluate_parser(sub) -> None:
    e = sub.add_parser("evaluate", help="generate on a task split and score it with every metric of the task",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    what = e.add_argument_group("what to evaluate: a finished run, or a model on a task")
    what.add_argument("--run", default=None, help="a run directory from `jepa-bench train --save-model`")
    what.add_argument("--model", default=None, help="embedded name, local folder or hub id (without --run)")
    what.add_argument("--task", default=None, help="registered task (without --run); see `jepa-bench tasks`")
    what.add_argument("--split", default="test", help="test, train, or val (with --val-fraction)")
    what.add_argument("--limit", type=int, default=None, help="first N examples of the split")
    what.add_argument("--data-dir", default=None, help="folder of the upstream JSONL files")
    what.add_argument("--val-fraction", type=float, default=None,
                      help="share of train carved as `val` (default: the run's setting, else 0)")
    what.add_argument("--plain", action="store_true", default=None, help="prompt without a chat template")
    how = e.add_argument_group("how")
    how.add_argument("--batch-size", type=int, default=16, help="generation batch (1 = the authors' procedure)")
    how.add_argument("--max-new-tokens", type=int, default=128, help="the authors' evaluate.py uses 128")
    how.add_argument("--bf16", action="store_true", help="autocast bf16 (faster; may differ from batch 1)")
    how.add_argument("--metrics", default=None, help="comma-separated subset of the task's metrics")
    how.add_argument("--spider-db-dir", default=None, help="Spider database/ folder (<db_id>/<db_id>.sqlite)")
    how.add_argument("--spider-keep-distinct", action="store_true",
                     help="keep DISTINCT in Spider execution accuracy (official --keep_distinct)")
    how.add_argument("--dfa-timeout", type=float, default=10.0, help="seconds per NL-RX equivalence check")
    how.add_argument("--sql-timeout", type=float, default=10.0, help="seconds per SQL query")
    how.add_argument("--out", default=None, help="output folder (default: RUN/eval/SPLIT or runs/eval/...)")
    how.add_argument("--keep-inputs", action="store_true",
                     help="also write each prompt and gold into predictions.jsonl (not for committed results)")
    how.add_argument("--no-progress", action="store_true", help="no progress bars")
    e.set_defaults(handler=cmd_evaluate)


def _evaluation_target(ns) -> dict:
    """Resolve --run or --model/--task into what to load and where to write."""
    import json
    from pathlib import Path

    if ns.run:
        if ns.model or ns.task:
            raise ConfigError("give either --run or --model with --task, not both")
        run = Path(ns.run)
        if not (run / "config.json").is_file():
            raise ConfigError(f"{run} is not a finished run (no config.json)")
        cfg = json.loads((run / "config.json").read_text())["config"]
        if not (run / "model").is_dir():
            raise ConfigError(f"run {run} saved no model: train with --save-model to evaluate it later")
        return {"model": str(run / "model"), "task": cfg["task"], "data_dir": ns.data_dir or cfg.get("data_dir"),
                "plain": cfg.get("plain", False) if ns.plain is None else ns.plain,
                "val_fraction": cfg.get("val_fraction", 0.0) if ns.val_fraction is None else ns.val_fraction,
                "out": Path(ns.out) if ns.out else run / "eval" / ns.split, "run": str(run)}
    if not (ns.model and ns.task):
        raise ConfigError("evaluate needs --run DIR, or --model NAME with --task TASK")
    safe = ns.model.strip("/").replace("/", "--")
    return {"model": ns.model, "task": ns.task, "data_dir": ns.data_dir, "plain": bool(ns.plain),
            "val_fraction": ns.val_fraction or 0.0,
            "out": Path(ns.out) if ns.out else Path("runs") / "eval" / safe / f"{ns.task}-{ns.split}", "run": None}


def cmd_evaluate(ns: argparse.Namespace) -> int:
    from pathlib import Path

    from benchmark.training.models import load_for_evaluation, resolve_model_source
    from tasks import get_task, load_split
    from tasks.base import ScoringContext

    target = _evaluation_target(ns)
    task = get_task(target["task"])
    examples = load_split(task, ns.split, target["data_dir"], ns.limit, val_fraction=target["val_fraction"])
    metrics = tuple(m.strip() for m in ns.metrics.split(",")) if ns.metrics else None
    for name in metrics or ():
        task.metric(name)
    ctx = ScoringContext(spider_db_dir=Path(ns.spider_db_dir) if ns.spider_db_dir else None,
                         dfa_timeout=ns.dfa_timeout, sql_timeout=ns.sql_timeout,
                         spider_keep_distinct=ns.spider_keep_distinct)
    task.check_context(examples, ctx)  # e.g. Spider databases: fail before loading the model
    if ns.batch_size < 1 or ns.max_new_tokens < 1:
        raise ConfigError("--batch-size and --max-new-tokens must be at least 1")
    resolve_model_source(target["model"])
    from benchmark.evaluation.evaluate import EvalSettings, evaluate, format_summary

    model, tok = load_for_evaluation(target["model"], plain=target["plain"])
    settings = EvalSettings(batch_size=ns.batch_size, max_new_tokens=ns.max_new_tokens, bf16=ns.bf16,
                            progress=not ns.no_progress, plain=target["plain"], keep_inputs=ns.keep_inputs)
    summary = evaluate(model, tok, task, examples, split=ns.split, ctx=ctx, settings=settings, metrics=metrics,
                       out_dir=target["out"], extra={"model": target["model"], "run": target["run"],
                                                     "limit": ns.limit, "val_fraction": target["val_fraction"]})
    print(format_summary(summary))
    print(f"predictions and metrics written to {target['out']}")
    return 0


def _extensions():
    """Sub-commands defined next to the code they drive (module.register_cli(subparsers))."""
    from benchmark.analysis import check
    from benchmark.data import fetch
    from benchmark.evaluation import lm_eval_export
    from benchmark.analysis import predictions
    from benchmark.analysis import report
    from benchmark.analysis import select
    from benchmark.runs import sweep

    return [fetch.register_cli, lm_eval_export.register_cli, sweep.register_cli, report.register_cli,
            select.register_cli, check.register_cli, predictions.register_cli]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jepa-bench", description="Reproducibility suite for LLM-JEPA (arXiv 2509.14252).")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="fine-tune one model on one task with one objective",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    _add_config_flags(t)
    t.add_argument("--overwrite", action="store_true", help="replace a non-empty --out directory")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(handler=cmd_train)
    ls = sub.add_parser("tasks", help="list the registered tasks and whether their data is present")
    ls.add_argument("--data-dir", default=None)
    ls.set_defaults(handler=cmd_tasks)
    _add_evaluate_parser(sub)
    for register_cli in _extensions():
        register_cli(sub)  # each adds its sub-command(s) with set_defaults(handler=...)
    return p


def cmd_train(ns: argparse.Namespace) -> int:
    from benchmark.training.prepare import train

    values = {k: v for k, v in vars(ns).items() if k not in ("command", "handler", "overwrite", "no_progress")}
    out = train(TrainConfig.from_dict(values), overwrite=ns.overwrite, progress=not ns.no_progress)
    print(f"run written to {out}")
    return 0


def _count_rows(path) -> int:
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def cmd_tasks(ns: argparse.Namespace) -> int:
    from tasks import all_tasks, resolve_data_dir

    root = resolve_data_dir(ns.data_dir)
    print(f"data directory: {root}{'' if root.is_dir() else '  (missing: jepa-bench data fetch, or --data-dir)'}")
    print(f"{'task':<16} {'ver':>3}  {'rows per split (- = file missing)':<30} {'metrics (main first, * = paper parity)':<40} notes")
    for t in all_tasks():
        sizes = ", ".join(f"{s} {_count_rows(root / f) if (root / f).is_file() else '-'}" for s, f in t.files.items())
        ordered = sorted(t.metrics, key=lambda m: m.name != t.main_metric)
        metrics = ", ".join(m.name + ("*" if m.parity else "") for m in ordered) or "(views only)"
        print(f"{t.name:<16} {t.version:>3}  {sizes:<30} {metrics:<40} {t.notes}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from benchmark.training.models import ModelError
    from benchmark.training.views import TemplateError
    from tasks import DataError, UnknownNameError
    from benchmark.analysis.report import ReportError
    from benchmark.store import StoreError
    from tasks.base import ScoringSetupError

    ns = build_parser().parse_args(argv)
    try:
        return ns.handler(ns)
    except (ConfigError, UnknownNameError, DataError, ModelError, TemplateError, FileExistsError,
            ScoringSetupError, StoreError, ReportError) as e:
        print(f"jepa-bench: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
