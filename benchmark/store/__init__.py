"""The results store: the one owner of a results tree's file names, schemas and atomic writes.

    RESULTS/<run_id>/config.json        resolved train config + evaluation plan, versions, git commit, task
    RESULTS/<run_id>/train_log.jsonl    one line per logged optimizer step
    RESULTS/<run_id>/epochs/epoch_<k>/<split>/{predictions.jsonl,metrics.json}   each evaluation
    RESULTS/<run_id>/summary.json       the run summary, written last
    RESULTS/analysis/...                analyses of the tree's saved models (representations)

Every directory is built as `<name>.partial/` and renamed when complete (`building`), so a directory
without `.partial` is whole (HELM's `_is_run_completed`, made atomic). A run is done only when its
summary.json parses, says `"complete": true` and names this run. Two processes never build the same run
at once: each holds an exclusive `flock` on RESULTS/.locks/<run_id>.lock while building; the kernel
releases it when the process dies, even by SIGKILL, so a crashed run is simply built again.

It owns the file names, the typed schemas (schema.py), atomic directories, locks and provenance; it imports
nothing else of `benchmark` (only `tasks` may sit below it), so every stage can write through it.
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

from benchmark.store.schema import REQUIRED_SUMMARY_KEYS, SCHEMA_VERSION, RunSummary

CONFIG = "config.json"
TRAIN_LOG = "train_log.jsonl"
SUMMARY = "summary.json"
EVAL_METRICS = "metrics.json"  # one evaluation's aggregate
PREDICTIONS = "predictions.jsonl"
EPOCHS = "epochs"
MODEL = "model"
ANALYSIS = "analysis"
LOCKS = ".locks"
PARTIAL = ".partial"
LEGACY_SUMMARY = "metrics.json"  # schema 1 kept the run summary under the evaluation file's name

__all__ = ["CONFIG", "TRAIN_LOG", "SUMMARY", "EVAL_METRICS", "PREDICTIONS", "EPOCHS", "MODEL", "ANALYSIS",
           "SCHEMA_VERSION", "StoreError", "building", "check_writable", "check_creatable", "write_json_atomic",
           "write_jsonl_atomic",
           "write_evaluation", "read_json", "read_summary", "is_done", "run_lock", "run_dirs", "eval_dir",
           "epoch_label", "legacy_runs"]


class StoreError(RuntimeError):
    """The results directory cannot be used (unwritable, full disk, old layout); the message says what to do."""


def _explain(e: OSError, path: Path) -> StoreError:
    if e.errno == errno.ENOSPC:
        return StoreError(f"no space left on the device holding {path}: free space or pass another --results; "
                          "finished runs are intact and the sweep resumes where it stopped")
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StoreError(f"cannot write to {path} ({os.strerror(e.errno)}): pass a writable directory")
    if e.errno in (errno.ENOTDIR, errno.EEXIST):
        return StoreError(f"cannot create {path}: a file is in the way ({os.strerror(e.errno)}); choose another path")
    return StoreError(f"cannot write to {path}: {e}")


# ----------------------------------------------------------------------------- names
def epoch_label(epoch: float) -> str:
    return f"epoch_{epoch:g}"


def eval_dir(run_dir: Path, epoch: float, split: str) -> Path:
    """Where one evaluation of a run lives: RUN/epochs/epoch_<k>/<split>."""
    return Path(run_dir) / EPOCHS / epoch_label(epoch) / split


# ----------------------------------------------------------------------------- writing
def check_writable(root: Path) -> None:
    """Fail before any work when a directory cannot take files (created if missing)."""
    try:
        Path(root).mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".probe-"):
            pass
    except OSError as e:
        raise _explain(e, Path(root)) from None


def check_creatable(path: Path, *, overwrite: bool = False, what: str = "output directory") -> Path:
    """Fail before any work when `path` could not be built as a directory: it exists and is not empty
    (without overwrite), it is a file, or its parent cannot take files. Creates nothing but the parent."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise StoreError(f"{what} {path} is a file: choose another path")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise FileExistsError(f"{what} {path} exists and is not empty: pass --overwrite or choose another path")
    parent = path.parent
    for p in [parent, *parent.parents]:
        if p.exists():
            if not p.is_dir():
                raise StoreError(f"cannot create {what} {path}: {p} is a file")
            break
    check_writable(parent)
    return path


