"""`jepa-bench migrate RESULTS`: bring a results tree written by an older version to the current schema.

Schema 1 -> 2: the run summary moves from RUN/metrics.json (the name each evaluation's aggregate also had)
to RUN/summary.json; config.json and the summary gain `"schema"`; the recorded command becomes the one
the user typed (`jepa-bench ...`, paths relative to the working directory) instead of a machine's
absolute program path.

Schema 2 -> 3: a run's id hashes its numbers in canonical form (`epochs: 3` and `3.0` are one run), so every
id is recomputed from the run's recorded config; a folder named by its old id is renamed, and the old id is
replaced wherever the tree names it (config.json, summary.json, the tree's README and analyses). Unfinished
runs (`<id>.partial`) are renamed too, so a sweep resumes them. Two runs that turn out to be one setting stop
the migration before anything is changed.

Numbers are never touched: a migrated summary equals the old one key for key apart from `schema` and
`run_id`, which is checked before the old file is removed. Idempotent.
"""
from __future__ import annotations

from pathlib import Path

from benchmark import store
from benchmark.store.provenance import command_as_typed
from benchmark.store.schema import SCHEMA_VERSION

_RENAMED_KEYS = ("schema", "run_id")  # what a migration may change in a summary
_TEXT_SUFFIXES = (".json", ".md", ".csv", ".yaml", ".txt")  # the tree's own files that may name a run id


def _with_schema(d: dict) -> dict:
    return {"schema": SCHEMA_VERSION, **{k: v for k, v in d.items() if k != "schema"}}


def _fix_command(d: dict) -> dict:
    if isinstance(d.get("command"), list):
        d = {**d, "command": command_as_typed(d["command"])}
    return d


def _numbers(d: dict) -> dict:
    return {k: v for k, v in d.items() if k not in _RENAMED_KEYS}


def migrate_run(run_dir: Path) -> bool:
    """Migrate one run directory's files in place (schema 1 -> current); False when it was already current.
    Its id and folder name are `migrate_tree`'s business."""
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
        store.write_json_atomic(current, _with_schema(old))
        if _numbers(store.read_json(current)) != _numbers(old):
            current.unlink()
            raise store.StoreError(f"{run_dir}: the migrated summary differs from the old one; nothing removed")
        changed = True
    elif current.is_file():
        summary = store.read_json(current)
        if summary.get("schema") != SCHEMA_VERSION:
            store.write_json_atomic(current, _with_schema(summary))
            changed = True
    if legacy.is_file() and current.is_file() and store.read_summary(run_dir) is not None \
            and (run_dir / store.CONFIG).is_file():
        legacy.unlink()  # the summary is safely in its new home
        changed = True
    return changed


def recomputed_id(run_dir: Path) -> str:
    """The id today's code gives the config and evaluation plan a run recorded."""
    from benchmark.evaluation.plan import EvalPlan
    from benchmark.runs.spec import RunSpec
    from benchmark.training.config import TrainConfig

    record = store.read_json(Path(run_dir) / store.CONFIG)
    try:
        return RunSpec(TrainConfig.from_dict(record["config"]), EvalPlan.from_dict(record.get("eval"))).run_id
    except (KeyError, TypeError, ValueError) as e:
        raise store.StoreError(f"{run_dir}/{store.CONFIG}: its config cannot be read by this version ({e}); "
                               "nothing migrated") from None


def _renames(runs: list[Path]) -> dict[Path, tuple[str, str, Path]]:
    """run dir -> (old id, new id, new dir) for every run whose id changes; refuses collisions before any change."""
    plan, taken = {}, {}
    for run in runs:
        old = store.read_json(run / store.CONFIG).get("run_id")
        new = recomputed_id(run)
        partial = run.name.endswith(store.PARTIAL)
        named_by_id = run.name == (f"{old}{store.PARTIAL}" if partial else old)
        target = run.with_name(f"{new}{store.PARTIAL}" if partial else new) if named_by_id else run
        other = taken.setdefault((run.parent, new, partial), run)
        if other != run:
            raise store.StoreError(f"{other} and {run} are one setting under the current run ids ({new}): keep one "
                                   "of them (remove the other folder) and migrate again; nothing migrated")
        if old != new:
            if target != run and target.exists():
                raise store.StoreError(f"{run} would be renamed {target.name}, which exists: nothing migrated")
            plan[run] = (old, new, target)
    return plan


def _rewrite_ids(path: Path, ids: dict[str, str]) -> bool:
    text = path.read_text(encoding="utf-8")
    new = text
    for old, fresh in ids.items():
        new = new.replace(old, fresh)
    if new == text:
        return False
    tmp = path.with_name(path.name + ".migrating")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(path)
    return True


def _renumber(root: Path, runs: list[Path], plan: dict[Path, tuple[str, str, Path]]) -> None:
    """Give every run of `plan` its recomputed id (folder, config.json, summary.json) and rewrite the tree's other
    files that name an old id."""
    if not plan:
        return
    for run, (old, new, target) in plan.items():
        before = store.read_summary(run)
        for name in (store.CONFIG, store.SUMMARY):
            if (run / name).is_file():
                d = store.read_json(run / name)
                store.write_json_atomic(run / name, {**d, "run_id": new})
        if before is not None and _numbers(store.read_summary(run)) != _numbers(before):
            raise store.StoreError(f"{run}: the renumbered summary differs from the old one")
        if target != run:
            run.rename(target)
    ids = {old: new for old, new, _ in plan.values()}
    inside = {target for _, _, target in plan.values()} | set(runs)
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in _TEXT_SUFFIXES and not any(p in inside for p in path.parents) \
                and store.LOCKS not in path.parts:
            _rewrite_ids(path, ids)


def _is_run_record(path: Path) -> bool:
    """A run's config.json (a model's or a checkpoint's config.json is the model's own)."""
    try:
        d = store.read_json(path)
    except store.StoreError:
        return path.parent.name != store.MODEL  # a damaged run record stops the migration, naming it
    return isinstance(d, dict) and "run_id" in d and "config" in d


def _runs_under(root: Path) -> list[Path]:
    """Every run folder under `root`, finished or not: a run's config.json at its top (the shallowest first, so
    nothing inside a run is taken for one)."""
    runs: set[Path] = set()
    for path in sorted(root.rglob(store.CONFIG), key=lambda p: len(p.parts)):
        if not any(parent in runs for parent in path.parents) and _is_run_record(path):
            runs.add(path.parent)
    return sorted(runs)


def migrate_tree(root: Path, log=print) -> int:
    """Migrate every run under `root` (unfinished ones included); returns how many changed."""
    root = Path(root)
    if not root.is_dir():
        raise store.StoreError(f"results tree {root} does not exist")
    runs = _runs_under(root)
    plan = _renames(runs)  # a collision stops everything before any file is touched
    changed = {r for r in runs if migrate_run(r)} | set(plan)
    _renumber(root, runs, plan)
    log(f"{len(changed)} of {len(runs)} run(s) under {root} migrated to schema {SCHEMA_VERSION}"
        + (f" ({len(plan)} with a new run id)" if plan else ""))
    return len(changed)
