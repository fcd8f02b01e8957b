"""One builder per run: an exclusive flock per run id, released by the kernel when its process dies."""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from benchmark.store.names import LOCKS


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
