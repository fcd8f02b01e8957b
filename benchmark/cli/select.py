"""`jepa-bench select RESULTS`: choose a setting (λ, k, ...) on the validation split."""
from __future__ import annotations

from pathlib import Path

HELP = "rank the settings of a results tree on the validation split and name the best"


def register(sub) -> None:
    s = sub.add_parser("select", help=HELP, description=HELP)
    s.add_argument("results", help="a results tree whose runs were evaluated on `val` "
                                   "(e.g. results/cpu-synth-smollm2-select)")
    s.add_argument("--split", default="val", help="split to choose on (default: val; choosing on test is what the "
                                                  "paper did)")
    s.add_argument("--metric", default=None, help="metric to choose by (default: the task's parity metric)")
    s.add_argument("--out", default=None, help="also write the ranking and the choice to this JSON file")
    s.set_defaults(handler=run)


def run(ns) -> int:
    from benchmark import store
    from benchmark.analysis.runs import load_runs
    from benchmark.analysis.select import format_ranking, rank

    if ns.out:
        store.check_writable(Path(ns.out).parent)
    runs = load_runs(Path(ns.results), ns.metric)
    cands = rank(runs, ns.split, ns.metric)
    metric = ns.metric or runs[0].headline
    print(format_ranking(cands, ns.split, metric))
    if ns.out:
        store.write_json_atomic(Path(ns.out), {
            "results": str(ns.results), "split": ns.split, "metric": metric,
            "chosen": {"method": cands[0].method, **dict(cands[0].setting)},
            "ranking": [{"method": c.method, **dict(c.setting), "mean": c.mean,
                         "std": c.std if len(c.scores) > 1 else None, "scores": list(c.scores)}
                        for c in cands]})
    return 0
