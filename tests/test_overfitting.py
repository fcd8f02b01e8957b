"""The overfitting section of `jepa-bench report` (paper Fig. 1 right): each arm's drop from its peak epoch,
paired with regular's drop, and no verdict where regular training does not overfit."""
import pytest

from benchmark.analysis.overfitting import drop_from_peak, overfitting_table, paper_drop_delta
from benchmark.analysis.paper import load_paper_numbers
from benchmark.analysis.report import build_report
from benchmark.analysis.runs import load_runs
from tests.test_report import fake_run

SEEDS = (82, 23, 37)
# per-epoch test accuracy (fractions) of each seed: regular peaks at epoch 2 and falls, LLM-JEPA keeps rising
OVERFITS = {"regular": ((0.40, 0.56, 0.50), (0.42, 0.55, 0.47), (0.41, 0.57, 0.53)),
            "jepa": ((0.50, 0.60, 0.64), (0.52, 0.61, 0.60), (0.50, 0.62, 0.62))}


def _tree(root, arms):
    for objective, curves in arms.items():
        for seed, accs in zip(SEEDS, curves):
            fake_run(root, "synth", objective, 1.0 if objective == "jepa" else None, 3, seed, accs)
    return root


def test_drop_from_peak_takes_the_first_peak():
    assert drop_from_peak([(1.0, 40.0), (2.0, 56.0), (3.0, 56.0), (4.0, 50.0)]) == (56.0, 2.0, 50.0, 6.0)
    assert drop_from_peak([(1.0, 40.0), (2.0, 50.0)])[3] == 0.0


def test_the_papers_drop_difference_is_read_off_fig1():
    paper = load_paper_numbers()
    delta, why = paper_drop_delta(paper, "synth", "exact", "test")
    assert delta == pytest.approx((56.0 - 51.5) - (71.8 - 71.8)) and not why  # Fig. 1 right's labels
    assert paper_drop_delta(paper, "turk", "exact", "test")[0] == pytest.approx(22.5 - 21.6)
    assert paper_drop_delta(paper, "synth", "exact", "val")[1].startswith("the paper reports the test split")
    assert "no exact curves" in paper_drop_delta(paper, "gsm8k", "exact", "test")[1]


def test_drops_are_paired_by_seed_and_tested_in_the_papers_direction(tmp_path):
    from scipy import stats as sps

    table = overfitting_table(load_runs(_tree(tmp_path / "r", OVERFITS)), "test", load_paper_numbers())
    table = table.set_index("method")
    reg = [100 * (max(c) - c[-1]) for c in OVERFITS["regular"]]
    jep = [100 * (max(c) - c[-1]) for c in OVERFITS["jepa"]]
    assert table.loc["regular", "drop_mean"] == pytest.approx(sum(reg) / 3)
    assert table.loc["jepa", "delta"] == pytest.approx(sum(reg) / 3 - sum(jep) / 3)
    assert table.loc["jepa", "p"] == pytest.approx(sps.ttest_rel(reg, jep, alternative="greater").pvalue, rel=1e-9)
    assert table.loc["jepa", "paper_delta"] == pytest.approx(4.5)
    assert table.loc["jepa", "regular_overfits"]
    assert table.loc["jepa", "verdict"] == "reproduced"  # p ≈ 0.02 with one comparison in the family
    assert table.loc["jepa", "mde"] > 0 and table.loc["regular", "verdict"] == "baseline"


def test_an_arm_that_falls_more_than_regular_is_not_reproduced(tmp_path):
    arms = {"regular": OVERFITS["regular"], "jepa": ((0.5, 0.7, 0.5), (0.5, 0.7, 0.52), (0.5, 0.7, 0.49))}
    table = overfitting_table(load_runs(_tree(tmp_path / "r", arms)), "test", load_paper_numbers())
    row = table.set_index("method").loc["jepa"]
    assert row["delta"] < 0 and row["verdict"].startswith("not reproduced (")


def test_a_setting_where_regular_does_not_overfit_gives_no_verdict(tmp_path):
    rising = {"regular": ((0.4, 0.5, 0.55), (0.4, 0.5, 0.56), (0.4, 0.5, 0.57)), "jepa": OVERFITS["jepa"]}
    root = _tree(tmp_path / "r", rising)
    row = overfitting_table(load_runs(root), "test", load_paper_numbers()).set_index("method").loc["jepa"]
    assert row["verdict"] == "setting does not overfit" and "peaks at its last epoch" in row["verdict_reason"]
    readme = build_report(root, tmp_path / "report").read_text()
    assert "## Overfitting (paper Fig. 1 right)" in readme and "**setting does not overfit**" in readme
    assert (tmp_path / "report" / "tables" / "overfitting.csv").is_file()


def test_runs_with_one_evaluation_have_no_overfitting_section(tmp_path):
    one = {"regular": ((0.5,),) * 3, "jepa": ((0.6,),) * 3}
    root = _tree(tmp_path / "r", one)
    assert overfitting_table(load_runs(root), "test").empty
    assert "## Overfitting" not in build_report(root, tmp_path / "report").read_text()


def test_arms_of_one_method_are_told_apart_by_k(tmp_path):
    """Two LLM-JEPA arms that differ only in k (the diagnostic spec's k = 3 and k = 0) get their own column
    value and verdict line, not two identical "synth jepa" lines."""
    from benchmark.analysis.overfitting import overfitting_section

    root = _tree(tmp_path / "r", OVERFITS)
    for seed, accs in zip(SEEDS, OVERFITS["jepa"]):
        fake_run(root, "synth", "jepa", 1.0, 0, seed, accs, run_id=f"k0{seed}")
    lines = overfitting_section(overfitting_table(load_runs(root), "test", load_paper_numbers()))
    assert any(line.startswith("* synth jepa (λ = 1, k = 3): **") for line in lines)
    assert any(line.startswith("* synth jepa (λ = 1, k = 0): **") for line in lines)
    header = next(line for line in lines if line.startswith("| task"))
    assert "k" in [cell.strip() for cell in header.split("|")]
