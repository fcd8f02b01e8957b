"""Is a finished run still the run its spec asks for? A run records its task's version and the sha256 of every
data file it read; when the task has changed since (its version bumped) or a file was regenerated, the run's id
(a hash of the settings) is the same but its results are another task's or other data's. `sweep plan` shows such
a run as stale, and `sweep run` refuses to go on until it is removed (it is then rebuilt) or accepted
(`--accept-stale`). Runs older than the data hashes record only their task version: that alone is checked.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from benchmark import store
from benchmark.runs.spec import RunSpec


@lru_cache(maxsize=256)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """A file's sha256, computed once per (path, size, modification time) in a process."""
    st = Path(path).stat()
    return _sha256(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


def data_files(spec: RunSpec) -> dict[str, Path]:
    """The data files a run reads: its task's train file and the files of its evaluated splits."""
    from tasks import get_task, task_data_dir

    cfg = spec.train.resolved()
    task = get_task(cfg.task)
    folder = task_data_dir(task, cfg.data_dir)
    splits = {"train"} | {"train" if s == "val" else s for s in spec.eval.all_splits()}
    return {task.files[s]: folder / task.files[s] for s in sorted(splits) if s in task.files}


def data_hashes(spec: RunSpec) -> dict[str, str]:
    """{file name: sha256} of the data files a run reads (what its config.json records)."""
    return {name: file_sha256(path) for name, path in data_files(spec).items() if path.is_file()}


def stale_reason(spec: RunSpec, results: Path) -> str | None:
    """Why the finished run of `spec` under `results` no longer answers it (None: it does, or it is not done)."""
    from tasks import get_task

    summary = store.read_summary(Path(results) / spec.run_id, spec.run_id)
    if summary is None:
        return None
    task = get_task(spec.train.resolved().task)
    recorded = summary.get("task", {})
    if recorded.get("version") != task.version:
        return f"made with {task.name} v{recorded.get('version')}, the task is now v{task.version}"
    for name, digest in (recorded.get("sha256") or {}).items():
        path = data_files(spec).get(name)
        if path is not None and path.is_file() and file_sha256(path) != digest:
            return f"{name} has changed since the run read it (sha256 {digest[:12]}…, now {file_sha256(path)[:12]}…)"
    return None


def stale_runs(specs, results: Path) -> dict[str, str]:
    """{run id: reason} of the finished runs among `specs` that are stale."""
    return {s.run_id: why for s in specs if (why := stale_reason(s, results))}
