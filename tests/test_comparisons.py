"""A comparison is a registered record: a new measure is one module's `register` call, and both the report and the
claims ledger find it through the registry with no edit anywhere else."""
import pandas as pd
import pytest

from benchmark.analysis import comparisons
from benchmark.analysis.comparisons import Comparison, all_comparisons, get_comparison, register
from benchmark.training.options import ConfigError
from test_report import ARMS, fake_run


def toy_table(inputs):
    """Per arm: how many seeds it has, against regular's count (a measure nobody needs, in one function)."""
    from benchmark.analysis.runs import group_arms

    rows = []
    for rs, base in group_arms(inputs.runs):
        cfg = rs[0].cfg
        rows.append({"task": cfg["task"], "model": cfg["model"], "method": rs[0].label, "lambda": cfg.get("lbd"),
                     "k": cfg.get("predictors"), "delta": len(rs) - len(base or []), "n_pairs": len(rs),
                     "p": float("nan"), "verdict": "no paper claim", "verdict_reason": "a toy",
                     "ours": f"{rs[0].label}: {len(rs)} seeds"})
    return pd.DataFrame(rows)


TOY = Comparison(measure="seed_count", versus="regular", reference="regular", description="seeds of the arm",
                 paper="nowhere", build=toy_table, missing="runs", csv="seed_count", order=65,
                 section=lambda t, i: ["## Seed counts", "", t[["method", "delta"]].to_markdown(index=False), ""])


@pytest.fixture
def with_toy(monkeypatch):
    monkeypatch.setattr(comparisons.COMPARISONS, "_records", dict(comparisons.COMPARISONS._records))
    comparisons._load()
    register(TOY)  # what the toy's own module would do when imported
    return TOY


def test_every_comparison_is_registered_once_with_what_the_ledger_and_report_need():
    keys = [c.key for c in all_comparisons()]
    assert len(keys) == len(set(keys))
    assert {("score", "regular"), ("score", "cosine"), ("score", "ld0"), ("drop", "regular"), ("diagnostic", "regular"),
            ("linear_map", "regular"), ("smoothness", "all_pairs"), ("data_efficiency", "regular")} <= set(keys)
    assert all(c.missing and c.paper and c.description for c in all_comparisons())
    with pytest.raises(ConfigError, match="Did you mean 'drop'"):
        get_comparison("dorp")
    with pytest.raises(ConfigError, match="against regular, not 'cosine'"):
        get_comparison("drop", "cosine")
    with pytest.raises(ValueError, match="registered twice"):
        register(Comparison(**{**get_comparison("drop").__dict__, "order": 1}))


def test_a_new_measure_reaches_the_report_and_the_ledger_with_no_other_edit(with_toy, tmp_path):
    from benchmark.analysis.ledger import build_ledger
    from benchmark.analysis.report import build_report

    root = tmp_path / "results" / "toy"
    for (task, obj, lbd, k), seeds in ARMS.items():
        for seed, accs in seeds.items():
            fake_run(root, task, obj, lbd, k, seed, accs)
    text = build_report(root, tmp_path / "report").read_text()
    assert "## Seed counts" in text and (tmp_path / "report" / "tables" / "seed_count.csv").is_file()
    claims = tmp_path / "claims.yaml"
    claims.write_text("claims:\n  - id: toy\n    title: Toy\n    claim: c\n    source: s\n    paper: p\n"
                      "    paper_version: v\n    evidence: e\n    comparisons:\n"
                      "      - {results: results/toy, task: synth, method: jepa, lbd: 2.0, measure: seed_count}\n")
    md = build_ledger(tmp_path / "ledger", claims_file=claims, root=tmp_path).read_text()
    assert "jepa: 3 seeds" in md
