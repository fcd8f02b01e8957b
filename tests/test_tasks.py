"""Every registered task: it loads, its views build, and each scorer calls a gold answer right and a wrong
one wrong. Real data is used when the data directory has it (CI does), else rows written here."""
import sqlite3

import pytest

from benchmark.training.views import ViewBuilder
from tasks import all_tasks, get_task, load_split, resolve_data_dir
from tasks.base import ScoringContext, score_all
from tasks.jsonl import Example

# The paper's own datasets: their tasks carry the paper's numbers and the authors' check as a parity metric.
# A task of one's own (README, "Adding a task") needs neither.
PAPER_TASKS = {"synth", "turk", "gsm8k", "spider", "rotten_tomatoes", "yelp", "nq_open", "hellaswag"}
WRONG = "§ certainly not the answer §"


def fixture_examples(task):
    """The task's own fixture rows (`Task.fixtures`: user, assistant[, text, code]) as examples."""
    if not task.fixtures:
        pytest.fail(f"task {task.name!r} declares no fixture rows: add `fixtures=((user, assistant), ...)` "
                    "(two rows or more) to its Task record, which the registry-wide tests build and score")
    out = []
    for r in task.fixtures:
        msgs = ({"role": "system", "content": task.system_prompt}, {"role": "user", "content": r[0]},
                {"role": "assistant", "content": r[1]})
        views = ({"text": ({"role": "user", "content": r[2]},), "code": ({"role": "assistant", "content": r[3]},)}
                 if len(r) == 4 else {})
        out.append(Example(msgs, **views))
    return out


def shop_databases(root):
    """A tiny Spider-style database folder: <root>/shop/shop.sqlite."""
    folder = root / "shop"
    folder.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(folder / "shop.sqlite")
    con.executescript("CREATE TABLE singer (singer_id INTEGER, name TEXT, age INTEGER);"
                      "INSERT INTO singer VALUES (1, 'Ann', 31), (2, 'Bo', 45), (3, 'Cy', 22);")
    con.commit()
    con.close()
    return root


def real_examples(task, split, n=5):
    root = resolve_data_dir(None)
    if split not in task.files or not (root / task.files[split]).is_file():
        return None
    return load_split(task, split, limit=n, subset="random")  # spread over the file (some are sorted by label)


def gold_answer(task, ex):
    """What a perfect model outputs: the gold itself, or one of NQ-Open's '; '-joined golds."""
    return ex.assistant.split("; ")[0] if task.name == "nq_open" else ex.assistant


def wrong_answer(task, ex):
    if task.kind == "choice":
        return next(c for c in task.choices if c != ex.assistant)
    return WRONG


def test_every_task_declares_what_reports_need():
    from benchmark.analysis.paper import load_paper_numbers

    with_numbers = set(load_paper_numbers()["task"])  # the paper's numbers have one home: reports read this table
    for t in all_tasks():
        assert t.version == len(t.changelog) and t.license and t.source and t.files and t.fixtures, t.name
        if t.name in PAPER_TASKS:  # the paper's tasks: its numbers and the authors' check
            assert t.metrics and t.main_metric and any(m.parity for m in t.metrics), t.name
            assert t.name in with_numbers, f"{t.name}: no row of the paper's numbers names this task"
    assert PAPER_TASKS <= {t.name for t in all_tasks()}


@pytest.mark.parametrize("name", sorted(t.name for t in all_tasks()))
def test_task_loads_builds_views_and_scores(name, tiny, tmp_path):
    task = get_task(name)
    _, tok = tiny
    examples = fixture_examples(task)
    for split in task.files:
        real = real_examples(task, split)
        if real is not None:  # the real rows: the declared system prompt must be the data's
            assert {ex.system for ex in real} == {task.system_prompt}, f"{name} {split}: system prompt changed"
            if name != "spider":  # no databases here to score real Spider rows
                examples = real + examples
    builder = ViewBuilder(tok, predictors=2, plain=name == "paraphrase")
    for ex in examples:
        built = builder.build(ex)
        assert built.source_ids and built.target_ids and any(built.full_labels)
    if not task.metrics:
        return
    ctx = ScoringContext(spider_db_dir=shop_databases(tmp_path / "db"), dfa_timeout=30.0, sql_timeout=5.0)
    task.check_context([e for e in examples if name == "spider"] or examples, ctx)
    for ex in examples:
        right = score_all(task, gold_answer(task, ex), ex, ctx)
        assert all(v.correct is True for v in right.values()), (name, ex.assistant, right)
        bad = score_all(task, wrong_answer(task, ex), ex, ctx)
        assert all(v.correct is False for v in bad.values()), (name, ex.assistant, bad)


