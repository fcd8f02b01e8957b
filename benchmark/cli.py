"""`jepa-bench`: the command line. Every bad input ends in one line on stderr and exit code 2."""
from __future__ import annotations

import argparse
import dataclasses
import sys
import types
import typing

from benchmark.config import ConfigError, TrainConfig, field_help


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


def _extensions():
    """Sub-commands defined next to the code they drive (module.register_cli(subparsers))."""
    from benchmark import fetch

    return [fetch.register_cli]


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
    for register_cli in _extensions():
        register_cli(sub)  # each adds its sub-command(s) with set_defaults(handler=...)
    return p


def cmd_train(ns: argparse.Namespace) -> int:
    from benchmark.train import train

    values = {k: v for k, v in vars(ns).items() if k not in ("command", "handler", "overwrite", "no_progress")}
    out = train(TrainConfig.from_dict(values), overwrite=ns.overwrite, progress=not ns.no_progress)
    print(f"run written to {out}")
    return 0


def cmd_tasks(ns: argparse.Namespace) -> int:
    from tasks import all_tasks, resolve_data_dir

    root = resolve_data_dir(ns.data_dir)
    print(f"{'task':<16} {'ver':>3}  {'splits':<12} {'data in ' + str(root):<28} notes")
    for t in all_tasks():
        present = ", ".join(s for s, f in t.files.items() if (root / f).is_file()) or "missing"
        print(f"{t.name:<16} {t.version:>3}  {','.join(t.files):<12} {present:<28} {t.notes}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from benchmark.models import ModelError
    from benchmark.views import TemplateError
    from tasks import DataError, UnknownNameError

    ns = build_parser().parse_args(argv)
    try:
        return ns.handler(ns)
    except (ConfigError, UnknownNameError, DataError, ModelError, TemplateError, FileExistsError) as e:
        print(f"jepa-bench: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
