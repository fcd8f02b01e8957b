"""The task contract and the registry.

A task is one dataset of the paper: where its rows live, how they are split, and (once
evaluators land) how outputs are scored. Each family of datasets is one small module in
this package that calls `register(...)`; importing `tasks` imports all of them, so the
registry never depends on which module a caller happened to import first.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Task:
    name: str  # registry key, used on the command line (`--task synth`)
    version: int  # bumped whenever prompts, views or scoring change; recorded in every result
    family: str  # module that defines it, for listings
    source: str  # where the upstream files come from
    license: str  # licence of the underlying dataset
    files: dict[str, str]  # split -> file name inside the data directory
    views: str = "messages"  # "messages": Text=[user], Code=[assistant]; "text_code": the row's own view fields
    notes: str = ""  # anything a user must know (e.g. a split that is not the official one)
    paper: dict[str, float] = field(default_factory=dict)  # the paper's headline numbers for this task


_REGISTRY: dict[str, Task] = {}


def register(task: Task) -> Task:
    """Add a task; a second task with the same name is a programming error, so it raises."""
    if task.name in _REGISTRY:
        raise ValueError(f"task {task.name!r} is registered twice ({_REGISTRY[task.name].family} and {task.family})")
    _REGISTRY[task.name] = task
    return task


class UnknownNameError(KeyError):
    """An unknown registry name; the message carries suggestions and the full list."""

    def __str__(self) -> str:  # KeyError would print the repr with quotes
        return str(self.args[0])


def did_you_mean(kind: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown {kind} {name!r}.{hint} Known {kind}s: {', '.join(sorted(known))}."


def get_task(name: str) -> Task:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(did_you_mean("task", name, list(_REGISTRY))) from None


def all_tasks() -> list[Task]:
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]
