"""Each comparison's setting beside the paper's: model and size, pretrained or from scratch, training rows and
epochs, test rows and metric, so a reader sees at once how far a verdict is from the paper's experiment.

The paper's settings per table and task are data (paper/paper_settings.csv, beside paper_numbers.csv);
ours come from the runs (config.json's parameter count and training rows, the evaluation's test rows, the
metric the tables lead with). A comparison is "at CPU scale" when the two differ by more than SCALE_GAP in
parameters or in training rows.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from benchmark.data.shipped import paper_dir

SCALE_GAP = 10.0  # more than this factor apart in parameters or training rows: "at CPU scale"
_TABLE = re.compile(r"(STP abstract|STP Table \d+|Table \d+|Fig\. \d+)")


Span = tuple[float, float]  # (lowest, highest) over a comparison's runs; equal ends where they agree


@dataclass(frozen=True)
class Setting:
    model: str
    parameters: Span | None  # None where unknown
    init: str  # pretrained | from scratch
    train_rows: Span | None
    epochs: Span | None  # None: the paper does not state them
    test_rows: Span | None
    metric: str

    def text(self) -> str:
        def num(span: Span | None, unit: str = "") -> str:
            if span is None or any(isinstance(x, float) and math.isnan(x) for x in span):
                return "?"
            return f"{span[0]:g}{unit}" if span[0] == span[1] else f"{span[0]:g}–{span[1]:g}{unit}"

        if self.parameters is None:
            size = "? parameters"
        elif _short(self.parameters[0]) == _short(self.parameters[1]):  # LoRA ranks differ in the last digits
            size = f"{_short(self.parameters[0])} parameters"
        else:
            size = f"{_short(self.parameters[0])}–{_short(self.parameters[1])} parameters"
        epochs = "epochs not stated" if self.epochs is None else f"{num(self.epochs)} epochs"
        return (f"{self.model} ({size}, {self.init}), {num(self.train_rows)} training rows, {epochs}, "
                f"{num(self.test_rows)} test rows, {self.metric}")


def _span(values) -> Span | None:
    values = [float(v) for v in values if v is not None and v == v]
    return (min(values), max(values)) if values else None


def _joined(values) -> str:
    return ", ".join(sorted({str(v) for v in values}))


def _short(n: float) -> str:
    return f"{n / 1e9:.2f} B" if n >= 1e9 else f"{n / 1e6:.0f} M" if n >= 1e7 else f"{n / 1e6:.2g} M"


@lru_cache(maxsize=1)
def _paper_settings():
    import pandas as pd

    return pd.read_csv(paper_dir() / "paper_settings.csv")


def paper_setting(source: str, task: str) -> tuple[str, Setting] | None:
    """(table, Setting) of the first paper table or figure named in `source` that has a setting for `task`."""
    table = _paper_settings()
    for name in _TABLE.findall(str(source)):
        rows = table[(table["source_table"] == name) & (table["task"] == task)]
        if not rows.empty:
            r = rows.iloc[0]

            def opt(v):
                return None if v != v else (float(v), float(v))

            params = None if r["parameters_min"] != r["parameters_min"] else (float(r["parameters_min"]),
                                                                             float(r["parameters_max"]))
            return name, Setting(str(r["model"]), params, str(r["init"]), opt(r["train_rows"]), opt(r["epochs"]),
                                 opt(r["test_rows"]), str(r["metric"]))
    return None


def our_setting(runs: list, split: str = "test") -> Setting | None:
    """The setting of a comparison's runs that were scored on `split`, every number as the span over them (an arm
    stopped by a FLOP budget ends at its own epoch; the reference trains to the end)."""
    scored = [(run, run.evaluations(split)[-1]) for run in runs if run.evaluations(split)]
    if not scored:
        return None
    records = [run.record() for run, _ in scored]
    return Setting(_joined(run.cfg["model"] for run, _ in scored), _span(r.get("parameters") for r in records),
                   _joined("from scratch" if run.cfg.get("pretrain") else "pretrained" for run, _ in scored),
                   _span(r.get("n_train") for r in records), _span(run.epochs_trained for run, _ in scored),
                   _span(ev.get("n") for _, ev in scored), _joined(run.headline for run, _ in scored))


def at_cpu_scale(ours: Setting, paper: Setting) -> bool:
    """More than SCALE_GAP apart in parameters or training rows (the nearest ends of the two spans)."""
    def apart(a: Span | None, b: Span | None) -> bool:
        if not a or not b or not all(a) or not all(b):
            return False
        return a[1] * SCALE_GAP < b[0] or a[0] > b[1] * SCALE_GAP

    return apart(ours.parameters, paper.parameters) or apart(ours.train_rows, paper.train_rows)


def setting_line(ours: Setting | None, paper: tuple[str, Setting] | None) -> str:
    """'ours: …; the paper (Table 3): …', one line for under a verdict."""
    mine = ours.text() if ours else "not recorded"
    theirs = f"{paper[1].text()}" if paper else "no setting of the paper's for this task"
    name = f" ({paper[0]})" if paper else ""
    return f"ours: {mine}; the paper{name}: {theirs}"


def comparison_setting(runs: list, split: str, task: str, model: str | None, source: str) -> tuple[str, bool]:
    """(the setting line, at CPU scale) of a comparison on `task` (and `model`) of a tree's `runs`, against the
    first paper table named in `source` that has a setting for the task."""
    ours = our_setting([r for r in runs if r.cfg["task"] == task and (model is None or r.cfg["model"] == model)],
                       split)
    paper = paper_setting(source, task)
    return setting_line(ours, paper), bool(ours and paper and at_cpu_scale(ours, paper[1]))
