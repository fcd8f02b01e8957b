"""paper/paper_numbers.csv: it is consistent with the task registry, it holds the numbers of the
notes on the papers, and the validator catches what it should."""
import math

import pandas as pd
import pytest

from benchmark.analysis.paper import EVIDENCE, PAPER_VERSIONS, load_paper_numbers, paper_cell, validate


@pytest.fixture(scope="module")
def df():
    return load_paper_numbers()


def test_shipped_csv_validates(df):
    assert validate(df) == []


def test_dtypes(df):
    for c in ("lbd", "predictors", "lr", "epoch", "pflops", "mean", "std", "p_value", "n_seeds"):
        assert df[c].dtype == float, c
    for c in ("front_pred", "reverse_pred", "pretrain"):
        assert str(df[c].dtype) == "boolean", c
    assert set(df["evidence"]) <= set(EVIDENCE)


def test_every_table_has_rows(df):
    tables = set(df["source_table"])
    for t in ("Table 2", "Table 3", "Table 4", "Table 5", "Table 6", "Table 9", "Table 12", "Table 13", "Table 14",
              "Table 15", "Fig. 1", "Fig. 3", "STP Table 1", "STP Table 2"):
        assert t in tables, t


def close(value, expected):
    return math.isclose(value, expected, rel_tol=0, abs_tol=1e-9)


def test_table3(df):
    base = paper_cell(df, table="Table 3", task="synth", method="regular")
    jepa = paper_cell(df, table="Table 3", task="synth", method="jepa")
    assert (base["mean"], base["std"]) == (57.29, 5.32)
    assert (jepa["mean"], jepa["std"], jepa["lbd"], jepa["predictors"], jepa["lr"]) == (71.46, 1.34, 1, 1, 2e-5)
    assert jepa["metric"] == "exact" and jepa["evidence"] == "main text"
    l2 = paper_cell(df, table="Table 3", task="synth", method="jepa-l2")
    assert (l2["mean"], l2["distance"]) == (2.22, "l2")
    front = paper_cell(df, table="Table 3", task="synth", method="jepa-front_pred")
    assert bool(front["front_pred"]) and not bool(front["reverse_pred"])
    # v2's Table 3 has seven columns: mean pooling and the linear predictor come from the ICLR version
    assert paper_cell(df, table="Table 3", task="synth", method="jepa-avg_encoding") is None
    pooled = paper_cell(df, table="ICLR ablation", task="synth", method="jepa-avg_encoding")
    assert pooled["mean"] == 65.46 and pooled["paper_version"].startswith("ICLR")


def test_table2_pretraining(df):
    base = paper_cell(df, table="Table 2", task="synth", method="regular")
    jepa = paper_cell(df, table="Table 2", task="synth", method="jepa")
    assert (base["mean"], base["std"], jepa["mean"], jepa["std"]) == (54.38, 1.70, 60.59, 1.01)
    assert close(jepa["p_value"], 2.94e-4) and pd.isna(base["p_value"])
    assert jepa["metric"] == "prefix" and bool(jepa["pretrain"]) and (jepa["lbd"], jepa["predictors"]) == (2, 3)


def test_table4_nq_open(df):
    base = paper_cell(df, table="Table 4", task="nq_open", method="regular")
    jepa = paper_cell(df, table="Table 4", task="nq_open", method="jepa")
    assert (base["mean"], jepa["mean"], jepa["lbd"], jepa["predictors"]) == (20.12, 21.59, 1024, 0)
    assert jepa["metric"] == "original"
    assert paper_cell(df, table="Table 4", task="hellaswag", method="jepa")["metric"] == "letter"


def test_figure1_and_table6_need_disambiguation(df):
    with pytest.raises(ValueError, match="epoch"):
        paper_cell(df, table="Fig. 1", task="synth", method="jepa")
    g3 = paper_cell(df, table="Fig. 1", task="turk", method="jepa", epoch=4)
    assert g3["mean"] == 30.9 and g3["evidence"] == "uncertain" and "group 3" in g3["note"]
    best = paper_cell(df, table="Table 6", task="synth", method="jepa-ld0.75-lbd4", pflops=28.98)
    assert (best["mean"], best["std"], best["jepa_ratio"]) == (73.08, 1.28, 0.25)
    assert paper_cell(df, table="Table 6", task="synth", method="no-such-method") is None


def test_stp(df):
    assert paper_cell(df, table="STP Table 1", task="synth", method="stp", subset=".* suffix")["mean"] == 88.5
    assert paper_cell(df, table="STP Table 2", task="nq_open", method="stp")["lbd"] == 0.16
    r1 = paper_cell(df, table="STP Table 2", task="gsm8k", method="stp",
                    model="deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B")
    assert r1["lbd"] == 0.04 and pd.isna(r1["mean"])


def test_every_row_names_its_document_and_unstated_settings_stay_empty(df):
    """Each number is cited from one document; settings the paper does not state are left empty."""
    assert set(df["paper_version"]) <= set(PAPER_VERSIONS)
    assert (df[df["source_table"].str.startswith("STP")]["paper_version"] == "STP arXiv 2602.22617").all()
    main = df[df["paper_version"] == "arXiv v2 main text"]
    assert set(main["source_table"]) <= {"Table 2", "Table 3", "Table 4", "Table 5", "Table 6", "Fig. 1", "Fig. 3"}
    fig3 = df[df["source_table"] == "Fig. 3"]  # §3.3 states neither seeds nor epochs
    assert fig3["n_seeds"].isna().all() and fig3["epoch"].isna().all()
    assert set(df[df["source_table"] == "Table 13"]["task"]) == {"turk", "gsm8k", "spider"}  # no SYNTH row in v2


def test_validate_catches_planted_problems(df):
    bad = pd.concat([df, df.iloc[[5]]], ignore_index=True)  # a duplicate key
    bad.loc[0, "task"] = "no_such_task"
    bad.loc[1, "evidence"] = "blog post"
    bad.loc[4, "paper_version"] = "a talk"
    bad.loc[2, "metric"] = "no_such_metric"
    bad.loc[3, "mean"] = 123.0
    problems = "\n".join(validate(bad))
    assert "unknown task 'no_such_task'" in problems
    assert "evidence 'blog post'" in problems
    assert "paper_version 'a talk'" in problems
    assert "no_such_metric" in problems
    assert "outside [0, 100]" in problems
    assert "duplicated key" in problems