@pytest.mark.parametrize("output", ["", "x" * 200_000, "\x00\xff\ufffd" * 50, "SELECT * FROM nowhere;", "((("])
def test_bad_outputs_are_scored_wrong_with_a_reason_never_a_crash(output, tmp_path):
    ctx = ScoringContext(spider_db_dir=shop_databases(tmp_path / "db"), dfa_timeout=5.0, sql_timeout=2.0)
    for task in all_tasks():
        if not task.metrics:
            continue
        ex = fixture_examples(task)[-1]  # not row 0: some NL-RX golds denote only the empty string, so "" is right
        for metric, v in score_all(task, output, ex, ctx).items():
            assert not v.reason.startswith("scorer error"), (task.name, metric, v.reason)
            if not (task.name == "nq_open" and metric == "original" and output == ""):  # the authors' quirk
                assert v.correct is not True, (task.name, metric, output[:20])


def test_gsm8k_conventions_differ_where_they_should():
    task = get_task("gsm8k")
    ex = fixture_examples(task)[1]  # gold "#### 2,000"
    ctx = ScoringContext()
    v = score_all(task, "so 2000 in total\n#### 2000", ex, ctx)
    assert v["original"].correct is False  # raw string equality: "2000" != "2,000"
    assert v["strict"].correct is True and v["flexible"].correct is True  # lm-eval drops commas
    v = score_all(task, "The answer is $2,000.", ex, ctx)
    assert v["strict"].correct is False and v["strict"].extracted == "[invalid]"
    assert v["flexible"].correct is True  # last number, "$" and final "." ignored
    v = score_all(task, "#### 2,000\nextra", ex, ctx)
    assert v["original"].correct is False  # the authors' regex needs the answer on the last line


def test_nq_open_three_directions():
    task = get_task("nq_open")
    ex = fixture_examples(task)[0]  # golds "William Shakespeare" and "Shakespeare"
    ctx = ScoringContext()
    v = score_all(task, "It was written by William Shakespeare.", ex, ctx)
    assert v["contains"].correct and not v["original"].correct and not v["squad_em"].correct
    v = score_all(task, "Shakes", ex, ctx)  # a piece of the gold: the original check accepts it
    assert v["original"].correct and not v["contains"].correct
    v = score_all(task, "the Shakespeare!", ex, ctx)
    assert v["squad_em"].correct
    assert score_all(task, "", ex, ctx)["original"].correct  # the authors' empty-generation quirk, reproduced


def test_unknown_metric_and_split_are_one_line_errors(data_dir):
    from tasks import UnknownNameError

    with pytest.raises(UnknownNameError, match="Did you mean 'exact'"):
        get_task("synth").metric("exakt")
    with pytest.raises(UnknownNameError, match="--val-fraction"):
        load_split(get_task("synth"), "val", data_dir)


def test_validation_split_is_deterministic_disjoint_and_shared_by_seeds(tmp_path):
    from conftest import write_jsonl

    rows = [(f"question {i}", f"answer {i}") for i in range(40)]
    write_jsonl(tmp_path / "synth_train.jsonl", rows)
    task = get_task("synth")
    train = load_split(task, "train", tmp_path, val_fraction=0.25)
    val = load_split(task, "val", tmp_path, val_fraction=0.25)
    assert len(val) == 10 and len(train) == 30
    assert not {e.user for e in train} & {e.user for e in val}
    assert [e.user for e in load_split(task, "val", tmp_path, val_fraction=0.25)] == [e.user for e in val]
    assert [e.user for e in load_split(task, "train", tmp_path, limit=5, val_fraction=0.25)] == [e.user for e in train[:5]]
    assert [e.user for e in val] != [f"question {i}" for i in range(10)]  # shuffled, not the first rows


