"""Task registry: `get_task(name)`, `all_tasks()`. Importing this package registers every task."""
import random
from typing import Literal, get_args

from tasks.base import Task, all_tasks, get_task, register
from tasks.registry import UnknownNameError
from tasks.jsonl import DATA_DIR_ENV, DataError, Example, read_jsonl, resolve_data_dir


def _register_all() -> None:
    """Import every module of this package, so a new task is one new file (its register() call runs)."""
    import importlib
    import pkgutil

    for mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if mod != "plugins":
            importlib.import_module(f"tasks.{mod}")


_register_all()


def _register_plugins() -> None:
    """Tasks of installed packages (entry points) and of $JEPA_BENCH_INCLUDE_PATH (tasks/plugins.py)."""
    from tasks import plugins

    plugins.load_entry_points()
    plugins.include(plugins.env_paths())


_register_plugins()

__all__ = [
    "Task", "UnknownNameError", "all_tasks", "get_task", "register",
    "DATA_DIR_ENV", "DataError", "Example", "read_jsonl", "resolve_data_dir", "load_split",
    "splits", "carve_validation", "VAL_SEED", "Subset", "SUBSETS", "SUBSET_WORDS", "SUBSET_SEED", "take_subset", "task_data_dir",
]


VAL_SEED = 20250917  # fixed, not the run seed: every run and seed of a sweep shares one validation set
SUBSET_SEED = 20250918  # fixed too: a `random` subset holds the same rows for every run, arm and seed
# Which rows a limit keeps: the first N; N drawn with SUBSET_SEED (`random`, as every committed random-subset run);
# or the first N of one SUBSET_SEED permutation (`nested`), so a smaller subset is always part of a larger one
# (learning curves over training-set sizes).
Subset = Literal["head", "random", "nested"]
SUBSETS = get_args(Subset)  # the one list of them: the config fields are typed `Subset`
# How a report says which rows a subset kind keeps ({n}: the limit); one entry per kind (tests/test_tasks.py)
SUBSET_WORDS = {"head": "the first {n}", "random": "a seeded random sample of {n}",
                "nested": "a nested seeded sample of {n} (the first {n} of one fixed shuffle: smaller sizes are "
                          "subsets of larger ones)"}


def take_subset(rows: list, limit: int | None, subset: str = "head") -> list:
    """`limit` rows of `rows`, kept in file order: the first ones (`head`), a sample drawn with SUBSET_SEED
    (`random`), or the first `limit` of a permutation shuffled with SUBSET_SEED (`nested`: the rows of a
    smaller limit are always among those of a larger one, which `random.sample` does not promise: it switches
    algorithm with the sample size). Without a limit, or with one at least as large as the split, every row."""
    if subset not in SUBSETS:
        raise ValueError(f"subset must be one of {', '.join(SUBSETS)}, got {subset!r}")
    if limit is None or limit >= len(rows):
        return list(rows)
    if subset == "head":
        return list(rows[:limit])
    if subset == "nested":
        order = list(range(len(rows)))
        random.Random(SUBSET_SEED).shuffle(order)
        return [rows[i] for i in sorted(order[:limit])]
    return [rows[i] for i in sorted(random.Random(SUBSET_SEED).sample(range(len(rows)), limit))]


def _refuse_one_answer_head(task: Task, split: str, path, picked: list, everything: list) -> None:
    """A head subset whose rows all give one answer while the split holds several: the file is sorted by
    its answers (Rotten Tomatoes lists every positive review first), so training or scoring on it
    measures nothing. Refused, with the setting that fixes it."""
    if len(picked) < 2 or len(picked) == len(everything):
        return
    answers = {e.assistant for e in picked}
    if len(answers) > 1 or len({e.assistant for e in everything}) == 1:
        return
    knob = ("limit_train keeps" if split == "train" else "limit keeps")
    fix = ("`train_subset: random` in a sweep spec's `fixed:` block (--train-subset random)" if split == "train"
           else "`subset: random` in a sweep spec's `eval:` block (--eval-subset random; evaluate: --subset random)")
    raise DataError(f"task {task.name!r}: the first {len(picked)} {split} rows that {knob} all have the answer "
                    f"{next(iter(answers))!r}, but {path.name} holds other answers (it is sorted by answer), so "
                    f"these rows cannot measure anything; draw a seeded random subset instead: {fix}")


