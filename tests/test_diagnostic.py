"""The Fig. 3 right section of `jepa-bench report`: the JEPA term, logged without gradient under every
objective, falls more under LLM-JEPA than under next-token training."""
import json

import pytest

from benchmark.analysis.diagnostic import diagnostic_table, start_end_fall
from benchmark.analysis.report import build_report
from benchmark.analysis.runs import load_runs
from benchmark.training.objectives import DIAGNOSTIC_KEY
from tests.test_report import fake_run

SEEDS = (82, 23, 37)


def _tree(root, slopes: dict[str, tuple[float, ...]], log_regular: bool = True):
    """Runs whose diagnostic goes linearly from 0.9 down by slope per step over 20 steps."""
    for objective, per_seed in slopes.items():
        for seed, slope in zip(SEEDS, per_seed):
            fake_run(root, "synth", objective, 1.0 if objective == "jepa" else None, 3, seed, (0.3, 0.4))
    for d in root.iterdir():
        cfg = json.loads((d / "summary.json").read_text())["config"]
        if cfg["objective"] == "regular" and not log_regular:
            continue
        slope = slopes[cfg["objective"]][SEEDS.index(cfg["seed"])]
        log = [json.loads(x) for x in (d / "train_log.jsonl").read_text().splitlines()]
        for rec in log:
            rec[DIAGNOSTIC_KEY] = 0.9 - slope * rec["step"]
        (d / "train_log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in log))
    return root


def test_start_end_and_fall_average_a_tenth_at_each_end():
    series = [(s, 1.0 - 0.01 * s) for s in range(1, 21)]  # 20 values: two at each end
    start, end, fall = start_end_fall(series)
    assert start == pytest.approx(1 - 0.015) and end == pytest.approx(1 - 0.195)
    assert fall == pytest.approx(0.18)
    assert start_end_fall([(1, 0.5), (2, 0.3)]) == pytest.approx((0.5, 0.3, 0.2))


def test_falls_are_paired_with_regular_and_judged_by_direction(tmp_path):
    from scipy import stats as sps

    slopes = {"regular": (0.0, 0.001, -0.001), "jepa": (0.03, 0.025, 0.035)}
    table = diagnostic_table(load_runs(_tree(tmp_path / "r", slopes))).set_index("method")
    falls = {o: [start_end_fall([(s, 0.9 - k * s) for s in range(1, 21)])[2] for k in ks] for o, ks in slopes.items()}
    assert table.loc["jepa", "delta"] == pytest.approx(sum(falls["jepa"]) / 3 - sum(falls["regular"]) / 3)
    assert table.loc["jepa", "p"] == pytest.approx(
        sps.ttest_rel(falls["jepa"], falls["regular"], alternative="greater").pvalue, rel=1e-9)
    assert table.loc["jepa", "verdict"] == "reproduced"
    assert "gives no size comparable" in table.loc["jepa", "verdict_reason"] and table.loc["jepa", "mde"] > 0
    assert table.loc["regular", "verdict"] == "baseline"
    flat = {"regular": (0.03, 0.025, 0.035), "jepa": (0.0, 0.001, -0.001)}
    row = diagnostic_table(load_runs(_tree(tmp_path / "flat", flat))).set_index("method").loc["jepa"]
    assert row["verdict"] == "not reproduced (paper's direction excluded)"  # regular falls more, tightly


def test_report_section_needs_the_diagnostic_in_regular_runs(tmp_path):
    slopes = {"regular": (0.0, 0.001, -0.001), "jepa": (0.03, 0.025, 0.035)}
    root = _tree(tmp_path / "r", slopes, log_regular=False)
    row = diagnostic_table(load_runs(root)).set_index("method").loc["jepa"]
    assert row["verdict"] == "no baseline"
    readme = build_report(root, tmp_path / "report").read_text()
    assert "## The JEPA term under each objective (paper Fig. 3 right)" in readme
    plain = tmp_path / "plain"
    for seed in SEEDS:
        fake_run(plain, "synth", "regular", None, 3, seed, (0.3, 0.4))
    assert diagnostic_table(load_runs(plain)).empty
    assert "Fig. 3 right)" not in build_report(plain, tmp_path / "plain-report").read_text()