def test_spider_needs_its_databases(tmp_path):
    from tasks.base import ScoringSetupError

    task = get_task("spider")
    exs = fixture_examples(task)
    with pytest.raises(ScoringSetupError, match="--spider-db-dir"):
        task.check_context(exs, ScoringContext())
    with pytest.raises(ScoringSetupError, match="missing under"):
        task.check_context(exs, ScoringContext(spider_db_dir=tmp_path))


def test_a_random_subset_is_seeded_spread_and_the_same_for_every_run():
    from tasks import take_subset

    rows = list(range(1000))
    first = take_subset(rows, 100, "random")
    assert first == take_subset(rows, 100, "random") == sorted(first)     # fixed seed, file order kept
    assert len(set(first)) == 100 and max(first) > 500                      # spread over the file, no repeats
    assert take_subset(rows, 100, "head") == rows[:100]
    assert take_subset(rows, None, "random") == rows == take_subset(rows, 5000, "random")
    with pytest.raises(ValueError, match="subset must be one of"):
        take_subset(rows, 10, "first")


def test_a_nested_subset_holds_every_smaller_one():
    """`nested` keeps the first N of one fixed shuffle: the 125 rows of a learning curve's smallest point are
    among its 500, and those among its 2000 (`random` does not promise it: random.sample changes algorithm with
    the sample size, and its 500 and 2000 draws of 7800 rows are not nested)."""
    from tasks import take_subset

    rows = list(range(7800))
    small, mid, large = (take_subset(rows, n, "nested") for n in (125, 500, 2000))
    assert set(small) < set(mid) < set(large) and (len(small), len(mid), len(large)) == (125, 500, 2000)
    assert large == sorted(large) == take_subset(rows, 2000, "nested")       # file order, fixed seed
    assert max(small) > 3900 and small != rows[:125]                          # spread over the file
    assert not set(take_subset(rows, 500, "random")) <= set(take_subset(rows, 2000, "random"))
    assert take_subset(rows, None, "nested") == rows


def test_subsets_through_load_split_on_a_label_sorted_file(tmp_path):
    """Head subsets of a file sorted by answer are refused; random ones mix the answers; a limit that takes
    the whole file, or a file with one answer only, is left alone."""
    from conftest import write_jsonl
    from tasks import DataError

    rows = [(f"review {i}", "Good" if i < 50 else "Bad") for i in range(100)]
    write_jsonl(tmp_path / "rotten_tomatoes_test.jsonl", rows)
    task = get_task("rotten_tomatoes")
    with pytest.raises(DataError, match="first 10 test rows"):
        load_split(task, "test", tmp_path, 10)
    mixed = load_split(task, "test", tmp_path, 10, subset="random")
    assert {e.assistant for e in mixed} == {"Good", "Bad"}
    assert len(load_split(task, "test", tmp_path, 100)) == 100
    write_jsonl(tmp_path / "rotten_tomatoes_test.jsonl", [(f"review {i}", "Good") for i in range(20)])
    assert len(load_split(task, "test", tmp_path, 10)) == 10
    # validation carving comes first; the limit then takes its subset of the carved training rows
    write_jsonl(tmp_path / "rotten_tomatoes_train.jsonl", rows)
    with pytest.raises(DataError, match="--train-subset random"):
        load_split(task, "train", tmp_path, 10, val_fraction=0.1)
    train = load_split(task, "train", tmp_path, 10, val_fraction=0.1, subset="random")
    val = load_split(task, "val", tmp_path, None, val_fraction=0.1)
    assert not {e.user for e in train} & {e.user for e in val}


def test_a_task_without_fixture_rows_fails_saying_what_to_add():
    import dataclasses

    bare = dataclasses.replace(get_task("synth"), name="bare", fixtures=())
    with pytest.raises(pytest.fail.Exception, match="declares no fixture rows: add `fixtures="):
        fixture_examples(bare)
