"""`jepa-bench migrate RESULTS...`: move results trees of an older layout to the current schema."""
from __future__ import annotations

HELP = ("migrate results trees written by an older version to the current layout and run ids (numbers unchanged; "
        "a sweep refuses an unmigrated tree)")


def register(sub) -> None:
    m = sub.add_parser("migrate", help=HELP, description=HELP)
    m.add_argument("results", nargs="+", help="results trees (e.g. results/ci-baseline)")
    m.set_defaults(handler=run)


def run(ns) -> int:
    from benchmark.runs.migrate import migrate_tree

    for root in ns.results:
        migrate_tree(root)
    return 0
