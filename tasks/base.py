"""The task contract and the registry.

A task is one dataset of the paper: where its rows live, how they are split, how a model is asked
(generation, or a choice among letters), and how outputs are scored. Each family of datasets is one
small module in this package that calls `register(...)`; importing `tasks` imports all of them, so the
registry never depends on which module a caller happened to import first.

Scoring is separate from generation (lm-eval's request -> response -> filter -> metric): a scorer maps
one stored output and its example to a `Verdict`, so every metric of a task scores the same outputs and
scores can be recomputed from predictions.jsonl (joined with the data by benchmark.analysis.predictions) without
regenerating.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

from tasks.jsonl import Example
from tasks.registry import Registry, UnknownNameError, did_you_mean


@dataclass(frozen=True)
class Verdict:
    """One metric's judgement of one output."""

    correct: bool | None  # None = undecided (a time or state budget ran out): reported, never counted right
    reason: str = ""  # why it is wrong or undecided, e.g. "prediction failed: no such table: x"
    extracted: str | None = None  # what was compared when the scorer extracts (GSM8K's answer)


@dataclass(frozen=True)
class ScoringContext:
    """Settings a scorer may need beyond the output and the example."""

    spider_db_dir: Path | None = None  # folder with <db_id>/<db_id>.sqlite (Spider's database/ tree)
    dfa_timeout: float = 10.0  # seconds per NL-RX equivalence check; exhausted = undecided
    sql_timeout: float = 10.0  # seconds per SQL query; a prediction that runs out is wrong
    spider_keep_distinct: bool = False  # official test-suite default strips DISTINCT from both queries


class ScoringSetupError(ValueError):
    """Scoring cannot start (a missing database folder, ...); the message says what to pass."""


Scorer = Callable[[str, Example, ScoringContext], Verdict]


@dataclass(frozen=True)
class HubSource:
    """Where a task's rows can also come from through Hugging Face `datasets`: a hub id (with a pinned
    revision), a folder saved with `save_to_disk`, or a folder of parquet files; `to_row` turns one record
    into the (user, assistant) contents of the suite's three-message row (the system turn is the task's)."""

    path: str  # hub id, e.g. "cornell-movie-review-data/rotten_tomatoes"
    splits: dict[str, str]  # our split -> the dataset's split
    to_row: Callable[[dict], tuple[str, str]]  # record -> (user content, assistant content)
    name: str | None = None  # dataset configuration, e.g. "main" for openai/gsm8k
    revision: str | None = None  # pinned commit of the hub repository


@dataclass(frozen=True)
class Metric:
    name: str  # key in metrics.json and predictions.jsonl
    score: Scorer  # (output, example, context) -> Verdict; must not raise on any output string
    description: str  # one line for listings and reports
    parity: bool = False  # True: the authors' metric as coded (what the paper's numbers used)


@dataclass(frozen=True)
class Task:
    name: str  # registry key, used on the command line (`--task synth`)
    version: int  # bumped whenever prompts, views or scoring change; recorded in every result
    family: str  # module that defines it, for listings
    source: str  # where the upstream files come from
    license: str  # licence of the underlying dataset
    files: dict[str, str]  # split -> file name inside the data directory
    system_prompt: str  # the system turn every row carries (checked against the data by the tests)
    metrics: tuple[Metric, ...] = ()  # every scorer of the task, parity and proper ones
    main_metric: str = ""  # the metric tables lead with (the paper's, for parity)
    kind: Literal["generate", "choice"] = "generate"  # choice: next-token argmax over `choices` (HellaSwag)
    choices: tuple[str, ...] = ()  # the answer tokens of a choice task
    requires: tuple[str, ...] = ()  # ScoringContext fields that must be set (Spider: spider_db_dir)
    preflight: Callable[[list[Example], ScoringContext], None] | None = None  # raises before any generation
    views: str = "messages"  # "messages": Text=[user], Code=[assistant]; "text_code": the row's own view fields
    notes: str = ""  # anything a user must know (e.g. a split that is not the official one)
    changelog: tuple[str, ...] = ()  # one line per version: what changed
    hub: HubSource | None = None  # optional: build the JSONL files through `datasets` (jepa-bench data fetch --from-hub)
    data_dir: str | None = None  # where this task's files are (relative: to the module that registers it); None:
    #                              the data directory setting (--data-dir, $JEPA_BENCH_DATA_DIR, ./data)
    fixtures: tuple = ()  # rows (user, assistant[, text, code]) the registry-wide tests build and score

    def __post_init__(self):
        names = [m.name for m in self.metrics]
        if len(set(names)) != len(names):
            raise ValueError(f"task {self.name!r} declares a metric twice: {names}")
        if self.metrics and self.main_metric not in names:
            raise ValueError(f"task {self.name!r}: main_metric {self.main_metric!r} is not one of {names}")
        if len(self.changelog) != self.version:
            raise ValueError(f"task {self.name!r}: version {self.version} needs one changelog line per version")

    def check_context(self, examples: list[Example], ctx: ScoringContext) -> None:
        """Fail before generating anything when a scorer could not run (e.g. no Spider databases)."""
        for name in self.requires:
            if getattr(ctx, name) is None:
                flag = "--" + name.replace("_", "-")
                raise ScoringSetupError(f"task {self.name!r} needs {flag}: see `jepa-bench tasks` and README")
        if self.preflight is not None:
            self.preflight(examples, ctx)

    def metric(self, name: str) -> Metric:
        for m in self.metrics:
            if m.name == name:
                return m
        raise UnknownNameError(f"task {self.name!r}: " + did_you_mean("metric", name, [m.name for m in self.metrics]))


def score_all(task: Task, output: str, example: Example, ctx: ScoringContext,
              metrics: tuple[str, ...] | None = None) -> dict[str, Verdict]:
    """Every (or the named) metric's verdict on one output. A scorer that raises is a bug, but one bad
    output must not lose a whole evaluation: the exception becomes a wrong verdict that names it."""
    chosen = task.metrics if metrics is None else tuple(task.metric(n) for n in metrics)
    out = {}
    for m in chosen:
        try:
            out[m.name] = m.score(output, example, ctx)
        except Exception as e:  # noqa: BLE001 -- recorded, see docstring
            out[m.name] = Verdict(False, f"scorer error: {type(e).__name__}: {e}"[:300])
    return out


TASKS: Registry[Task] = Registry("task")


def register(task: Task) -> Task:
    """Add a task; a second task with the same name is a programming error, so it raises. A relative
    `data_dir` is taken relative to the file of the module that calls this."""
    import dataclasses
    import inspect

    taken = TASKS.find(task.name)
    if task.data_dir and not Path(task.data_dir).expanduser().is_absolute():
        caller = Path(inspect.stack()[1].filename).resolve().parent
        task = dataclasses.replace(task, data_dir=str(caller / task.data_dir))
    return TASKS.add(task, clash=f"{taken.family} and {task.family}" if taken else "")


def get_task(name: str) -> Task:
    return TASKS.get(name)


def all_tasks() -> list[Task]:
    return sorted(TASKS, key=lambda t: t.name)
