"""`jepa-bench migrate RESULTS`: bring a results tree written by an older version to the current schema.

Schema 1 -> 2: the run summary moves from RUN/metrics.json (the name each evaluation's aggregate also had)
to RUN/summary.json; config.json and the summary gain `"schema": 2`; the recorded command becomes the one
the user typed (`jepa-bench ...`, paths relative to the working directory) instead of a machine's
absolute program path. Numbers are never touched: the migrated summary equals the old one key for key
apart from `schema`, which `migrate_tree` checks before it removes the old file. Idempotent.
"""
from __future__ import annotations

from pathlib import Path

from benchmark import store
from benchmark.store.provenance import command_as_typed
from benchmark.store.schema import SCHEMA_VERSION


def _with_schema(d: dict) -> dict:
    return {"schema": SCHEMA_VERSION, **{k: v for k, v in d.items() if k != "schema"}}


def _fix_command(d: dict) -> dict:
    if isinstance(d.get("command"), list):
        d = {**d, "command": command_as_typed(d["command"])}
    return d


def migrate_run(run_dir: Path) -> bool:
    """Migrate one run directory; False when it was already current."""
    run_dir = Path(run_dir)
    legacy, current = run_dir / store.LEGACY_SUMMARY, run_dir / store.SUMMARY
    changed = False
    config = store.read_json(run_dir / store.CONFIG)
    new_config = _fix_command(_with_schema(config))
    if new_config != config:
        store.write_json_atomic(run_dir / store.CONFIG, new_config)
        changed = True
    for path in sorted((run_dir / store.EPOCHS).glob(f"*/*/{store.EVAL_METRICS}")):
        metrics = store.read_json(path)
        fixed = _fix_command(metrics)
        if fixed != metrics:
            store.write_json_atomic(path, fixed)
            changed = True
    if legacy.is_file() and not current.is_file():
        old = store.read_json(legacy)
        new = _with_schema(old)
        store.write_json_atomic(current, new)
        back = store.read_json(current)
        if {k: v for k, v in back.items() if k != "schema"} != {k: v for k, v in old.items() if k != "schema"}:
            current.unlink()
            raise store.StoreError(f"{run_dir}: the migrated summary differs from the old one; nothing removed")
        changed = True
    if legacy.is_file() and current.is_file() and store.read_summary(run_dir) is not None \
            and (run_dir / store.CONFIG).is_file():
        legacy.unlink()  # the summary is safely in its new home
        changed = True
    return changed


def migrate_tree(root: Path, log=print) -> int:
    """Migrate every run under `root`; returns how many changed."""
    root = Path(root)
    if not root.is_dir():
        raise store.StoreError(f"results tree {root} does not exist")
    runs = sorted({p.parent for p in root.rglob(store.CONFIG)
                   if not any(part.endswith(store.PARTIAL) for part in p.parts)})
    changed = sum(migrate_run(r) for r in runs)
    log(f"{changed} of {len(runs)} run(s) under {root} migrated to schema {SCHEMA_VERSION}")
    return changed
