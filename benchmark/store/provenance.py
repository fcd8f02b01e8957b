"""What a result must record to be reproduced: library versions, git commit, hardware, time."""
from __future__ import annotations

import datetime as _dt
import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path

LIBRARIES = ("llm-jepa-bench", "torch", "transformers", "tokenizers", "peft", "accelerate", "datasets", "numpy")


def library_versions() -> dict[str, str | None]:
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit(repo: Path | None = None) -> dict[str, object]:
    """HEAD of the checkout this package runs from, and whether it had uncommitted changes."""
    repo = repo or Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": None, "dirty": None}
    if head.returncode != 0:
        return {"commit": None, "dirty": None}
    return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def hardware() -> dict[str, object]:
    import torch

    info = {"platform": platform.platform(), "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.is_available()}
    if torch.cuda.is_available():
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return info


def provenance() -> dict[str, object]:
    return {"versions": library_versions(), "git": git_commit(), "hardware": hardware(),
            "command": sys.argv, "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
