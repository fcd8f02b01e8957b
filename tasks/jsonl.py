"""Reading the authors' JSONL format, with errors that name the file and line.

Each line is `{"messages": [system, user, assistant]}`; HellaSwag rows also carry `text`
and `code` message lists that are the JEPA views (the A/B/C/D prompt is not a view).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

ROLES = ("system", "user", "assistant")
DATA_DIR_ENV = "JEPA_BENCH_DATA_DIR"


class DataError(ValueError):
    """A data file is missing or malformed; the message says where and what to do."""


@dataclass(frozen=True)
class Example:
    messages: tuple[dict, ...]  # system, user, assistant
    text: tuple[dict, ...] | None = None  # explicit Text view (HellaSwag); None = [user]
    code: tuple[dict, ...] | None = None  # explicit Code view (HellaSwag); None = [assistant]

    @property
    def system(self) -> str:
        return self.messages[0]["content"]

    @property
    def user(self) -> str:
        return self.messages[1]["content"]

    @property
    def assistant(self) -> str:
        return self.messages[2]["content"]


def resolve_data_dir(data_dir: str | os.PathLike | None) -> Path:
    """--data-dir wins, then $JEPA_BENCH_DATA_DIR, then ./data."""
    chosen = data_dir or os.environ.get(DATA_DIR_ENV) or "data"
    return Path(chosen)


def _check_messages(value, where: str, roles: tuple[str, ...] | None) -> tuple[dict, ...]:
    if not isinstance(value, list) or not value:
        raise DataError(f"{where}: expected a non-empty list of messages")
    for i, m in enumerate(value):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise DataError(f"{where}: message {i} must be an object with string 'role' and 'content'")
    got = tuple(m["role"] for m in value)
    if roles is not None and got != roles:
        raise DataError(f"{where}: expected a {'/'.join(roles)} conversation, got roles {'/'.join(got)}")
    return tuple({"role": m["role"], "content": m["content"]} for m in value)


def parse_line(line: str, where: str) -> Example:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as e:
        raise DataError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(row, dict) or "messages" not in row:
        raise DataError(f"{where}: expected an object with a 'messages' field")
    messages = _check_messages(row["messages"], where, ROLES)
    text = _check_messages(row["text"], where + " (text view)", None) if "text" in row else None
    code = _check_messages(row["code"], where + " (code view)", None) if "code" in row else None
    return Example(messages, text, code)


def read_jsonl(path: str | os.PathLike, limit: int | None = None) -> list[Example]:
    """Read and validate every line (blank lines are skipped); stop after `limit` examples."""
    path = Path(path)
    if not path.is_file():
        raise DataError(
            f"data file {path} not found: point --data-dir (or ${DATA_DIR_ENV}) at the folder holding the upstream JSONL files"
        )
    examples: list[Example] = []
    with path.open("rb") as f:  # bytes: a line that is not UTF-8 is named, not a UnicodeDecodeError
        for lineno, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise DataError(f"{path}:{lineno}: not UTF-8 text (byte {e.start} of the line); the upstream files "
                                "are UTF-8: fetch them again with `jepa-bench data fetch`") from None
            if lineno == 1:
                line = line.removeprefix("\ufeff")  # a byte-order mark, as some editors save UTF-8: not data
            if not line.strip():
                continue
            examples.append(parse_line(line, f"{path}:{lineno}"))
            if limit is not None and len(examples) >= limit:
                break
    if not examples:
        raise DataError(f"{path}: no examples")
    return examples
