"""Wall time of the main job (`./dev demo`) from scratch, for the performance report.

    python benchmarks/demo_wall.py --json reports/performance/run1/demo.json [--work DIR]

Runs `jepa-bench demo` into a fresh results tree (a temporary folder unless --work is given,
so the committed or cached demo tree is never resumed), then records the whole wall time, each run's
own wall time (training plus its per-epoch evaluations, from its metrics.json) and its final score, so
that repeated runs also show whether the demo gives the same numbers every time.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmark import store  # noqa: E402
from benchmark.cli import main as cli_main  # noqa: E402


def demo_record(results: Path, wall_seconds: float) -> dict:
    """What one demo left in its results tree, keyed by objective."""
    runs = {}
    for run_dir in store.run_dirs(results):
        summary = store.read_summary(run_dir)
        final = summary["final"].get("test", {})
        runs[summary["config"]["objective"]] = {
            "run_id": summary["run_id"], "wall_seconds": summary["wall_seconds"],
            "optimizer_steps": summary["optimizer_steps"], "main_metric": final.get("main_metric"),
            "score": final.get("accuracy"),
        }
    return {"wall_seconds": round(wall_seconds, 1), "runs": runs}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", required=True, help="where the record is written")
    ap.add_argument("--work", default=None, help="folder for the demo's results and report (default: temporary)")
    ns = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="demo-wall-") as tmp:
        work = Path(ns.work or tmp)
        started = time.time()
        rc = cli_main(["demo", "--results", str(work / "results"), "--report", str(work / "report"), "--no-progress"])
        wall = time.time() - started
        if rc:
            print(f"error: the demo exited with {rc}; nothing recorded", file=sys.stderr)
            return rc
        record = demo_record(work / "results", wall)
    Path(ns.json).parent.mkdir(parents=True, exist_ok=True)
    Path(ns.json).write_text(json.dumps(record, indent=1) + "\n")
    print(f"demo wall time {wall / 60:.1f} min -> {ns.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
