"""`jepa-bench report RESULTS`: tables, figures and verdicts beside the paper's numbers."""
from __future__ import annotations

HELP = "tables, figures and verdicts beside the paper's numbers, from a results tree"
EPILOG = """example:
  jepa-bench report results/cpu-synth-smollm2 --out reports/cpu-synth-smollm2 --title "Reproduction 2"
Representation analyses appear when `jepa-bench represent RESULTS` has written them into the tree."""


def register(sub) -> None:
    import argparse

    r = sub.add_parser("report", help=HELP, description=HELP, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("results", help="a results tree (e.g. results/cpu-synth-smollm2)")
    r.add_argument("--out", default=None, help="report folder, replaced as a whole (default: reports/<results name>)")
    r.add_argument("--split", default="test", help="split whose final scores fill the tables (default: test)")
    r.add_argument("--title", default=None, help="the README's title (default: Report: RESULTS)")
    r.add_argument("--metric", default=None,
                   help="metric of the tables (default: the task's parity metric; prefix for --pretrain runs)")
    r.add_argument("--skip-broken", action="store_true",
                   help="leave out runs whose summary cannot be read (listed) instead of failing")
    r.set_defaults(handler=run)


def run(ns) -> int:
    from benchmark.api import report

    path = report(ns.results, out=ns.out, split=ns.split, title=ns.title, metric=ns.metric,
                  skip_broken=ns.skip_broken)
    print(f"report written to {path}")
    return 0
