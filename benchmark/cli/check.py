"""`jepa-bench check`: has a change altered what a deterministic sweep measures? Exit 1 on a difference."""
from __future__ import annotations

from pathlib import Path

HELP = "compare a fresh sweep with a committed baseline; exit 1 on a change"


def register(sub) -> None:
    c = sub.add_parser("check", help=HELP, description=HELP,
                       epilog="example: jepa-bench sweep run configs/ci.yaml --results /tmp/ci && "
                              "jepa-bench check --baseline results/ci-baseline --results /tmp/ci")
    c.add_argument("--baseline", required=True, help="the committed results tree, e.g. results/ci-baseline")
    c.add_argument("--results", required=True, help="the fresh results tree of the same sweep spec")
    c.add_argument("--allow-changes", action="store_true", help="report differences but exit 0")
    c.set_defaults(handler=run)


def run(ns) -> int:
    from benchmark.analysis.check import compare, format_report

    diffs, n = compare(Path(ns.baseline), Path(ns.results))
    print(format_report(diffs, n))
    if diffs and not ns.allow_changes:
        print("if the change is intended, rebuild the baseline: "
              f"jepa-bench sweep run configs/ci.yaml --results {ns.baseline}  (after removing it)")
        return 1
    return 0
