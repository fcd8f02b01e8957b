"""The share of a run's wall time spent evaluating, from committed results trees (summary.json: the seconds of
each per-epoch evaluation against the run's wall seconds).

    python benchmarks/eval_share.py [results/TREE ...]      (default: every tree under results/)

Evaluation runs on rank 0 only while the other ranks wait (README, multi-GPU notes): this is the share of a
run that a multi-GPU launch would leave the other GPUs idle for, as measured on this project's CPU runs.
"""
from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def shares(tree: Path) -> list[float]:
    out = []
    for summary in sorted(tree.glob("*/summary.json")):
        s = json.loads(summary.read_text())
        wall = s.get("wall_seconds")
        evals = sum(e.get("seconds", 0.0) for e in s.get("evaluations", []))
        if wall:
            out.append(evals / wall)
    return out


def main(argv: list[str]) -> int:
    trees = [Path(a) for a in argv] or sorted(p for p in Path("results").iterdir() if p.is_dir())
    print(f"{'results tree':45s} {'runs':>5s} {'median':>8s} {'min':>7s} {'max':>7s}  (evaluation share of wall time)")
    for tree in trees:
        got = shares(tree)
        if got:
            print(f"{tree.name:45s} {len(got):5d} {statistics.median(got):8.1%} {min(got):7.1%} {max(got):7.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
