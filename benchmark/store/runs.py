"""Runs in a results tree: an evaluation's files, whether a run is done, which runs are there, which are damaged
or in the old layout."""
from __future__ import annotations

import json
from pathlib import Path

from benchmark.store.files import StoreError, building, read_json, write_json_atomic, write_jsonl
from benchmark.store.names import EVAL_METRICS, LEGACY_SUMMARY, PARTIAL, PREDICTIONS, SUMMARY, CONFIG
from benchmark.store.schema import REQUIRED_SUMMARY_KEYS, SCHEMA_VERSION, RunSummary


def write_evaluation(out_dir: Path, records: list[dict], metrics: dict, *, keep_inputs: bool = False) -> Path:
    """One evaluation's predictions.jsonl and metrics.json, published together. Without keep_inputs the
    prompt and gold are dropped: results trees get committed, and the data must not be."""
    with building(Path(out_dir), replace=True) as work:
        write_jsonl(work / PREDICTIONS, records if keep_inputs else [without_inputs(r) for r in records])
        write_json_atomic(work / EVAL_METRICS, metrics)
    return Path(out_dir)


def without_inputs(record: dict) -> dict:
    """A predictions record minus the copies of the data (the rendered prompt and the gold answer)."""
    return {k: v for k, v in record.items() if k not in ("prompt", "gold")}


def read_summary(run_dir: Path, run_id: str | None = None) -> RunSummary | None:
    """The run's summary if it is complete and valid (and, given `run_id`, of that run), else None.
    A sweep names each run's folder by its id; `jepa-bench train --out DIR` lets the user name it."""
    try:
        summary = json.loads((Path(run_dir) / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(summary, dict) or summary.get("complete") is not True:
        return None
    if run_id is not None and summary.get("run_id") != run_id:
        return None
    if any(k not in summary for k in REQUIRED_SUMMARY_KEYS):
        return None
    return summary


def is_done(root: Path, run_id: str) -> bool:
    return read_summary(Path(root) / run_id, run_id) is not None


def run_dirs(root: Path) -> list[Path]:
    """Complete runs under a results tree (nested trees are searched too)."""
    root = Path(root)
    return sorted(p.parent for p in root.rglob(SUMMARY)
                  if not any(part.endswith(PARTIAL) for part in p.parts) and read_summary(p.parent) is not None)


def broken_runs(root: Path) -> list[tuple[Path, str]]:
    """Run directories under `root` that hold a summary.json which cannot be read as a complete run, or whose
    summary names an evaluation whose metrics.json is missing or damaged (a truncated copy must not be read as
    a run without a word)."""
    out = []
    for run in run_dirs(root):
        for ev in read_summary(run).get("evaluations", []):
            if "path" not in ev:
                continue
            metrics = run / ev["path"] / EVAL_METRICS
            try:
                if not isinstance(read_json(metrics), dict):
                    out.append((run, f"{ev['path']}/{EVAL_METRICS}: not a JSON object"))
            except StoreError as e:
                out.append((run, f"{ev['path']}/{EVAL_METRICS}: {e}"))
    for p in sorted(Path(root).rglob(SUMMARY)):
        if any(part.endswith(PARTIAL) for part in p.parts) or read_summary(p.parent) is not None:
            continue
        try:
            d = read_json(p)
            why = "incomplete (complete is not true)" if isinstance(d, dict) and d.get("complete") is not True \
                else "missing fields" if isinstance(d, dict) else "not a JSON object"
        except StoreError as e:
            why = str(e)
        out.append((p.parent, why))
    return out


def legacy_runs(root: Path) -> list[Path]:
    """Run directories of schema 1 (summary in metrics.json beside config.json) under `root`."""
    return sorted(p.parent for p in Path(root).rglob(LEGACY_SUMMARY)
                  if (p.parent / CONFIG).is_file() and not (p.parent / SUMMARY).is_file()
                  and not any(part.endswith(PARTIAL) for part in p.parts))


def outdated_runs(root: Path) -> list[Path]:
    """Run directories under `root`, finished or not, written by an older schema: schema 1 (see legacy_runs), or
    a config.json recording a schema below this version (their ids were hashed another way)."""
    old = set(legacy_runs(root))
    for p in Path(root).rglob(CONFIG):
        try:
            schema = json.loads(p.read_text(encoding="utf-8")).get("schema")
        except (OSError, ValueError, AttributeError):
            continue  # a damaged config is reported by broken_runs, not here
        if isinstance(schema, int) and not isinstance(schema, bool) and schema < SCHEMA_VERSION:
            old.add(p.parent)
    return sorted(old)


def check_schema(root: Path) -> None:
    """Refuse a tree written by an older schema, with the command that migrates it."""
    old = outdated_runs(root)
    if old:
        raise StoreError(f"{root} holds {len(old)} run(s) written by an older version of the results layout "
                         f"(schema below {SCHEMA_VERSION}, e.g. {old[0].name}): migrate it with "
                         f"`jepa-bench migrate {root}` (numbers unchanged; run ids rehashed)")
