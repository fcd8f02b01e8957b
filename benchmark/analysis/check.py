"""`jepa-bench check`: has a change altered what a deterministic sweep measures?

CI runs the tiny sweep of configs/ci.yaml and compares it with the committed baseline (results/ci-baseline).
On CPU the same code gives the same numbers bit for bit (tests/test_sweep.py), so any difference beyond
the stated tolerances means the objective, the data path, generation or a scorer changed. Compared per
run (by run id, i.e. the same resolved config): every evaluation's accuracy per metric, the final logged
losses, the number of optimizer steps, the tokens forwarded, and a digest of the generated outputs.
An accuracy that drops is a regression; any other difference is a change. Both fail the check unless
`--allow-changes` (use it when a change is intended, then commit the new baseline).
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from benchmark import store
from benchmark.training.objectives import DIAGNOSTIC_KEY, log_keys

ACCURACY_TOLERANCE = 1e-9  # accuracies are counts over a fixed n: any difference is real
LOSS_TOLERANCE = 1e-4  # relative; logged losses are sums of float32 terms (order of summation may vary)
LOSS_KEYS = ("loss", "lm_loss", "cosine", DIAGNOSTIC_KEY)  # plus every objective's own term (log_keys())


@dataclass(frozen=True)
class Difference:
    run_id: str
    what: str
    baseline: object
    current: object
    kind: str  # "regression" | "change" | "missing" | "new"


def _outputs_digest(run_dir: Path) -> str:
    """A digest of every generated output (not prompts or provenance): catches generation changes."""
    h = hashlib.sha256()
    for path in sorted(run_dir.rglob(store.PREDICTIONS)):
        h.update(str(path.relative_to(run_dir)).encode())
        for line in path.read_text().splitlines():
            h.update(json.dumps(json.loads(line)["output"]).encode())
    return h.hexdigest()[:16]


def _measures(run_dir: Path) -> dict[str, object]:
    s = store.read_summary(run_dir)
    out: dict[str, object] = {"optimizer_steps": s["optimizer_steps"], "tokens_processed": s["tokens_processed"],
                              "outputs": _outputs_digest(run_dir)}
    for ev in s["evaluations"]:
        for metric, m in ev["metrics"].items():
            out[f"epoch {ev['epoch']:g} {ev['split']} {metric}"] = m["accuracy"]
    for key in LOSS_KEYS + log_keys():
        if s.get("last_log") and key in s["last_log"]:
            out[f"final {key}"] = s["last_log"][key]
    return out


def _compare(run_id: str, what: str, a, b) -> Difference | None:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return Difference(run_id, what, a, b, "change")
        if what.startswith("final "):
            if math.isclose(a, b, rel_tol=LOSS_TOLERANCE, abs_tol=1e-7):
                return None
            return Difference(run_id, what, a, b, "change")
        if abs(a - b) <= ACCURACY_TOLERANCE:
            return None
        return Difference(run_id, what, a, b, "regression" if b < a else "change")
    return None if a == b else Difference(run_id, what, a, b, "change")


def compare(baseline: Path, results: Path) -> tuple[list[Difference], int]:
    """Differences between two results trees, and the number of runs compared."""
    for root, what in ((baseline, "baseline"), (results, "results tree")):
        if not Path(root).is_dir():
            raise store.StoreError(f"the {what} {root} does not exist")
        store.check_schema(root)
        broken = store.broken_runs(root)
        if broken:
            raise store.StoreError(f"{len(broken)} damaged file(s) in the {what} {root}: "
                                   + "; ".join(f"{p}: {why}" for p, why in broken) + ": repair or remove those runs")
    base = {store.read_summary(p)["run_id"]: p for p in store.run_dirs(baseline)}
    cur = {store.read_summary(p)["run_id"]: p for p in store.run_dirs(results)}
    if not base:
        raise store.StoreError(f"no complete runs under the baseline {baseline}")
    diffs = [Difference(r, "run", "present", "missing", "missing") for r in sorted(set(base) - set(cur))]
    diffs += [Difference(r, "run", "absent", "present", "new") for r in sorted(set(cur) - set(base))]
    for run_id in sorted(set(base) & set(cur)):
        a, b = _measures(base[run_id]), _measures(cur[run_id])
        for what in sorted(set(a) | set(b)):
            d = _compare(run_id, what, a.get(what), b.get(what))
            if d:
                diffs.append(d)
    return diffs, len(set(base) & set(cur))


def format_report(diffs: list[Difference], n_compared: int) -> str:
    if not diffs:
        return (f"check passed: {n_compared} runs, every measure identical within tolerance "
                f"(accuracy {ACCURACY_TOLERANCE:g}, losses {LOSS_TOLERANCE:g} relative)")
    lines = [f"check: {len(diffs)} difference(s) over {n_compared} compared runs",
             f"{'kind':<10} {'run':<12}  {'measure':<34} {'baseline':>14} {'current':>14}"]
    def fmt(v) -> str:
        return f"{v:.6g}" if isinstance(v, float) else str(v)

    for d in diffs:
        lines.append(f"{d.kind:<10} {d.run_id:<12}  {d.what:<34} {fmt(d.baseline):>14} {fmt(d.current):>14}")
    return "\n".join(lines)