def carve_validation(n: int, fraction: float) -> tuple[list[int], list[int]]:
    """Deterministic (train, val) row indices of a train file of n rows; both keep file order."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {fraction}")
    n_val = max(1, round(n * fraction))
    order = list(range(n))
    random.Random(VAL_SEED).shuffle(order)
    val = sorted(order[:n_val])
    chosen = set(val)
    return [i for i in range(n) if i not in chosen], val


def _missing_file(task: Task, path, own_folder: bool) -> str:
    """What is wrong and what to do: the fetch command only for a file it can fetch (tasks/upstream.py), the
    task's own folder for a task that names one, else the data-directory setting."""
    from tasks.upstream import FILES

    folder = path.parent
    what = (f"the data directory {folder} is a file, not a folder" if folder.is_file() else
            f"the data directory {folder} does not exist" if not folder.exists() else
            f"data file {path} not found")
    if own_folder:
        return f"{what}: task {task.name!r} reads its files from its own folder ({folder}, its `data_dir`)"
    fetch = f"fetch it with `jepa-bench data fetch --tasks {task.name}`, or " if path.name in FILES else ""
    return (f"{what}: {fetch}point --data-dir (or ${DATA_DIR_ENV}) at the folder holding "
            + ("the upstream JSONL files" if fetch else f"{path.name}"))


def task_data_dir(task: Task, data_dir=None):
    """Where a task's files are read from: an explicit `data_dir` (--data-dir, a run's config) wins, then the
    task's own folder (`Task.data_dir`), then $JEPA_BENCH_DATA_DIR, then ./data."""
    from pathlib import Path

    if data_dir:
        return Path(data_dir)
    return Path(task.data_dir) if task.data_dir else resolve_data_dir(None)


def splits(task: Task, val_fraction: float = 0.0) -> list[str]:
    """The splits one can ask for: the task's files, plus `val` when it is carved from train."""
    extra = ["val"] if val_fraction > 0 and "train" in task.files else []
    return list(task.files) + extra


def load_split(task: Task, split: str, data_dir=None, limit: int | None = None,
               val_fraction: float = 0.0, subset: str = "head") -> list[Example]:
    """The examples of one split, read from the data directory.

    With `val_fraction` > 0, `val` is that fraction of the train file (chosen with a fixed seed) and
    `train` is the rest, so λ, k and lr can be tuned without looking at the test set (the paper tuned on
    test). `limit` applies after carving, so a limited run never trains on validation rows; `subset` says
    which rows it keeps (`take_subset`). A head subset that holds one answer of a split that has several
    is refused (the file is sorted by answer).
    """
    if split not in splits(task, val_fraction):
        hint = " (pass --val-fraction to carve one from train)" if split == "val" and "train" in task.files else ""
        raise UnknownNameError(f"task {task.name!r} has no split {split!r}{hint}; it has "
                               f"{', '.join(splits(task, val_fraction))}")
    path = task_data_dir(task, data_dir) / task.files["train" if split == "val" else split]
    if not path.is_file():
        raise DataError(_missing_file(task, path, own_folder=bool(task.data_dir and not data_dir)))
    if split in ("train", "val") and val_fraction > 0:
        rows = read_jsonl(path)
        train_idx, val_idx = carve_validation(len(rows), val_fraction)
        rows = [rows[i] for i in (train_idx if split == "train" else val_idx)]
    elif subset == "head" and limit is not None:
        picked = read_jsonl(path, limit=limit)  # most runs: read no further than needed
        if len(picked) < limit or len({e.assistant for e in picked}) > 1:
            return picked
        rows = read_jsonl(path)
    else:
        rows = read_jsonl(path)
    picked = take_subset(rows, limit, subset)
    if subset == "head":
        _refuse_one_answer_head(task, split, path, picked, rows)
    return picked
