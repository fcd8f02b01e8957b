"""The loss-dropout section of `jepa-bench report` (paper Table 6): each LD arm paired with LLM-JEPA without
dropout at the same FLOP budget, in the direction of Table 6's own difference."""
import json

import pytest

from benchmark.analysis.loss_dropout import arm_name, loss_dropout_table
from benchmark.analysis.paper import load_paper_numbers
from benchmark.analysis.report import build_report
from benchmark.analysis.runs import load_runs
from tests.test_report import fake_run

SEEDS = (82, 23, 37)
# (jepa_ratio, lbd) -> final accuracy per seed
ARMS = {(1.0, 1.0): (0.30, 0.32, 0.29), (0.5, 1.0): (0.36, 0.37, 0.36), (0.25, 4.0): (0.28, 0.33, 0.27)}


def _tree(root, budget=6.84e13, epochs=None):
    staging = root.parent / "staging"
    for (ratio, lbd), accs in ARMS.items():
        for seed, acc in zip(SEEDS, accs):
            fake_run(staging, "synth", "jepa", lbd, 3, seed, (acc / 2, acc))
            (d,) = staging.iterdir()
            s = json.loads((d / "summary.json").read_text())
            s["config"].update(jepa_ratio=ratio, flop_budget=budget)
            if epochs:  # each arm's schedule ends at its own budget (configs/cpu/loss_dropout_schedule_*.yaml)
                s["config"]["epochs"] = epochs[ratio]
            s["run_id"] = f"ld{ratio}{lbd}{seed}".replace(".", "")
            (d / "summary.json").write_text(json.dumps(s))
            root.mkdir(exist_ok=True)
            d.rename(root / s["run_id"])
    return root


def test_arm_names_need_a_flop_budget_and_plain_cosine():
    base = {"objective": "jepa", "lbd": 4.0, "jepa_ratio": 0.25, "flop_budget": 1e13}
    assert arm_name(base) == "LD 0.75, λ 4"
    assert arm_name({**base, "flop_budget": None}) is None  # equal epochs: not Table 6's comparison
    assert arm_name({**base, "distance": "l2"}) is None and arm_name({**base, "objective": "regular"}) is None


def test_each_arm_is_paired_with_no_dropout_in_table_6s_direction(tmp_path):
    from scipy import stats as sps

    table = loss_dropout_table(load_runs(_tree(tmp_path / "r")), "test", load_paper_numbers()).set_index("variant")
    assert list(table.index) == ["LD 0, λ 1", "LD 0.5, λ 1", "LD 0.75, λ 4"]
    # Table 6 at its largest budget (28.98 PFLOPs): 63.96 (LD 0, λ 1), 70.60 (LD 0.5, λ 1), 73.08 (LD 0.75, λ 4)
    assert table.loc["LD 0.5, λ 1", "paper_delta"] == pytest.approx(70.60 - 63.96)
    assert table.loc["LD 0.75, λ 4", "paper_delta"] == pytest.approx(73.08 - 63.96)
    ref, half = [100 * a for a in ARMS[(1.0, 1.0)]], [100 * a for a in ARMS[(0.5, 1.0)]]
    assert table.loc["LD 0.5, λ 1", "p"] == pytest.approx(sps.ttest_rel(half, ref, alternative="greater").pvalue,
                                                          rel=1e-9)
    assert table.loc["LD 0.5, λ 1", "verdict"] == "reproduced"
    assert table.loc["LD 0.75, λ 4", "verdict"].startswith("not reproduced (")
    assert table.loc["LD 0, λ 1", "verdict"] == "reference"


def test_arms_whose_schedules_end_at_their_own_budget_are_still_paired(tmp_path):
    """Under equal FLOPs the arms' epochs differ by construction: epochs tells arms apart, it is not a setting."""
    schedules = {1.0: 2.3125, 0.5: 3.375, 0.25: 4.3125}
    table = loss_dropout_table(load_runs(_tree(tmp_path / "r", epochs=schedules)), "test", load_paper_numbers())
    assert list(table["variant"]) == ["LD 0, λ 1", "LD 0.5, λ 1", "LD 0.75, λ 4"]
    assert (table.loc[~table["reference"], "n_pairs"] == 3).all()


