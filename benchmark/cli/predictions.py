"""`jepa-bench predictions show|strip`: outputs beside their data; results trees without data copies."""
from __future__ import annotations

from pathlib import Path

HELP = "show predictions beside their data, or strip data copies from a tree"


def register(sub) -> None:
    p = sub.add_parser("predictions", help=HELP, description=HELP)
    psub = p.add_subparsers(dest="predictions_command", required=True)
    show = psub.add_parser("show", help="print each example's user message, gold, output and verdicts",
                           description="Print each example's user message, gold, output and verdicts.")
    show.add_argument("eval_dir", help="an evaluation folder, e.g. RESULTS/<run_id>/epochs/epoch_3/test")
    show.add_argument("--wrong", default=None, metavar="METRIC", help="only the examples this metric marks wrong")
    show.add_argument("--limit", type=int, default=None, help="at most this many examples")
    show.add_argument("--data-dir", default=None, help="folder of the upstream JSONL files")
    show.set_defaults(handler=run_show)
    strip = psub.add_parser("strip", help="remove prompts and golds from every predictions.jsonl under a folder",
                           description="Remove prompts and golds from every predictions.jsonl under a folder.")
    strip.add_argument("root", help="a results tree (or any folder above evaluation folders)")
    strip.add_argument("--data-dir", default=None, help="folder of the upstream JSONL files (checks each gold)")
    strip.set_defaults(handler=run_strip)


def run_show(ns) -> int:
    from benchmark.analysis.predictions import eval_source, join, load_examples, read_predictions, render
    from benchmark.store import StoreError
    from benchmark.training.config import ConfigError
    from tasks.registry import did_you_mean

    if ns.limit is not None and ns.limit < 1:
        raise ConfigError(f"--limit must be >= 1, got {ns.limit}")
    records = read_predictions(Path(ns.eval_dir))
    if ns.wrong is not None and records and ns.wrong not in records[0]["verdicts"]:
        raise StoreError(did_you_mean("metric", ns.wrong, sorted(records[0]["verdicts"])))
    pairs = join(records, load_examples(eval_source(Path(ns.eval_dir), ns.data_dir)))
    print(render(pairs, wrong=ns.wrong, limit=ns.limit))
    return 0


def run_strip(ns) -> int:
    from benchmark.analysis.predictions import strip_tree

    strip_tree(Path(ns.root), ns.data_dir)
    return 0
