"""The Table 3 loss-ablation section of `jepa-bench report`: variants paired with their cosine arm."""
import json

import pytest

from benchmark.analysis.ablation import ablation_table
from benchmark.analysis.paper import load_paper_numbers
from benchmark.analysis.report import build_report
from benchmark.analysis.runs import load_runs
from tests.test_report import fake_run

SEEDS = (82, 23, 37)
# variant fields -> final accuracy per seed
ARMS = {
    "cosine": ({}, (0.70, 0.72, 0.69)),
    "l2": ({"distance": "l2"}, (0.05, 0.06, 0.04)),  # collapses, as in the paper
    "mse": ({"distance": "mse"}, (0.69, 0.70, 0.70)),  # about equal: inconclusive
    "front": ({"front_pred": True}, (0.75, 0.78, 0.76)),  # better than cosine: against the paper
}


def _tree(root, with_regular=True):
    staging = root.parent / "staging"
    for name, (fields, accs) in ARMS.items():
        for seed, acc in zip(SEEDS, accs):
            fake_run(staging, "synth", "jepa", 2.0, 3, seed, (acc / 2, acc))
            (d,) = staging.iterdir()
            m = json.loads((d / "summary.json").read_text())
            m["config"].update(fields)
            m["run_id"] = f"{name}{seed}"
            (d / "summary.json").write_text(json.dumps(m))
            root.mkdir(exist_ok=True)
            d.rename(root / m["run_id"])
    if with_regular:
        for seed in SEEDS:
            fake_run(root, "synth", "regular", None, 3, seed, (0.2, 0.3))


def test_each_variant_is_paired_with_cosine_in_the_papers_direction(tmp_path):
    from scipy import stats as sps

    root = tmp_path / "results"
    _tree(root)
    table = ablation_table(load_runs(root), "test", load_paper_numbers()).set_index("method")
    assert list(table.index) == ["jepa", "jepa-l2", "jepa-mse", "jepa-front_pred"]  # the paper's row order
    cos = [100 * a for a in ARMS["cosine"][1]]
    l2 = [100 * a for a in ARMS["l2"][1]]
    assert table.loc["jepa-l2", "delta"] == pytest.approx(sum(l2) / 3 - sum(cos) / 3)
    # the paper's l2 is below its cosine (2.22 vs 71.46), so the test is one-tailed "less"
    assert table.loc["jepa-l2", "paper_delta"] == pytest.approx(2.22 - 71.46)
    assert table.loc["jepa-l2", "p"] == pytest.approx(sps.ttest_rel(l2, cos, alternative="less").pvalue, rel=1e-9)
    raw = table.loc[["jepa-l2", "jepa-mse", "jepa-front_pred"], "p"].tolist()
    m = sorted(raw)
    assert table.loc["jepa-l2", "p_holm"] == pytest.approx(min(1, 3 * m[0]))
    assert table.loc["jepa-l2", "verdict"] == "reproduced"
    assert table.loc["jepa-front_pred", "verdict"].startswith("not reproduced")
    assert table.loc["jepa-mse", "verdict"].startswith(("inconclusive", "not reproduced"))
    assert not table.loc[["jepa-l2", "jepa-mse", "jepa-front_pred"], "mde"].isna().any()
    assert table.loc["jepa", "verdict"] == "reference"


def test_report_has_the_ablation_section_only_when_variants_exist(tmp_path):
    root = tmp_path / "results"
    _tree(root)
    readme = build_report(root, tmp_path / "report").read_text()
    assert "## Loss ablation (paper Table 3)" in readme and "* ℓ2 norm: **reproduced**" in readme
    assert (tmp_path / "report" / "tables" / "ablation.csv").is_file()
    plain = tmp_path / "plain"
    for seed in SEEDS:
        fake_run(plain, "synth", "jepa", 2.0, 3, seed, (0.3, 0.4))
        fake_run(plain, "synth", "regular", None, 3, seed, (0.2, 0.3))
    assert ablation_table(load_runs(plain), "test").empty
    assert "Loss ablation" not in build_report(plain, tmp_path / "plain-report").read_text()


def test_pretraining_runs_get_no_table_3_verdict(tmp_path):
    """Table 3 fine-tunes and scores exact match: runs from random initialisation cannot confirm or refute it."""
    root = tmp_path / "results"
    _tree(root)
    for d in root.iterdir():
        m = json.loads((d / "summary.json").read_text())
        m["config"]["pretrain"] = True
        (d / "summary.json").write_text(json.dumps(m))
    table = ablation_table(load_runs(root), "test", load_paper_numbers()).set_index("method")
    assert (table.loc[["jepa-l2", "jepa-mse", "jepa-front_pred"], "verdict"] == "no paper claim").all()
    assert "random initialisation" in table.loc["jepa-l2", "verdict_reason"]


def test_the_sign_test_over_questions_runs_in_the_direction_of_the_rows_t_test(tmp_path):
    """Table 3 prints ℓ2 far below cosine, so ℓ2's row tests "less": the sign test over questions is one-tailed
    the same way (2 questions up, 4 down: binomtest(2, 6, alternative="less")), and the README shows it."""
    from scipy import stats as sps

    from benchmark.analysis.ablation import ablation_section
    from tests.test_report import _with_predictions

    root = tmp_path / "results"
    _tree(root)
    cosine = {0, 1, 2, 3, 4}
    l2 = {0, 5, 6}  # in every seed: questions 5, 6 up; 1, 2, 3, 4 down
    for seed in SEEDS:
        _with_predictions(root / f"cosine{seed}", cosine)
        _with_predictions(root / f"l2{seed}", l2)
    table = ablation_table(load_runs(root), "test", load_paper_numbers())
    row = table.set_index("method").loc["jepa-l2"]
    assert (row["q_up"], row["q_down"]) == (2, 4)
    assert row["p_questions"] == pytest.approx(sps.binomtest(2, 6, 0.5, alternative="less").pvalue, rel=1e-12)
    assert row["p_questions"] < sps.binomtest(2, 6, 0.5, alternative="greater").pvalue
    assert "| 2 / 4 (" in "\n".join(ablation_section(table))


def test_arms_pair_across_whole_floats_written_either_way(tmp_path):
    """`epochs: 4` and `epochs: 4.0` are one setting (run ids hash canonical numbers): a variant written with one
    is paired with a cosine arm written with the other, as the main comparison table pairs them."""
    _tree(tmp_path / "results", with_regular=False)
    for d in (tmp_path / "results").iterdir():
        if d.name.startswith("cosine"):
            m = json.loads((d / "summary.json").read_text())
            m["config"]["epochs"] = float(m["config"]["epochs"])
            assert m["config"]["epochs"] == 4 and json.dumps(m["config"]["epochs"]) == "4.0"  # the others: "4"
            (d / "summary.json").write_text(json.dumps(m))
    table = ablation_table(load_runs(tmp_path / "results"), "test", load_paper_numbers())
    assert len(table) == len(ARMS) and table["reference"].sum() == 1
    assert (table.loc[~table["reference"], "n_pairs"] == len(SEEDS)).all()
