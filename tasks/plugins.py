"""Tasks from outside this package: an installed package's entry points, or the modules of a folder.

* Entry points: a package that declares `[project.entry-points."jepa_bench.tasks"] name = "module"` has that
  module imported when `tasks` is, so its `register(Task(...))` calls run.
* Include paths: `--include-path DIR` on any command (as lm-eval's), `include_path:` in a sweep spec, or
  $JEPA_BENCH_INCLUDE_PATH (folders separated by the path separator) imports every `*.py` file of each folder.
  The commands export the variable, so the processes a run starts (torchrun, workers, SLURM jobs) see the
  same tasks.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

ENTRY_POINT_GROUP = "jepa_bench.tasks"
INCLUDE_ENV = "JEPA_BENCH_INCLUDE_PATH"
_LOADED: set[str] = set()  # files (and entry points) already imported: a task registers once


class PluginError(ValueError):
    """An include path or entry point that cannot be loaded; the message names it."""


def load_entry_points() -> None:
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        key = f"entry point {ep.name} = {ep.value}"
        if key in _LOADED:
            continue
        _LOADED.add(key)
        try:
            ep.load()
        except Exception as e:  # noqa: BLE001 -- named, not swallowed
            raise PluginError(f"{key} ({ENTRY_POINT_GROUP}) cannot be loaded: {type(e).__name__}: {e}") from e


def include(paths) -> list[Path]:
    """Import every `*.py` module of each folder in `paths` (once each); returns the files imported now."""
    done = []
    for folder in paths:
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            raise PluginError(f"include path {folder} is not a folder of task modules")
        for file in sorted(folder.glob("*.py")):
            key = str(file.resolve())
            if key in _LOADED:
                continue
            _LOADED.add(key)
            name = f"jepa_bench_tasks_{file.stem}_{abs(hash(key)) % 10**8}"
            spec = importlib.util.spec_from_file_location(name, file)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except Exception as e:  # noqa: BLE001 -- a broken task module is the user's input: say which
                raise PluginError(f"task module {file} cannot be imported: {type(e).__name__}: {e}") from e
            done.append(file)
    return done


def env_paths() -> list[str]:
    return [p for p in os.environ.get(INCLUDE_ENV, "").split(os.pathsep) if p]


def add_include_paths(paths) -> None:
    """Import the task modules of `paths` and export them for the processes this one starts."""
    paths = [str(Path(p).expanduser().resolve()) for p in paths]
    include(paths)
    os.environ[INCLUDE_ENV] = os.pathsep.join(dict.fromkeys(env_paths() + paths))
