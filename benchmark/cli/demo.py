"""`jepa-bench demo` (`./dev demo`): the main job on the embedded default model.

Regular vs LLM-JEPA fine-tuning of SmolLM2-135M-Instruct on a subset of NL-RX-SYNTH, evaluated after
every epoch, ending in a rendered report. It is the sweep of configs/demo.yaml (see its header for every
deviation from the paper) followed by `jepa-bench report`. Interrupted, it resumes: finished runs are kept,
the unfinished one is rebuilt.
"""
from __future__ import annotations

import time
from pathlib import Path

HELP = "the main job: SmolLM2-135M-Instruct on NL-RX-SYNTH, regular vs LLM-JEPA, with its report"


def register(sub) -> None:
    p = sub.add_parser("demo", help=HELP, description=__doc__.split("\n\n")[1].replace("\n", " "))
    add_arguments(p)
    p.set_defaults(handler=run)


def add_arguments(p) -> None:
    p.add_argument("--spec", default="configs/demo.yaml", help="the sweep spec (default: %(default)s, shipped with the suite)")
    p.add_argument("--results", default=None, help="results tree (default: the spec's, runs/demo/results)")
    p.add_argument("--report", default="runs/demo/report", help="where the report is written (default: %(default)s)")
    p.add_argument("--data-url", default=None, help="where missing data files are fetched from (default: the "
                                                    "authors' repository at a pinned commit)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(ns) -> int:
    from benchmark.api import report, sweep
    from benchmark.data.fetch import BASE_URL, ensure_task_files
    from benchmark.runs.sweep import load_spec

    started = time.time()
    spec = load_spec(ns.spec, ns.results)  # every setting checked before anything runs
    for data_dir in sorted({r.train.data_dir or "" for r in spec.runs}):  # a fresh machine: get the data first
        ensure_task_files(sorted({r.train.task for r in spec.runs}), data_dir or None, base_url=ns.data_url or BASE_URL,
                          progress=not ns.no_progress)
    sweep(ns.spec, results=ns.results, progress=not ns.no_progress, log=lambda m: print(m, flush=True))
    readme = report(spec.results, out=ns.report, title="Demo: SmolLM2-135M-Instruct on NL-RX-SYNTH")
    print("\n" + (Path(ns.report) / "tables" / "comparison.md").read_text())
    print(f"demo finished in {(time.time() - started) / 60:.1f} min; report: {readme}")
    return 0
