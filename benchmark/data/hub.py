"""`jepa-bench data fetch --from-hub`: a task's JSONL files built through Hugging Face `datasets`.

A task that declares a `HubSource` (tasks/base.py) can have its files built from the dataset hub (a hub id,
pinned by revision where given) or from a local copy: a folder written by `save_to_disk`, or a folder of
parquet files named by split (a hub snapshot). Each record becomes the suite's three-message row through
the task's converter, with the task's own system prompt, and every line is checked by the same parser that
reads the data, before the file is moved into place.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from benchmark.data.fetch import FetchError


def _load(source, split: str, local: Path | None):
    import datasets

    where = local or Path(source.path)
    if local is not None or where.is_dir():
        if not where.is_dir():
            raise FetchError(f"{where}: no such folder (a dataset saved with save_to_disk, or parquet files)")
        if (where / "dataset_dict.json").is_file() or (where / "state.json").is_file():
            loaded = datasets.load_from_disk(str(where))
            if isinstance(loaded, datasets.DatasetDict):
                if split not in loaded:
                    raise FetchError(f"{where} has no split {split!r}; it has {', '.join(loaded)}")
                return loaded[split]
            return loaded
        files = sorted(str(p) for p in where.rglob(f"*{split}*.parquet"))
        if not files:
            raise FetchError(f"{where}: no parquet file for split {split!r} (and no save_to_disk dataset)")
        return datasets.load_dataset("parquet", data_files={split: files}, split=split)
    try:
        return datasets.load_dataset(source.path, source.name, revision=source.revision, split=split)
    except Exception as e:  # noqa: BLE001 -- offline, unknown id, missing config: one line naming the source
        raise FetchError(f"cannot load {source.path} ({type(e).__name__}: {str(e).splitlines()[0][:200]}); "
                         "offline? build from a local copy with --hub-path") from None


def build_from_hub(task_name: str, data_dir, *, local: str | os.PathLike | None = None, force: bool = False,
                   log=print) -> list[Path]:
    """Write the task's split files into `data_dir` from its HubSource; returns the files written."""
    from tasks import get_task, resolve_data_dir
    from tasks.jsonl import parse_line

    task = get_task(task_name)
    if task.hub is None:
        raise FetchError(f"task {task.name!r} declares no Hugging Face source; fetch its files with "
                         f"`jepa-bench data fetch --tasks {task.name}`")
    root = resolve_data_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for ours, theirs in task.hub.splits.items():
        dest = root / task.files[ours]
        if dest.is_file() and not force:
            log(f"{dest.name}: present, kept (--force rebuilds it)")
            continue
        records = _load(task.hub, theirs, Path(local) if local else None)
        lines = []
        for i, record in enumerate(records):
            user, assistant = task.hub.to_row(dict(record))
            line = json.dumps({"messages": [{"role": "system", "content": task.system_prompt},
                                            {"role": "user", "content": user},
                                            {"role": "assistant", "content": assistant}]}, ensure_ascii=False)
            parse_line(line, f"{task.hub.path} {theirs}[{i}]")  # the reader's own checks, before writing
            lines.append(line + "\n")
        tmp = dest.with_name(dest.name + ".partial")
        tmp.write_text("".join(lines), encoding="utf-8")
        os.replace(tmp, dest)
        log(f"{dest.name}: {len(lines)} rows from {local or task.hub.path} ({theirs})")
        written.append(dest)
    return written
