"""Spider execution scoring (tasks/sql_exec.py) on tiny databases the tests build themselves.

`shop/shop.sqlite` is the "original" database; `shop/shop_alt.sqlite` plays a test-suite database on
which a prediction that is right by accident on the original gives a different result.
"""
from __future__ import annotations

import hashlib
import itertools
import random
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from tasks import sql_exec
from tasks.base import Verdict
from tasks.sql_exec import (EMPTY_MATCH_REASON, FALSE_POSITIVE_REASON, NO_CLI_REASON, execution_match, original_match,
                            remove_distinct,
                            result_eq)

SINGERS = [(1, "Ann", "FR", 30), (2, "Bob", "US", None), (3, "Cid", "FR", 30), (4, "Dee", "US", 25),
           (5, "Eve", None, 40)]
CONCERTS = [(1, 1, 2014), (2, 1, 2015), (3, 3, 2014), (4, 4, 2014)]
# Same schema; Fay (29) separates "age > 28" from "age >= 30", which agree on the original database.
SINGERS_ALT = SINGERS + [(6, "Fay", "DE", 29)]

INFINITE_CTE = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"
NEEDS_CLI = pytest.mark.skipif(shutil.which("sqlite3") is None, reason="no sqlite3 command-line tool")


def make_db(path: Path, singers: list[tuple]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE singer (id INTEGER PRIMARY KEY, name TEXT, country TEXT, age INTEGER)")
    conn.execute("CREATE TABLE concert (id INTEGER PRIMARY KEY, singer_id INTEGER, year INTEGER)")
    conn.executemany("INSERT INTO singer VALUES (?, ?, ?, ?)", singers)
    conn.executemany("INSERT INTO concert VALUES (?, ?, ?)", CONCERTS)
    conn.commit()
    conn.close()
    return path


@pytest.fixture
def shop(tmp_path) -> Path:
    """The folder of a database with only its original file (plain execution accuracy)."""
    make_db(tmp_path / "db" / "shop" / "shop.sqlite", SINGERS)
    return tmp_path / "db" / "shop"


@pytest.fixture
def suite(tmp_path) -> Path:
    """The folder of a database with a second, test-suite database."""
    folder = tmp_path / "suite" / "shop"
    make_db(folder / "shop.sqlite", SINGERS)
    make_db(folder / "shop_alt.sqlite", SINGERS_ALT)
    return folder


def snapshot(folder: Path) -> dict[str, str]:
    """Every file of the folder and its hash: a write, a new journal or an attached file all show."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def run(pred: str, gold: str, folder: Path, timeout: float = 5.0) -> Verdict:
    return execution_match(pred, gold, folder, timeout=timeout)


# --- result semantics ------------------------------------------------------------------------------------


@pytest.mark.parametrize("pred, gold", [
    ("SELECT age, name FROM singer", "SELECT name, age FROM singer"),  # column order is free
    ("SELECT name FROM singer ORDER BY name DESC", "SELECT name FROM singer"),  # no ORDER BY in gold: a bag
    ("select T2.name, count(*) from concert as T1 join singer as T2 on T1.singer_id = T2.id group by T2.id",
     "SELECT count(*), s.name FROM singer s JOIN concert c ON c.singer_id = s.id GROUP BY s.name"),
    ("SELECT country FROM singer ORDER BY country", "SELECT country FROM singer"),  # NULLs equal NULLs
    ("SELECT age, name FROM singer ORDER BY age DESC, name",
     "SELECT name, age FROM singer ORDER BY age DESC, name"),  # ordered, columns still free
    ("SELECT name FROM singer WHERE age > = 30", "SELECT name FROM singer WHERE age >= 30"),  # official postprocess
])
def test_equivalent_predictions_are_correct(shop, pred, gold):
    assert run(pred, gold, shop) == Verdict(True)


def test_row_order_counts_when_gold_orders(shop):
    v = run("SELECT name FROM singer ORDER BY age DESC, name", "SELECT name FROM singer ORDER BY age, name", shop)
    assert v.correct is False and "wrong order" in v.reason


def test_duplicates_count_bag_not_set(shop):
    # FR, US, FR against FR, US, US: same set, same length, different bags.
    gold = "SELECT country FROM singer WHERE id IN (1, 2, 3)"
    v = run("SELECT country FROM singer WHERE id IN (1, 2, 4)", gold, shop)
    assert v.correct is False and v.reason == "result differs: different rows"


def test_distinct_that_changes_the_bag_is_wrong_with_keep_distinct(shop):
    v = execution_match("SELECT DISTINCT country FROM singer", "SELECT country FROM singer", shop, timeout=5,
                        keep_distinct=True)
    assert v.correct is False and v.reason == "result differs: 3 rows, gold has 5"


def test_distinct_is_removed_by_default_as_the_official_evaluation(shop):
    # official exec_eval.eval_exec_match strips DISTINCT from both queries unless --keep_distinct
    assert run("SELECT DISTINCT country FROM singer", "SELECT country FROM singer", shop).correct is True
    assert remove_distinct("SELECT DISTINCT a FROM t WHERE b = 'distinct' AND c = \"Distinct\"") == \
        "SELECT  a FROM t WHERE b = 'distinct' AND c = \"Distinct\""
    assert remove_distinct("select count(distinct x), distinctive from t") == "select count( x), distinctive from t"


def test_null_comparison_mistake_is_wrong(shop):
    v = run("SELECT name FROM singer WHERE age = NULL", "SELECT name FROM singer WHERE age IS NULL", shop)
    assert v.correct is False and v.reason == "result differs: 0 rows, gold has 1"


def test_wrong_columns_are_wrong(shop):
    v = run("SELECT name, age FROM singer", "SELECT name FROM singer", shop)
    assert v.correct is False and v.reason == "result differs: 2 columns, gold has 1"


def test_prediction_must_match_on_every_database_of_the_suite(shop, suite):
    gold, lucky = "SELECT name FROM singer WHERE age > 28", "SELECT name FROM singer WHERE age >= 30"
    assert run(lucky, gold, shop) == Verdict(True)  # right by accident on the original database alone
    assert run(lucky, gold, suite) == Verdict(False, "result differs: 3 rows, gold has 4 (on shop_alt.sqlite)")
    assert run("SELECT name FROM singer WHERE 28 < age", gold, suite) == Verdict(True)


# --- result_eq against a brute force over column permutations ----------------------------------------------


def brute_force_eq(gold: list[tuple], pred: list[tuple], order_matters: bool) -> bool:
    """The definition, by enumeration: some column permutation of pred equals gold (as lists or bags)."""
    if not gold and not pred:
        return True
    if len(gold) != len(pred) or len(gold[0]) != len(pred[0]):
        return False
    for perm in itertools.permutations(range(len(gold[0]))):
        permuted = [tuple(row[i] for i in perm) for row in pred]
        if (permuted == gold) if order_matters else (sorted(map(repr, permuted)) == sorted(map(repr, gold))):
            return True
    return False


def test_result_eq_agrees_with_brute_force_on_random_tables():
    rng = random.Random(0)
    outcomes = set()
    for _ in range(400):
        cols, nrows = rng.randint(1, 4), rng.randint(1, 5)
        gold = [tuple(rng.choice([0, 1, None]) for _ in range(cols)) for _ in range(nrows)]
        # Half the time pred is gold with permuted columns and rows (often equal), else random (rarely).
        if rng.random() < 0.5:
            perm = rng.sample(range(cols), cols)
            pred = [tuple(row[i] for i in perm) for row in rng.sample(gold, nrows)]
            if rng.random() < 0.3:  # and sometimes one value changed
                r, c = rng.randrange(nrows), rng.randrange(cols)
                pred[r] = pred[r][:c] + (rng.choice([0, 1, None]),) + pred[r][c + 1:]
        else:
            pred = [tuple(rng.choice([0, 1, None]) for _ in range(cols)) for _ in range(nrows)]
        for order_matters in (False, True):
            expected = brute_force_eq(gold, pred, order_matters)
            assert result_eq(gold, pred, order_matters) == expected, (gold, pred, order_matters)
            outcomes.add((order_matters, expected))
    assert len(outcomes) == 4  # both answers, with and without row order, were exercised


def test_result_eq_edge_cases():
    # Same value multiset in every column, yet no column permutation gives the same bag of rows.
    assert not result_eq([(1, 2), (2, 1)], [(1, 1), (2, 2)], order_matters=False)
    assert result_eq([], [], order_matters=True)  # both empty: equal, as the official code
    assert not result_eq([(1,)], [], order_matters=False)
    assert result_eq([(1, "a")], [(1.0, "a")], order_matters=False)  # Python value equality, as official
    assert result_eq([(1, "a"), (2, "b")], [("a", 1), ("b", 2)], order_matters=True)
    assert not result_eq([(1, "a"), (2, "b")], [("b", 2), ("a", 1)], order_matters=True)
    wide = [tuple(range(i, i + 12)) for i in range(50)]  # 12! permutations: must not be enumerated
    assert result_eq(wide, [tuple(reversed(r)) for r in reversed(wide)], order_matters=False)


# --- failures ---------------------------------------------------------------------------------------------


def test_failing_prediction_is_wrong_with_the_sqlite_message(shop):
    v = run("SELECT * FROM nope", "SELECT name FROM singer WHERE age > 100", shop)  # empty gold result
    assert v == Verdict(False, "prediction failed: no such table: nope")
    v = run("SELEC name FROM singer", "SELECT name FROM singer", shop)
    assert v.correct is False and v.reason.startswith("prediction failed:") and "syntax error" in v.reason


def test_failing_gold_is_flagged(shop):
    v = run("SELECT name FROM singer", "SELECT name FROM singers", shop)
    assert v == Verdict(False, "gold failed: no such table: singers")


@pytest.mark.parametrize("pred, reason", [
    ("", "empty prediction"),
    ("  \n\t ", "empty prediction"),
    ("SELECT name FROM singer" + " " * 30_000, "prediction too long (30023 characters > 20000)"),
    ("-- just a comment", "prediction failed: not a query (it returns no result set)"),
    ("SELECT name FROM singer; SELECT 1", "prediction failed: You can only execute one statement at a time."),
    ("SELECT \x00 FROM singer", "prediction failed: the query contains a null character"),
    (None, "prediction is not a string (NoneType)"),
])
def test_degenerate_predictions_are_wrong(shop, pred, reason):
    assert run(pred, "SELECT name FROM singer", shop) == Verdict(False, reason)


@pytest.mark.parametrize("pred", ["\udcff\udcfe SELECT", "\x89PNG\r\n\x1a\n\x00\x00", "\ufffd" * 100, b"SELECT 1"])
def test_binary_predictions_are_wrong_not_raising(shop, pred):
    v = run(pred, "SELECT name FROM singer", shop)
    assert v.correct is False and v.reason


def test_no_database(tmp_path):
    assert run("SELECT 1", "SELECT 1", tmp_path / "missing").reason.startswith("no database")
    (tmp_path / "empty").mkdir()
    assert run("SELECT 1", "SELECT 1", tmp_path / "empty").reason.startswith("no database")


# --- safety -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pred", [
    "DROP TABLE singer",
    "INSERT INTO singer VALUES (9, 'Zed', 'UK', 50)",
    "UPDATE singer SET age = 0",
    "DELETE FROM singer",
    "CREATE TABLE t (x)",
    "CREATE TEMP TABLE t (x)",
    "ATTACH DATABASE '{tmp}/attached.db' AS y",
    "VACUUM INTO '{tmp}/copy.db'",
    "PRAGMA writable_schema = 1",
    "PRAGMA query_only = OFF",
    "SELECT name FROM singer; DROP TABLE singer",
    "BEGIN",
])
def test_writes_change_nothing_and_are_wrong(shop, tmp_path, pred):
    pred = pred.format(tmp=tmp_path)
    before = snapshot(shop)
    v = run(pred, "SELECT name FROM singer", shop)
    assert v.correct is False and v.reason.startswith("prediction failed:"), v
    assert snapshot(shop) == before
    assert not (tmp_path / "attached.db").exists() and not (tmp_path / "copy.db").exists()
    assert run("SELECT name FROM singer", "SELECT name FROM singer", shop) == Verdict(True)  # still readable


def test_never_ending_query_times_out(shop):
    start = time.monotonic()
    v = run(INFINITE_CTE, "SELECT count(*) FROM singer", shop, timeout=1)
    assert time.monotonic() - start < 30  # generous: the budget is 1 s
    assert v == Verdict(False, "prediction timed out after 1 s")


def test_gold_timing_out_is_a_gold_failure(shop):
    assert run("SELECT 1", INFINITE_CTE, shop, timeout=0.5) == Verdict(False, "gold failed: timed out after 0.5 s")


def test_row_cap(shop, monkeypatch):
    monkeypatch.setattr(sql_exec, "MAX_ROWS", 3)
    monkeypatch.setattr(sql_exec, "FETCH_BATCH", 2)
    v = run("SELECT a.name FROM singer a, singer b", "SELECT name FROM singer LIMIT 1", shop)
    assert v == Verdict(False, "prediction returned more than 3 rows")


def test_huge_values_are_refused(shop):
    v = run("SELECT zeroblob(100000000)", "SELECT 1", shop)
    assert v == Verdict(False, "prediction failed: string or blob too big")


# --- original_match (the authors' sqlite3 CLI check) ------------------------------------------------------


def orig(pred: str, gold: str, folder: Path, timeout: float = 5.0) -> Verdict:
    return original_match(pred, gold, folder / "shop.sqlite", timeout=timeout)


@NEEDS_CLI
def test_original_compares_stdout_strings(shop):
    v = orig("SELECT name FROM singer WHERE country = 'FR'", "SELECT name FROM singer WHERE age = 30", shop)
    assert v == Verdict(True, "", "Ann\nCid\n")
    # Same rows, other order: the strings differ, so the original check says wrong (exec says right).
    v = orig("SELECT name FROM singer ORDER BY name DESC", "SELECT name FROM singer", shop)
    assert v.correct is False and v.reason == "stdout differs" and v.extracted.startswith("Eve\n")
    assert orig("SELECT age, name FROM singer", "SELECT name, age FROM singer", shop).correct is False


@NEEDS_CLI
def test_original_false_positive_is_reproduced_and_labelled(shop):
    empty_gold = "SELECT name FROM singer WHERE age > 100"
    assert orig("SELECT * FROM nope", empty_gold, shop) == Verdict(True, FALSE_POSITIVE_REASON, "")
    assert run("SELECT * FROM nope", empty_gold, shop).correct is False  # the proper metric disagrees
    assert orig("", empty_gold, shop) == Verdict(True, EMPTY_MATCH_REASON, "")  # the authors ran it as is
    v = orig("SELECT * FROM nope", "SELECT name FROM singer", shop)
    assert v.correct is False and v.reason.startswith("prediction failed:") and "no such table: nope" in v.reason


@NEEDS_CLI
def test_original_gold_failure_is_flagged(shop):
    v = orig("SELECT name FROM singer", "SELECT name FROM singers", shop)
    assert v.correct is False and v.reason.startswith("gold failed:")


@NEEDS_CLI
@pytest.mark.parametrize("pred", [
    "DROP TABLE singer",
    "INSERT INTO singer VALUES (9, 'Zed', 'UK', 50)",
    "ATTACH DATABASE '{tmp}/attached.db' AS y; CREATE TABLE y.t (x)",
    "SELECT 1; DELETE FROM singer",
    ".shell touch {tmp}/pwned",
    ".output {tmp}/pwned",
    "-append",  # a prediction that looks like an option of the tool
])
def test_original_is_read_only(shop, tmp_path, pred):
    pred = pred.format(tmp=tmp_path)
    before = snapshot(shop)
    v = orig(pred, "SELECT name FROM singer", shop)
    assert v.correct is False
    assert snapshot(shop) == before
    assert not (tmp_path / "attached.db").exists() and not (tmp_path / "pwned").exists()
    assert orig("SELECT name FROM singer", "SELECT name FROM singer", shop).correct is True


@NEEDS_CLI
def test_original_times_out(shop):
    start = time.monotonic()
    v = orig(INFINITE_CTE, "SELECT count(*) FROM singer", shop, timeout=1)
    assert time.monotonic() - start < 30
    assert v.correct is False and v.reason.startswith("timed out")


@NEEDS_CLI
@pytest.mark.parametrize("pred", ["SELECT \x00", "\udcff SELECT", "x" * 200_000])
def test_original_degenerate_predictions_do_not_raise(shop, pred):
    assert orig(pred, "SELECT name FROM singer", shop).correct is False


def test_original_without_the_cli_is_undecided(shop, monkeypatch):
    monkeypatch.setattr(sql_exec.shutil, "which", lambda name: None)
    assert orig("SELECT 1", "SELECT 1", shop) == Verdict(None, NO_CLI_REASON)
