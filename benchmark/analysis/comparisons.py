"""The registry of comparisons: what a report tabulates and what the claims ledger can name, one record each.

A `Comparison` record says what it measures against which reference arm, the paper source it faces, how its
table is built from a results tree, the README section it writes, the file its table is saved as, and how many
digits its numbers need. Each measure module under analysis/ registers its own record when imported; the report
(report.py) loops over the registered records, and the ledger (claims.py) looks one up by (measure, versus).
A new measure is one module under analysis/ that calls `register` (plus its test): nothing else names it.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tasks.registry import Registry, did_you_mean

# What a table builder reads (`Inputs` holds all three).
SCORES, RUNS, ANALYSES = "scores", "runs", "analyses"


@dataclass(frozen=True)
class Inputs:
    """What a comparison's table is built from: one results tree's runs, the split they are scored on, the
    paper's numbers, and the analyses `jepa-bench represent` wrote into the tree."""
    runs: list
    split: str
    paper: object = None
    results: Path | None = None

    def analyses(self) -> dict:
        from benchmark.runs.represent import read_analyses

        return read_analyses(self.results) if self.results is not None else {}


@dataclass(frozen=True)
class Comparison:
    measure: str  # the ledger's name of what is measured: score, drop, diagnostic, linear_map, ...
    versus: str  # the reference arm's key: regular, cosine, ld0, all_pairs
    reference: str  # the reference as shown ("regular", "LD 0, λ 1", ...)
    description: str  # what the measure is, one line (the ledger's "Δ <description>")
    paper: str  # the paper table or figure it faces
    build: Callable[[Inputs], object]  # the table (a pandas DataFrame; empty when the tree has nothing for it)
    missing: str  # what a results tree lacks when the table is empty (the ledger's "no ... yet")
    section: Callable[[object, Inputs], list[str]] | None = None  # README lines (None: report.py writes them)
    csv: str | None = None  # tables/<csv>.csv in the report (None: report.py writes it)
    after_figures: bool = False  # the section goes below the figures (the representation analyses)
    order: int = 100  # the section's place in the report
    digits: int = 2  # digits of its numbers in the ledger
    unit: str = " points"  # unit of its Δ in the ledger
    own_rule: bool = False  # judged by a rule of its own (direction only, or an interval): no direction_only
    arm_column: str = "method"  # the table column that names an arm in the ledger

    @property
    def key(self) -> tuple[str, str]:
        return self.measure, self.versus


COMPARISONS: Registry[Comparison] = Registry("comparison", key=lambda c: c.key)
_LOADED = False


def register(comparison: Comparison) -> Comparison:
    """Add a record; a second record for the same (measure, versus) is an error (two homes of one comparison)."""
    if COMPARISONS.find(comparison.key) is comparison:  # its module imported again
        return comparison
    return COMPARISONS.add(comparison)


def _load() -> None:
    """Import every module of analysis/, so each measure module's `register` call has run."""
    global _LOADED
    if _LOADED:
        return
    import benchmark.analysis as package

    for mod in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
        importlib.import_module(f"benchmark.analysis.{mod}")
    _LOADED = True


def all_comparisons() -> list[Comparison]:
    """Every registered comparison, in report order."""
    _load()
    return sorted(COMPARISONS, key=lambda c: (c.order, c.measure, c.versus))


def get_comparison(measure: str, versus: str | None = None) -> Comparison:
    """The record of (measure, versus); with versus None, the measure's only record. Unknown names fail with
    "did you mean"."""
    from benchmark.training.options import ConfigError
    _load()
    keys = COMPARISONS.keys()
    measures = sorted({m for m, _ in keys})
    if measure not in measures:
        raise ConfigError(did_you_mean("measure", measure, measures))
    references = [v for m, v in keys if m == measure]
    if versus is None:
        versus = references[0] if len(references) == 1 else "regular"
    if (measure, versus) not in COMPARISONS:
        every = sorted({v for _, v in keys})
        if versus not in every:
            raise ConfigError(did_you_mean("versus", versus, every))
        raise ConfigError(f"measure {measure!r} is against {' or '.join(references)}, not {versus!r}")
    return COMPARISONS.get((measure, versus))
