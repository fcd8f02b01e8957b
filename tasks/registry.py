"""One registry for every kind of named record: tasks, objectives, comparisons. A name is added once (a second
record of the same name is a programming error), and an unknown name fails with the closest known ones.

It sits in the lowest package, because tasks need it and every stage of `benchmark` sits above tasks.
"""
from __future__ import annotations

import difflib
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError):
    """An unknown registry name; the message carries suggestions and the full list."""

    def __str__(self) -> str:  # KeyError would print the repr with quotes
        return str(self.args[0])


def did_you_mean(kind: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown {kind} {name!r}.{hint} Known {kind}s: {', '.join(sorted(str(k) for k in known))}."


class Registry(Generic[T]):
    """Records of one kind by key, in registration order.

    kind: what the records are, for messages ("task", "objective"); key: a record's key (default: its `name`).
    """

    def __init__(self, kind: str, key: Callable[[T], object] = lambda record: record.name):
        self.kind = kind
        self._key = key
        self._records: dict[object, T] = {}

    def add(self, record: T, *, clash: str = "") -> T:
        """Register `record`; raises ValueError when its key is taken (`clash`: more detail for the message)."""
        key = self._key(record)
        if key in self._records:
            raise ValueError(f"{self.kind} {key!r} is registered twice{f' ({clash})' if clash else ''}")
        self._records[key] = record
        return record

    def remove(self, key) -> None:
        """Drop a record if present (tests that register a temporary one)."""
        self._records.pop(key, None)

    def get(self, key) -> T:
        try:
            return self._records[key]
        except KeyError:
            raise UnknownNameError(did_you_mean(self.kind, key, list(self._records))) from None

    def find(self, key) -> T | None:
        return self._records.get(key)

    def keys(self) -> list:
        return list(self._records)

    def values(self) -> list[T]:
        return list(self._records.values())

    def __contains__(self, key) -> bool:
        return key in self._records

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._records.values()))

    def __len__(self) -> int:
        return len(self._records)
