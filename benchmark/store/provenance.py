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


def work_tree_of(path: str | Path) -> Path | None:
    """The git working tree holding `path` (or its nearest existing parent), or None outside any."""
    probe = Path(path).resolve()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.is_file():
        probe = probe.parent
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=probe, capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(top.stdout.strip()).resolve() if top.returncode == 0 and top.stdout.strip() else None


def spec_outside_results_tree(spec: str | Path, results: str | Path) -> str | None:
    """A warning when a sweep writes into a git working tree from a spec that lies outside it: every run
    then records a command naming this machine's path to the spec, which no clone of the repository can
    rerun (the runs stay valid: config.json holds each run's resolved config). None when all is well."""
    tree = work_tree_of(results)
    if tree is None:
        return None
    spec_path = Path(spec).resolve()
    try:
        spec_path.relative_to(tree)
    except ValueError:
        return (f"warning: the spec {spec} lies outside the repository at {tree} that the results are written "
                f"into, so each run records a command no clone can rerun; copy the spec under {tree}/configs/ "
                f"and run it from there")
    return None


def hardware() -> dict[str, object]:
    import torch

    info = {"platform": platform.platform(), "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.is_available()}
    if torch.cuda.is_available():
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return info


def _as_typed_path(arg: str, cwd: Path) -> str:
    """An absolute path as the user would type it: relative to the working directory when inside it,
    `~/...` when under the home directory, else unchanged."""
    p = Path(arg)
    if not p.is_absolute():
        return arg
    for base, shown in ((cwd, None), (Path.home(), "~")):
        try:
            rel = p.relative_to(base)
        except ValueError:
            continue
        return str(rel) if shown is None else f"{shown}/{rel}"
    return arg


def command_as_typed(argv: list[str], cwd: str | Path | None = None) -> list[str]:
    """The command line as the user typed it: `jepa-bench ...` for the entry point (however it was
    started), and no machine's absolute paths where a relative one says the same."""
    if not argv:
        return []
    cwd = Path(cwd or os.getcwd()).resolve()
    first = str(argv[0]).replace("\\", "/")
    if Path(first).name == "jepa-bench" or first.endswith(("benchmark/cli.py", "benchmark/cli/__main__.py")):
        head = "jepa-bench"
    else:
        head = _as_typed_path(first, cwd)
    return [head] + [_as_typed_path(str(a), cwd) for a in argv[1:]]


def provenance() -> dict[str, object]:
    return {"versions": library_versions(), "git": git_commit(), "hardware": hardware(),
            "command": command_as_typed(sys.argv),
            "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
