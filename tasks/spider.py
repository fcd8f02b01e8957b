"""Spider text-to-SQL (Yu et al. 2018). User turn: "For db_id:[<db>]\\n\\n<question>", assistant: the SQL.

Row: {"messages": [{"role": "system", "content": "Convert natural language to SQL."},
                   {"role": "user", "content": "For db_id:[sakila_1]\\n\\nHow many cities are in Australia?"},
                   {"role": "assistant", "content": "SELECT count(*) FROM city AS T1 JOIN country AS T2 ON ..."}]}

The upstream split is an in-domain re-split of train + dev, not the official cross-database dev set.
Scoring needs the Spider databases (`--spider-db-dir`, the `database/` folder: <db_id>/<db_id>.sqlite),
which are not shipped; `jepa-bench data fetch --spider` downloads them where a network is available.

* `exec`: execution accuracy with the official test-suite semantics (taoyds/test-suite-sql-eval
  exec_eval.py, default flags): DISTINCT removed from both queries (`--spider-keep-distinct` keeps it),
  bags of rows, column order free, row order only when the gold has ORDER BY, a prediction that fails is
  wrong; run on every *.sqlite of the database's folder. Read-only, time-limited.
* `exec_original`: the authors' check, the sqlite3 command-line tool's stdout for both queries compared as
  strings; a failing prediction prints nothing and so "matches" any empty gold result. Parity only.
"""
from __future__ import annotations

import re
from pathlib import Path

from tasks.base import Metric, ScoringSetupError, Task, Verdict, register

_DB_ID = re.compile(r"For db_id:\[([^\]]+)\]")


def db_id(ex) -> str:
    m = _DB_ID.search(ex.user)
    if m is None:
        raise ValueError(f"no 'For db_id:[...]' in the user turn: {ex.user[:80]!r}")
    return m.group(1)


def db_folder(ctx, ex) -> Path:
    return Path(ctx.spider_db_dir) / db_id(ex)


def _exec(output, ex, ctx) -> Verdict:
    from tasks.sql_exec import execution_match

    return execution_match(output, ex.assistant, db_folder(ctx, ex), timeout=ctx.sql_timeout,
                           keep_distinct=ctx.spider_keep_distinct)


def _exec_original(output, ex, ctx) -> Verdict:
    from tasks.sql_exec import original_match

    folder = db_folder(ctx, ex)
    return original_match(output, ex.assistant, folder / f"{folder.name}.sqlite", timeout=ctx.sql_timeout)


def check_databases(examples, ctx) -> None:
    root = Path(ctx.spider_db_dir)
    if not root.is_dir():
        raise ScoringSetupError(f"--spider-db-dir {root} is not a folder; it must hold Spider's database/ tree "
                                "(<db_id>/<db_id>.sqlite): `jepa-bench data fetch --spider` or the official archive")
    missing = sorted({db_id(e) for e in examples if not (root / db_id(e) / f"{db_id(e)}.sqlite").is_file()})
    if missing:
        raise ScoringSetupError(f"{len(missing)} Spider database(s) missing under {root}: "
                                f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''} "
                                "(expected <db_id>/<db_id>.sqlite)")


register(Task(
    name="spider", version=2, family="spider", source="rbalestr-lab/llm-jepa datasets/ (Yu et al. 2018)",
    license="CC BY-SA 4.0", files={"train": "spider_train.jsonl", "test": "spider_test.jsonl"},
    fixtures=(("For db_id:[shop]\n\nHow many singers are there?", "SELECT count(*) FROM singer"),
              ("For db_id:[shop]\n\nNames of singers older than 30 by age.",
               "SELECT name FROM singer WHERE age > 30 ORDER BY age")),
    system_prompt="Convert natural language to SQL.",
    metrics=(
        Metric("exec_original", _exec_original, "the authors' check: sqlite3 stdout strings equal", parity=True),
        Metric("exec", _exec, "execution accuracy, test-suite semantics (bag of rows, failing prediction wrong)"),
    ),
    main_metric="exec_original", requires=("spider_db_dir",), preflight=check_databases,
    notes="scoring needs the Spider sqlite databases (--spider-db-dir; not shipped)",
    changelog=("files and views", "scorers: exec_original, exec; databases checked before generation"),
))
