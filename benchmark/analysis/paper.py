"""The papers' numbers as data: paper/paper_numbers.csv, its loader, a lookup and a validator.

One CSV row is one table cell or figure point of LLM-JEPA (arXiv 2509.14252) or Semantic Tube Prediction
(arXiv 2602.22617), transcribed by hand from the papers (paper/README.md says from which version), with the
config fields of `benchmark.training.config.TrainConfig` and the task/metric names of `tasks`, so a report can put
a run's score beside the paper's. Every row carries the notes' provenance mark (`EVIDENCE`); columns are
described in paper/README.md.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from benchmark.data.shipped import paper_dir

PAPER_CSV = paper_dir() / "paper_numbers.csv"

EVIDENCE = ("main text", "appendix, second-hand", "uncertain")
# Which document a row comes from (paper/README.md): a number is cited from exactly one of these.
PAPER_VERSIONS = ("arXiv v2 main text", "arXiv v2 appendix (second-hand)", "ICLR 2026 camera-ready (second-hand)",
                  "STP arXiv 2602.22617")  # paper/README.md, "Evidence levels"
FLOAT_COLUMNS = ("lbd", "predictors", "jepa_ratio", "gamma", "lr", "epoch", "pflops", "mean", "std", "p_value",
                 "n_seeds")
BOOL_COLUMNS = ("front_pred", "reverse_pred", "pretrain")
TEXT_COLUMNS = ("source_table", "paper_version", "model", "task", "metric", "subset", "method", "objective",
                "distance", "evidence", "note")
COLUMNS = ("source_table", "paper_version", "model", "task", "metric", "subset", "method", "objective", "lbd", "predictors",
           "distance", "front_pred", "reverse_pred", "jepa_ratio", "gamma", "pretrain", "lr", "epoch", "pflops",
           "mean", "std", "p_value", "n_seeds", "evidence", "note")
# One cell per key: Table 6 points differ only in PFLOPs, STP Table 1 cells only in the regex subset.
KEY = ("source_table", "model", "task", "subset", "method", "epoch", "pflops")
# Numbers the paper reports that no task scorer produces; they are exempt from the [0, 100] range check.
NON_TASK_METRICS = {"lstsq_error": "Table 14: least-squares error of a linear map Enc(Text) -> Enc(Code)"}

_BOOL = {"true": True, "false": False, "": pd.NA}


def load_paper_numbers(path: str | Path = PAPER_CSV) -> pd.DataFrame:
    """The CSV with float columns (NaN when empty), nullable booleans and text columns ('' when empty)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    for c in FLOAT_COLUMNS:
        df[c] = pd.to_numeric(df[c].str.strip().replace("", None), errors="raise").astype(float)
    for c in BOOL_COLUMNS:
        bad = sorted(set(df[c].str.strip().str.lower()) - set(_BOOL))
        if bad:
            raise ValueError(f"{path}: column {c!r} must be true/false/empty, got {bad}")
        df[c] = df[c].str.strip().str.lower().map(_BOOL).astype("boolean")
    return df


def _same(series: pd.Series, value) -> pd.Series:
    if isinstance(value, float) and math.isnan(value):
        return series.isna()
    return series == value


def paper_cell(df: pd.DataFrame, *, table: str, task: str, method: str, epoch: float | None = None,
               model: str | None = None, subset: str | None = None, pflops: float | None = None):
    """The one row (a Series) matching the arguments, or None when there is none.

    Arguments left as None do not filter. Raises ValueError when several rows match (e.g. Fig. 1 without
    `epoch`, Table 6 without `pflops`, STP Table 1 without `subset`), naming the columns that tell them apart.
    """
    mask = (df["source_table"] == table) & (df["task"] == task) & (df["method"] == method)
    for col, value in (("epoch", epoch), ("model", model), ("subset", subset), ("pflops", pflops)):
        if value is not None:
            mask &= _same(df[col], value)
    hits = df[mask]
    if hits.empty:
        return None
    if len(hits) > 1:
        differ = [c for c in ("model", "subset", "epoch", "pflops") if hits[c].astype(str).nunique() > 1]
        raise ValueError(f"{len(hits)} rows of {table!r} match task={task!r} method={method!r}; "
                         f"narrow with {', '.join(differ) or 'more arguments'}")
    return hits.iloc[0]


def validate(df: pd.DataFrame) -> list[str]:
    """Problems with the table, one line each; an empty list means it is consistent with the registry."""
    from benchmark.training.objectives import DISTANCES, all_objectives
    from tasks import UnknownNameError, all_tasks, get_task

    known_tasks = {t.name for t in all_tasks()}
    objectives = {o.name for o in all_objectives()}
    problems = []
    for i, r in df.iterrows():
        where = f"row {i + 2} ({r['source_table']}, {r['task']}, {r['method']})"  # +2: header, 1-based
        metric_ok = False
        if r["task"] not in known_tasks:
            problems.append(f"{where}: unknown task {r['task']!r}")
        elif r["metric"] in NON_TASK_METRICS:
            pass
        else:
            try:
                get_task(r["task"]).metric(r["metric"])
                metric_ok = True
            except UnknownNameError as e:
                problems.append(f"{where}: {e}")
        if r["paper_version"] not in PAPER_VERSIONS:
            problems.append(f"{where}: paper_version {r['paper_version']!r} is not one of {list(PAPER_VERSIONS)}")
        elif r["evidence"] == "main text" and "appendix" in r["paper_version"]:
            problems.append(f"{where}: marked main text but cited from {r['paper_version']}")
        if r["evidence"] not in EVIDENCE:
            problems.append(f"{where}: evidence {r['evidence']!r} is not one of {list(EVIDENCE)}")
        if metric_ok and not pd.isna(r["mean"]) and not 0 <= r["mean"] <= 100:
            problems.append(f"{where}: mean {r['mean']} outside [0, 100]")
        if r["objective"] and r["objective"] not in objectives:
            problems.append(f"{where}: unknown objective {r['objective']!r}")
        if r["distance"] and r["distance"] not in DISTANCES:
            problems.append(f"{where}: unknown distance {r['distance']!r}")
        if not r["method"]:
            problems.append(f"{where}: empty method")
    keys = df[list(KEY)].astype(str)
    for _, dup in keys[keys.duplicated(keep=False)].drop_duplicates().iterrows():
        problems.append("duplicated key " + ", ".join(f"{k}={dup[k]}" for k in KEY if dup[k] not in ("", "nan")))
    return problems
