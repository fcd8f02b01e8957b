"""The results store: one immutable directory per run, named by the hash of its resolved settings.

    RESULTS/<run_id>/config.json        resolved train + eval settings, versions, git commit, task, hardware
    RESULTS/<run_id>/train_log.jsonl    one line per logged optimizer step
    RESULTS/<run_id>/epochs/epoch_<k>/<split>/{predictions.jsonl,metrics.json}
    RESULTS/<run_id>/metrics.json       the summary, written last

A run is built in RESULTS/<run_id>.partial/ and renamed when its summary is written, so a directory
without `.partial` is complete (HELM's `_is_run_completed`, made atomic). A run is done only when its
metrics.json parses and says `"complete": true` for this run id. Two sweep processes never build the same
run at once: each holds an exclusive `flock` on RESULTS/.locks/<run_id>.lock while building; the kernel
releases it when the process dies, even by SIGKILL, so a crashed run is simply built again.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

SUMMARY = "metrics.json"
PARTIAL = ".partial"


class StoreError(RuntimeError):
    """The results directory cannot be used (unwritable, full disk); the message says what to do."""


def _explain(e: OSError, path: Path) -> StoreError:
    if e.errno == errno.ENOSPC:
        return StoreError(f"no space left on the device holding {path}: free space or pass another --results; "
                          "finished runs are intact and the sweep resumes where it stopped")
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StoreError(f"cannot write to {path} ({os.strerror(e.errno)}): pass a writable --results directory")
    return StoreError(f"cannot write to {path}: {e}")


def check_writable(root: Path) -> None:
    """Fail before any training when the results directory cannot take files."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".probe-"):
            pass
    except OSError as e:
        raise _explain(e, root) from None


def write_json_atomic(path: Path, obj) -> None:
    """Write to a temporary file in the same folder, fsync, then rename: readers see all or nothing."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w") as f:
            f.write(json.dumps(obj, indent=2, sort_keys=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise _explain(e, path) from None


def read_summary(run_dir: Path) -> dict | None:
    """The run's summary if it is complete and valid, else None."""
    try:
        summary = json.loads((Path(run_dir) / SUMMARY).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(summary, dict) or summary.get("complete") is not True:
        return None
    if summary.get("run_id") != Path(run_dir).name:
        return None
    return summary


def is_done(root: Path, run_id: str) -> bool:
    return read_summary(Path(root) / run_id) is not None


@contextmanager
def run_lock(root: Path, run_id: str):
    """Yield True when this process holds the run's lock, False when another process builds it now."""
    locks = Path(root) / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    fd = os.open(locks / f"{run_id}.lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def fresh_partial(root: Path, run_id: str) -> Path:
    """An empty work directory for the run (a crashed attempt's leftovers are removed: we hold the lock)."""
    partial = Path(root) / (run_id + PARTIAL)
    try:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
    except OSError as e:
        raise _explain(e, partial) from None
    return partial


def publish(partial: Path, root: Path, run_id: str) -> Path:
    """Rename the finished work directory into place."""
    final = Path(root) / run_id
    try:
        if final.exists():  # an invalid leftover (done runs are skipped before building)
            shutil.rmtree(final)
        os.replace(partial, final)
    except OSError as e:
        raise _explain(e, final) from None
    return final


def run_dirs(root: Path) -> list[Path]:
    """Complete runs under a results tree (nested trees are searched too)."""
    root = Path(root)
    return sorted(p.parent for p in root.rglob(SUMMARY)
                  if not any(part.endswith(PARTIAL) for part in p.parts) and read_summary(p.parent) is not None)


def load_results(root: Path):
    """A pandas DataFrame with one row per (run, epoch, split, metric): the config fields as columns
    (prefixed `cfg.`), then epoch, split, metric, accuracy, correct, undecided, n and the run's
    FLOPs and tokens. The report and the regression check read only this."""
    import pandas as pd

    rows = []
    for run_dir in run_dirs(root):
        s = read_summary(run_dir)
        cfg = {f"cfg.{k}": (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in s["config"].items()}
        for ev in s.get("evaluations", []):
            for metric, m in ev["metrics"].items():
                rows.append({"run_id": s["run_id"], "run_dir": str(run_dir), **cfg,
                             "task_version": s["task"]["version"], "epoch": ev["epoch"], "step": ev["step"],
                             "flops": ev.get("flops"), "split": ev["split"], "metric": metric,
                             "main": metric == ev["main_metric"], "accuracy": m["accuracy"],
                             "correct": m["correct"], "undecided": m["undecided"], "n": ev["n"]})
    return pd.DataFrame(rows)
