"""Atomic files and directories: what is written is read back whole or not at all, and every failure of the
file system becomes a StoreError that says what to do."""
from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from benchmark.store.names import PARTIAL


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