def write_json_atomic(path: Path, obj) -> None:
    """Write to a temporary file in the same folder, fsync, then rename: readers see all or nothing."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            f.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise _explain(e, path) from None


def jsonl_line(record) -> str:
    """One JSON line, with every "/" written as JSON's own escape "\\/" (it reads back identical). These files
    hold a model's generated text, which can look like a machine path (SmolLM2 answered an NQ-Open question
    with "/home/user/data"); escaped, a committed results tree holds no text a path check has to tell from one
    the suite wrote."""
    return json.dumps(record, ensure_ascii=False).replace("/", "\\/")  # "/" occurs only inside JSON strings


def write_jsonl(path: Path, records) -> None:
    with Path(path).open("w", encoding="utf-8") as f:
        for r in records:
            f.write(jsonl_line(r) + "\n")


def write_jsonl_atomic(path: Path, records) -> None:
    """A .jsonl file replaced all at once (temporary file in the same folder, then rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write_jsonl(tmp, records)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise _explain(e, path) from None


@contextmanager
def building(final: Path, *, replace: bool = False, keep_on_error: bool = False, shared: bool = False,
             keep_partial: bool = False, keep_on_interrupt: bool = False):
    """Build a directory atomically: yield an empty `<final>.partial/`, rename it to `final` on success.

    replace: an existing `final` is replaced (callers check first whether that is allowed). On an
    exception the work directory is removed, unless `keep_on_error` (a run's lock holder decides later).
    shared: several processes may build the same folder at once (a cache): each works in its own
    `<final>.partial-<pid>/`, the first to finish publishes, the others discard their copy.
    keep_partial: continue in an existing work directory (a killed run resuming from its checkpoint);
    keep_on_interrupt: leave the work directory on Ctrl-C, so that the run can resume from it.
    """
    final = Path(final)
    partial = final.with_name(final.name + PARTIAL + (f"-{os.getpid()}" if shared else ""))
    try:
        if not (keep_partial and partial.is_dir()):
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
    except OSError as e:
        raise _explain(e, partial) from None
    try:
        yield partial
    except BaseException as e:
        if not (keep_on_error or (keep_on_interrupt and isinstance(e, KeyboardInterrupt))):
            shutil.rmtree(partial, ignore_errors=True)
        raise
    if shared and final.exists():  # another process finished first: its copy is as good as ours
        shutil.rmtree(partial, ignore_errors=True)
        return
    try:
        publish(partial, final, replace=replace)
    except StoreError:
        if not shared:
            raise
        shutil.rmtree(partial, ignore_errors=True)  # lost the race between the check and the rename


def publish(partial: Path, final: Path, *, replace: bool = True) -> Path:
    """Rename a finished work directory into place."""
    try:
        if final.exists():
            if not replace:
                raise FileExistsError(f"{final} appeared while it was being built; nothing was replaced")
            shutil.rmtree(final) if final.is_dir() else final.unlink()
        os.replace(partial, final)
    except OSError as e:
        raise _explain(e, final) from None
    return final


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


# ----------------------------------------------------------------------------- reading
def read_json(path: Path):
    """A JSON file's content, or a StoreError naming the file and what is wrong with it."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"{path} does not exist") from None
    except UnicodeDecodeError as e:
        raise StoreError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise StoreError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except OSError as e:
        raise StoreError(f"{path}: cannot read ({e.strerror})") from None


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


def check_schema(root: Path) -> None:
    """Refuse a tree written in the old layout, with the command that migrates it."""
    old = legacy_runs(root)
    if old:
        raise StoreError(f"{root} holds {len(old)} run(s) in the layout of schema 1 (run summary in metrics.json): "
                         f"migrate it with `jepa-bench migrate {root}`")


# ----------------------------------------------------------------------------- locks
@contextmanager
def run_lock(root: Path, run_id: str):
    """Yield True when this process holds the run's lock, False when another process builds it now."""
    locks = Path(root) / LOCKS
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
