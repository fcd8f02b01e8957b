"""Spider execution scoring: the official test-suite semantics and the authors' sqlite3-CLI check.

* `execution_match`: execution accuracy as taoyds/test-suite-sql-eval `exec_eval.py` (`eval_exec_match`
  with its defaults: predictions carry their own values, DISTINCT removed from both queries unless
  `keep_distinct`, as the official `--keep_distinct` flag): gold and prediction
  run on every `*.sqlite` of the database's folder (the distilled test suite; with only the original
  database it is plain execution accuracy) and must give equal results on all of them. Results are bags
  of rows, equal up to a permutation of the columns; row order counts only when the gold has ORDER BY.
* `original_match`: the authors' evaluate.py, the sqlite3 command-line tool's stdout of both queries
  compared as strings (so a failing prediction "matches" any gold with an empty result; kept on purpose
  for parity, and labelled in the reason so it can be counted).

Model output is untrusted: databases open read-only with an authorizer that allows reading only, every
query runs under a wall-clock budget and a row cap, and no prediction string makes a scorer raise.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal

from tasks.base import Verdict

MAX_SQL_CHARS = 20_000  # far above any real Spider query; bounds parse time and the CLI's argv (128 KiB)
MAX_ROWS = 1_000_000  # fetched rows per query; a cross join beyond this is wrong, not an OOM
MAX_VALUE_BYTES = 10_000_000  # SQLITE_LIMIT_LENGTH: one string/blob (zeroblob(1e9) would otherwise fit)
PROGRESS_STEPS = 1_000  # VM instructions between deadline checks: ~ms granularity, negligible overhead
FETCH_BATCH = 10_000  # rows per fetchmany, so the row cap is checked while fetching, not after
REASON_CHARS = 300  # sqlite messages are short, but a reason must stay a one-liner in reports

FALSE_POSITIVE_REASON = "prediction failed but matched an empty gold result (the original check's false positive)"
EMPTY_MATCH_REASON = "empty prediction matched an empty gold result (the original check's false positive)"
NO_CLI_REASON = "sqlite3 command-line tool not found: install sqlite3 for the parity metric"

Rows = list[tuple[Any, ...]]


# ---------------------------------------------------------------------------------------------------------
# Running one query safely


@dataclass(frozen=True)
class QueryFailure:
    """Why a query gave no result: an sqlite error, the time budget, or the row cap."""

    kind: Literal["error", "timeout", "rows"]
    detail: str  # the sqlite message for "error", the budget or cap otherwise

    def reason(self, who: Literal["prediction", "gold"]) -> str:
        """E.g. 'prediction failed: no such table: x', 'prediction timed out after 1 s', 'gold failed: ...'."""
        if who == "gold":  # one prefix for every gold problem: they are data problems, grouped together
            return f"gold failed: {self.phrase()}"
        if self.kind == "error":
            return f"prediction failed: {self.detail}"
        return f"prediction {self.phrase()}"

    def phrase(self) -> str:
        if self.kind == "timeout":
            return f"timed out after {self.detail}"
        if self.kind == "rows":
            return f"returned more than {self.detail} rows"
        return self.detail


# Authorizer whitelist: reading and computing only. Everything else (INSERT/UPDATE/DELETE, CREATE/DROP,
# ATTACH/DETACH, PRAGMA, transactions, ANALYZE, ...) is denied at prepare time, so it fails before running.
_ALLOWED_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                              sqlite3.SQLITE_RECURSIVE})
_DENIED_FUNCTIONS = frozenset({"load_extension"})  # disabled in Python's sqlite3 anyway; belt and braces


def _authorize(action: int, arg1: str | None, arg2: str | None, db_name: str | None, source: str | None) -> int:
    if action not in _ALLOWED_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _decode_ignoring_errors(b: bytes) -> str:
    # As the official get_cursor_from_path: a few Spider databases hold invalid UTF-8, which would
    # otherwise make valid gold queries fail with "Could not decode to UTF-8".
    return b.decode(errors="ignore")


def connect_read_only(db: Path) -> sqlite3.Connection:
    """Open `db` so that no statement can change any file: read-only open (the OS-level guarantee),
    PRAGMA query_only (sqlite refuses writes), and an authorizer that only allows reading (so ATTACH
    cannot open or create another file and PRAGMA tricks are refused)."""
    # as_uri percent-escapes the path, so a folder named with '?' or '#' cannot inject URI parameters.
    conn = sqlite3.connect(Path(db).resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
    try:
        conn.text_factory = _decode_ignoring_errors
        conn.execute("PRAGMA query_only = ON")  # before the authorizer, which denies every PRAGMA
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        conn.set_authorizer(_authorize)
    except BaseException:
        conn.close()
        raise
    return conn


def run_query(db: Path, sql: str, timeout: float) -> Rows | QueryFailure:
    """All rows of `sql` on `db`, or why there are none. Never raises: any exception is a failure."""
    try:
        conn = connect_read_only(db)
    except Exception as e:  # noqa: BLE001 -- a database that cannot be opened fails every query on it
        return QueryFailure("error", _message(e))
    deadline = time.monotonic() + timeout
    # A non-zero return interrupts the running statement (sqlite3.OperationalError "interrupted"); this is
    # what stops a never-ending recursive CTE, which no Python-level timeout could stop without a thread.
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), PROGRESS_STEPS)
    try:
        return _fetch_all(conn, sql, deadline, timeout)
    except Exception as e:  # noqa: BLE001 -- syntax errors, denied statements, NUL bytes, surrogates, ...
        if time.monotonic() > deadline:
            return QueryFailure("timeout", f"{timeout:g} s")
        return QueryFailure("error", _message(e))
    finally:
        conn.close()


def _fetch_all(conn: sqlite3.Connection, sql: str, deadline: float, timeout: float) -> Rows | QueryFailure:
    # execute() rejects several statements ("You can only execute one statement at a time"), as the
    # official code, which also ran each query with cursor.execute.
    cur = conn.execute(sql)
    if cur.description is None:  # only comments, or a statement that returns no result set
        return QueryFailure("error", "not a query (it returns no result set)")
    rows: Rows = []
    while batch := cur.fetchmany(FETCH_BATCH):
        rows.extend(batch)
        if len(rows) > MAX_ROWS:
            return QueryFailure("rows", f"{MAX_ROWS}")
        if time.monotonic() > deadline:  # time spent in Python between batches counts too
            return QueryFailure("timeout", f"{timeout:g} s")
    return rows


def _message(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    return " ".join(text.split())[:REASON_CHARS]  # one line: the reason goes into tables and logs


# ---------------------------------------------------------------------------------------------------------
# Comparing results (exec_eval.py result_eq)


def result_eq(gold: Rows, pred: Rows, order_matters: bool) -> bool:
    """True when some permutation of pred's columns makes pred equal to gold: as lists of rows when
    `order_matters`, as bags of rows (duplicates count) otherwise. Values compare as Python values
    (1 == 1.0), as the official code compares fetched tuples directly.

    The official code enumerates column permutations (pruned by sampling rows); this finds the same
    answer exactly without enumerating them all."""
    if not gold and not pred:  # both empty: equal whatever their columns (as the official code)
        return True
    if len(gold) != len(pred) or len(gold[0]) != len(pred[0]):
        return False
    gold_cols, pred_cols = list(zip(*gold)), list(zip(*pred))
    if order_matters:
        # With rows in a fixed order, a column permutation works iff each gold column equals, as a
        # sequence, a distinct pred column: i.e. the two multisets of whole columns are equal.
        return Counter(gold_cols) == Counter(pred_cols)
    return _bag_equal_up_to_column_permutation(gold, pred, gold_cols, pred_cols)


def _bag_equal_up_to_column_permutation(gold: Rows, pred: Rows, gold_cols: list[tuple], pred_cols: list[tuple]) -> bool:
    """Backtracking over column assignments. Necessary conditions prune it to (nearly) linear work in
    practice: a gold column can only take a pred column with the same multiset of values, identical pred
    columns are interchangeable (tried once), and after each assignment the bags of rows projected on the
    columns assigned so far must already be equal."""
    n = len(gold_cols)
    gold_sig = [Counter(c) for c in gold_cols]
    pred_sig = [Counter(c) for c in pred_cols]
    candidates = [[k for k in range(n) if pred_sig[k] == gold_sig[j]] for j in range(n)]
    if any(not c for c in candidates):
        return False
    vector_id = _identical_column_ids(pred_cols)
    order = sorted(range(n), key=lambda j: len(candidates[j]))  # most constrained gold column first
    assigned: list[int] = []  # assigned[i] = pred column given to gold column order[i]
    used: set[int] = set()
    gold_bags: dict[int, Counter] = {}  # projection of gold on order[:depth], fixed by the order

    def gold_bag(depth: int) -> Counter:
        if depth not in gold_bags:
            gold_bags[depth] = _projected_bag(gold, order[:depth])
        return gold_bags[depth]

    def extend(depth: int) -> bool:
        if depth == n:
            return True
        tried: set[int] = set()
        for k in candidates[order[depth]]:
            if k in used or vector_id[k] in tried:
                continue
            tried.add(vector_id[k])
            used.add(k)
            assigned.append(k)
            # depth 0 needs no check: the column signatures already matched.
            if (depth == 0 or _projected_bag(pred, assigned) == gold_bag(depth + 1)) and extend(depth + 1):
                return True
            used.discard(k)
            assigned.pop()
        return False

    return extend(0)


def _identical_column_ids(cols: list[tuple]) -> list[int]:
    """Index of the first column equal to each column (swapping equal columns changes nothing)."""
    first: dict[tuple, int] = {}
    return [first.setdefault(c, k) for k, c in enumerate(cols)]


def _projected_bag(rows: Rows, columns: list[int]) -> Counter:
    pick = itemgetter(*columns)  # one column gives scalars, several give tuples: same on both sides
    return Counter(map(pick, rows))


def _mismatch_reason(gold: Rows, pred: Rows, order_matters: bool) -> str:
    if len(pred) != len(gold):
        return f"result differs: {len(pred)} rows, gold has {len(gold)}"
    if len(pred[0]) != len(gold[0]):
        return f"result differs: {len(pred[0])} columns, gold has {len(gold[0])}"
    if order_matters and result_eq(gold, pred, order_matters=False):
        return "result differs: right rows in the wrong order (gold has ORDER BY)"
    return "result differs: different rows"


# ---------------------------------------------------------------------------------------------------------
# execution_match


_CUR_YEAR = re.compile(r"YEAR\s*\(\s*CURDATE\s*\(\s*\)\s*\)\s*", flags=re.IGNORECASE)


def official_postprocess(sql: str) -> str:
    """The rewrites eval_exec_match and exec_on_db apply to both queries: tokenizer artefacts '> =' etc.
    (Spider's gold has them) and MySQL's YEAR(CURDATE()), which sqlite lacks, as 2020."""
    sql = sql.replace("> =", ">=").replace("< =", "<=").replace("! =", "!=")
    return _CUR_YEAR.sub("2020", sql)


_QUOTED_OR_WORD = re.compile(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`)|\bdistinct\b", re.IGNORECASE)


def remove_distinct(sql: str) -> str:
    """The official parse.remove_distinct: drop every DISTINCT keyword (string literals untouched).
    The official code joins sqlparse tokens without it, which leaves the surrounding whitespace: so do we."""
    return _QUOTED_OR_WORD.sub(lambda m: m.group(1) or "", sql)


def prediction_problem(pred_sql: object) -> str | None:
    """Why a prediction is wrong before running it, or None."""
    if not isinstance(pred_sql, str):
        return f"prediction is not a string ({type(pred_sql).__name__})"
    if not pred_sql.strip():
        # Run as is it would give no rows and so "match" any empty gold result; it says nothing.
        return "empty prediction"
    if len(pred_sql) > MAX_SQL_CHARS:
        return f"prediction too long ({len(pred_sql)} characters > {MAX_SQL_CHARS})"
    return None


def suite_databases(db_folder: Path) -> list[Path]:
    """Every *.sqlite of the folder, the original `<db_id>.sqlite` first (so single-database reasons
    refer to it), then by name for a deterministic order."""
    folder = Path(db_folder)
    if not folder.is_dir():
        return []
    dbs = [p for p in folder.glob("*.sqlite") if p.is_file()]
    return sorted(dbs, key=lambda p: (p.stem != folder.name, p.name))


def execution_match(pred_sql: str, gold_sql: str, db_folder: Path, timeout: float,
                    keep_distinct: bool = False) -> Verdict:
    """Official Spider execution accuracy (test-suite semantics) of one prediction; see the module doc.
    Wrong when the prediction fails, times out, exceeds the row cap, or differs on any database; a gold
    that fails is also wrong, with a reason starting "gold failed:" (a data problem to look into)."""
    dbs = suite_databases(db_folder)
    if not dbs:
        return Verdict(False, f"no database: no *.sqlite in {db_folder}")
    problem = prediction_problem(pred_sql)
    if problem:
        return Verdict(False, problem)
    pred, gold = official_postprocess(pred_sql), official_postprocess(gold_sql)
    if not keep_distinct:  # the official default (evaluation.py --keep_distinct is off unless given)
        pred, gold = remove_distinct(pred), remove_distinct(gold)
    # As the official code: ORDER BY anywhere in the gold (a subquery too) makes row order count.
    order_matters = "order by" in gold.lower()
    where = (lambda db: f" (on {db.name})") if len(dbs) > 1 else (lambda db: "")
    for db in dbs:  # the official order: gold, then prediction, stopping at the first mismatch
        gold_rows = run_query(db, gold, timeout)
        if isinstance(gold_rows, QueryFailure):
            return Verdict(False, gold_rows.reason("gold") + where(db))
        pred_rows = run_query(db, pred, timeout)
        if isinstance(pred_rows, QueryFailure):
            return Verdict(False, pred_rows.reason("prediction") + where(db))
        if not result_eq(gold_rows, pred_rows, order_matters):
            return Verdict(False, _mismatch_reason(gold_rows, pred_rows, order_matters) + where(db))
    return Verdict(True)


# ---------------------------------------------------------------------------------------------------------
# original_match (the authors' check through the sqlite3 command-line tool)


@dataclass(frozen=True)
class CliRun:
    stdout: str
    failed: bool  # non-zero exit code or anything on stderr
    message: str  # the first line of stderr, for reasons


@functools.cache
def _cli_flags(cli: str) -> tuple[str, ...] | None:
    """Safety flags the installed CLI supports, or None when it cannot open read-only at all.
    -safe (3.37+) refuses dot-commands such as .shell/.output/.open and ATTACH, since the SQL argument of
    the CLI may also be a dot-command. -init to the null device skips ~/.sqliterc, which could change the
    output format and so the compared strings."""
    try:
        help_text = subprocess.run([cli, "-help"], capture_output=True, text=True, timeout=10,
                                   stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    text = help_text.stdout + help_text.stderr
    if "-readonly" not in text:
        return None
    return ("-readonly", *(("-safe",) if "-safe" in text else ()), "-init", os.devnull)


def _run_cli(cli: str, flags: tuple[str, ...], db_file: Path, sql: str, timeout: float) -> CliRun | None:
    """The authors' `subprocess.run(["sqlite3", dbfile, sql], capture_output=True, text=True)` plus safety
    flags and a time limit. None on timeout (subprocess.run kills the tool then)."""
    try:
        proc = subprocess.run([cli, *flags, str(db_file), sql], capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL,  # an argument like "-interactive" must not wait on input
                              encoding="utf-8", errors="replace")  # text=True would raise on invalid UTF-8
    except subprocess.TimeoutExpired:
        return None
    except Exception as e:  # noqa: BLE001 -- NUL byte in the argument, unencodable surrogates, E2BIG, ...
        return CliRun("", True, _message(e))
    stderr = proc.stderr.strip()
    message = stderr.splitlines()[0][:REASON_CHARS] if stderr else f"exit code {proc.returncode}"
    return CliRun(proc.stdout, proc.returncode != 0 or bool(stderr), message)


def original_match(pred_sql: str, gold_sql: str, db_file: Path, timeout: float) -> Verdict:
    """The authors' check: correct when the sqlite3 tool prints the same stdout for both queries.
    Faithful on purpose, including its false positive (an erroring prediction prints nothing and matches
    an empty gold result; the reason says so). Undecided (None) when the tool is not installed."""
    cli = shutil.which("sqlite3")
    if cli is None:
        return Verdict(None, NO_CLI_REASON)
    flags = _cli_flags(cli)
    if flags is None:
        return Verdict(None, f"the sqlite3 tool at {cli} cannot open databases read-only (no -readonly)")
    db_file = Path(db_file)
    if not db_file.is_file():  # the tool would create an empty database there, and every query would fail
        return Verdict(False, f"no database file {db_file}")
    if not isinstance(pred_sql, str):
        return Verdict(False, f"prediction is not a string ({type(pred_sql).__name__})")
    if len(pred_sql) > MAX_SQL_CHARS:  # also keeps the argument under the OS limit on one argv string
        return Verdict(False, f"prediction too long ({len(pred_sql)} characters > {MAX_SQL_CHARS})")
    # Empty predictions are not special-cased: the authors' check ran them (and matched empty golds).
    gold = _run_cli(cli, flags, db_file, gold_sql, timeout)
    if gold is None:
        return Verdict(False, f"gold timed out after {timeout:g} s")
    pred = _run_cli(cli, flags, db_file, pred_sql, timeout)
    if pred is None:
        return Verdict(False, f"timed out after {timeout:g} s")
    correct = pred.stdout == gold.stdout
    extracted = pred.stdout[:200]
    if gold.failed:  # a data problem: flag it, but keep the faithful string comparison's answer
        return Verdict(correct, f"gold failed: {gold.message}", extracted)
    if correct:
        # Label the matches that say nothing about the prediction, so reports can count them.
        reason = FALSE_POSITIVE_REASON if pred.failed else EMPTY_MATCH_REASON if not pred_sql.strip() else ""
        return Verdict(True, reason, extracted)
    reason = f"prediction failed: {pred.message}" if pred.failed else "stdout differs"
    return Verdict(False, reason, extracted)
