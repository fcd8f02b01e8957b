"""Task registry: `get_task(name)`, `all_tasks()`. Importing this package registers every task."""
from tasks.base import Task, UnknownNameError, all_tasks, get_task, register
from tasks.jsonl import DATA_DIR_ENV, DataError, Example, read_jsonl, resolve_data_dir

from tasks import gsm8k, hellaswag, nlrx, nq_open, sentiment, spider  # noqa: F401  (registration)

__all__ = [
    "Task", "UnknownNameError", "all_tasks", "get_task", "register",
    "DATA_DIR_ENV", "DataError", "Example", "read_jsonl", "resolve_data_dir", "load_split",
]


def load_split(task: Task, split: str, data_dir=None, limit: int | None = None) -> list[Example]:
    """The examples of one split of a task, read from the data directory."""
    if split not in task.files:
        raise UnknownNameError(f"task {task.name!r} has no split {split!r}; it has {', '.join(task.files)}")
    return read_jsonl(resolve_data_dir(data_dir) / task.files[split], limit=limit)