def test_report_section_only_for_runs_under_a_flop_budget(tmp_path):
    readme = build_report(_tree(tmp_path / "r"), tmp_path / "report").read_text()
    assert "## Loss dropout at equal training FLOPs (paper Table 6, Fig. 5)" in readme
    assert "* LD 0.5, λ 1: **reproduced**" in readme
    plain = _tree(tmp_path / "plain", budget=None)
    assert loss_dropout_table(load_runs(plain), "test").empty
    assert "Loss dropout at equal" not in build_report(plain, tmp_path / "plain-report").read_text()


def test_the_protocol_differences_say_where_a_budget_stopped_the_runs(tmp_path):
    """A run the budget ended after 2.3 of its 6 epochs did not train six epochs: the report says how far it got."""
    root = _tree(tmp_path / "r")
    for d in root.iterdir():
        s = json.loads((d / "summary.json").read_text())
        s["config"]["epochs"] = 6
        s.update(stopped_by_budget=True, epochs_run=2.312 if s["config"]["jepa_ratio"] == 1.0 else 4.375)
        (d / "summary.json").write_text(json.dumps(s))
    readme = build_report(root, tmp_path / "report").read_text()
    differences = readme.split("## Differences from the paper's protocol")[1]
    assert "6 epoch(s) instead of 4" not in differences
    assert "## Overfitting" not in readme  # a drop over 2.3 budgeted epochs is not Fig. 1's over six
    assert "9 run(s) stopped by a training-FLOP budget of 6.84e+13 after 2.31–4.38 epochs (configured: 6;" \
        in differences


def test_fig5_curve_is_the_mean_over_seeds_of_each_evaluation_point(tmp_path):
    from benchmark.analysis.figures import flops_curve

    runs = [r for r in load_runs(_tree(tmp_path / "r")) if r.cfg["jepa_ratio"] == 0.5]
    for r, flops in zip(runs, (1.0e13, 1.2e13, 1.1e13)):  # loss dropout: each seed's FLOPs differ a little
        for i, e in enumerate(r.summary["evaluations"]):
            e["flops"] = flops * (i + 1)
    curve = flops_curve(runs, "test")
    assert [n for _, _, n in curve] == [3, 3]
    assert curve[1][0] == pytest.approx(2 * 1.1e13)
    assert curve[1][1] == pytest.approx(100 * sum(ARMS[(0.5, 1.0)]) / 3)
    assert curve[0][1] == pytest.approx(100 * sum(ARMS[(0.5, 1.0)]) / 6)  # fake_run's first epoch: half the last


def test_the_same_arms_are_compared_at_equal_epochs(tmp_path):
    """After the largest whole epoch every arm evaluated, each arm is paired by seed with LD 0 there (two-tailed, no
    paper number): the check on the learning-rate schedule that a budget cuts off (issue 31 §4)."""
    from scipy import stats as sps

    from benchmark.analysis.loss_dropout import equal_epoch_table

    runs = load_runs(_tree(tmp_path / "r"))  # fake_run: evaluations after epochs 1 and 2 (acc / 2, acc)
    cut = {(1.0, 1.0): 1}  # LD 0 stopped by its budget before its second whole epoch: the comparison is at epoch 1
    for r in runs:
        if cut.get((r.cfg["jepa_ratio"], r.cfg["lbd"])):
            r.summary["evaluations"] = [e for e in r.summary["evaluations"] if e["epoch"] <= 1]
    table = equal_epoch_table(runs, "test").set_index("variant")
    assert set(table["epoch"]) == {1}
    ref = [100 * a / 2 for a in ARMS[(1.0, 1.0)]]
    half = [100 * a / 2 for a in ARMS[(0.5, 1.0)]]
    assert table.loc["LD 0.5, λ 1", "mean"] == pytest.approx(sum(half) / 3)
    assert table.loc["LD 0.5, λ 1", "p"] == pytest.approx(sps.ttest_rel(half, ref).pvalue, rel=1e-9)
    assert table.loc["LD 0.5, λ 1", "verdict"] == "no paper claim"
    readme = build_report(_tree(tmp_path / "again"), tmp_path / "report").read_text()
    assert "### The same arms at equal epochs (after epoch 2)" in readme
