"""`jepa-bench`: the command line, one module per command over the Python API (benchmark/api.py).

Owns argument parsing and the one-line errors. It imports `api` and every stage below it.

Every bad input ends in one line on stderr and exit code 2, before any model loads: the commands raise
the library's own error classes, and `main` turns each expected class into that line.
"""
from __future__ import annotations

import argparse
import re
import sys

from benchmark.cli import check, claims, data, demo, evaluate, export, migrate, predictions, preflight, report, \
    represent, select, sweep, tasks, train

COMMANDS = (train, evaluate, sweep, preflight, report, claims, select, check, represent, tasks, data, export,
            predictions, migrate, demo)
EPILOG = """start here:
  jepa-bench demo                 the main job on the embedded SmolLM2 (about 10 minutes on 2 CPU cores)
  jepa-bench tasks                the tasks and whether their data is present
  jepa-bench <command> --help     every command's flags, with defaults and examples"""


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("llm-jepa-bench")
    except PackageNotFoundError:
        import benchmark

        return benchmark.__version__


class Parser(argparse.ArgumentParser):
    """argparse with its refusals in one line (usage stays one `--help` away), exit code 2 as before."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # argparse reads `--lr -1e-5` as two options (its pattern knows -1 and -.5, not exponents), so the
        # range check that names the problem never ran: negative numbers in any notation are values here.
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|nan)$", re.I)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="jepa-bench", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
                                description="Reproducibility suite for LLM-JEPA (arXiv 2509.14252) and Semantic "
                                            "Tube Prediction (arXiv 2602.22617).")
    p.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    for command in sub.choices.values():  # every command that names a task can use tasks defined outside this package
        _add_include_path(command)
    return p


def _add_include_path(parser) -> None:
    parser.add_argument("--include-path", action="append", default=[], metavar="DIR",
                        help="import the task modules (*.py) of DIR, so tasks defined outside this package are "
                             "registered (repeatable; also $JEPA_BENCH_INCLUDE_PATH, or installed packages' "
                             "`jepa_bench.tasks` entry points)")
    for action in parser._subparsers._group_actions if parser._subparsers else ():  # `sweep plan`, `data fetch`, ...
        for child in getattr(action, "choices", {}).values():
            _add_include_path(child)


def expected_errors() -> tuple[type[BaseException], ...]:
    """The error classes a user's input can cause; anything else is a bug and keeps its traceback."""
    from benchmark.analysis.runs import ReportError
    from benchmark.data.fetch import FetchError
    from benchmark.store import StoreError
    from benchmark.training.models import ModelError
    from benchmark.training.options import ConfigError
    from benchmark.training.step import PackedHeadError
    from benchmark.training.trainer import TrainingDiverged
    from benchmark.training.views import TemplateError
    from tasks import DataError, UnknownNameError
    from tasks.base import ScoringSetupError
    from tasks.plugins import PluginError

    return (ConfigError, UnknownNameError, DataError, ModelError, TemplateError, FileExistsError,
            ScoringSetupError, StoreError, ReportError, FetchError, TrainingDiverged, PackedHeadError, PluginError)


def main(argv: list[str] | None = None) -> int:
    ns = build_parser().parse_args(argv)
    if getattr(ns, "include_path", None):
        from tasks.plugins import PluginError, add_include_paths

        try:
            add_include_paths(ns.include_path)
        except PluginError as e:
            print(f"jepa-bench: error: {e}", file=sys.stderr)
            return 2
    if getattr(ns, "no_progress", False):
        from benchmark.training.models import quiet_libraries

        quiet_libraries()
    try:
        return ns.handler(ns)
    except expected_errors() as e:
        print(f"jepa-bench: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("jepa-bench: interrupted; finished runs are kept, and the same command resumes (a run in progress "
              "from its last epoch checkpoint)", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `jepa-bench sweep plan SPEC | head`: the reader left; nothing is wrong
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
