"""The main job on the embedded default: regular vs LLM-JEPA fine-tuning of SmolLM2-135M-Instruct on a
subset of NL-RX-SYNTH, evaluated after every epoch, ending in a rendered report.

    python -m benchmark.cli.demo [--spec configs/demo.yaml] [--results DIR] [--report DIR]

It is the sweep of configs/demo.yaml (see its header for every deviation from the paper) followed by
`jepa-bench report`. Interrupted, it resumes: finished runs are kept, the unfinished one is rebuilt.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmark.cli.demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--spec", default=str(ROOT / "configs" / "demo.yaml"))
    p.add_argument("--results", default=None, help="results tree (default: the spec's, runs/demo/results)")
    p.add_argument("--report", default="runs/demo/report", help="where the report is written")
    p.add_argument("--no-progress", action="store_true")
    ns = p.parse_args(argv)

    from benchmark.cli import main as cli_main

    started = time.time()
    args = ["sweep", "run", ns.spec] + (["--results", ns.results] if ns.results else [])
    rc = cli_main(args + (["--no-progress"] if ns.no_progress else []))
    if rc:
        return rc
    from benchmark.runs.sweep import load_spec

    results = load_spec(ns.spec, ns.results).results
    rc = cli_main(["report", str(results), "--out", ns.report, "--title", "Demo: SmolLM2-135M-Instruct on NL-RX-SYNTH"])
    if rc:
        return rc
    table = (Path(ns.report) / "tables" / "comparison.md").read_text()
    print("\n" + table)
    print(f"demo finished in {(time.time() - started) / 60:.1f} min; report: {Path(ns.report) / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
