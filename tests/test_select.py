"""`jepa-bench select`: choosing a setting on the validation split from a results tree."""
import json

import pytest

from benchmark.cli import main
from benchmark.analysis.runs import load_runs
from benchmark.analysis.select import rank
from tests.test_report import fake_run


def _val_tree(root, grid):
    """fake runs evaluated on `val`; grid: (lbd, k) -> {seed: final accuracy}."""
    for (lbd, k), seeds in grid.items():
        for seed, acc in seeds.items():
            staging = root.parent / "staging"
            fake_run(staging, "synth", "jepa", lbd, k, seed, (acc / 2, acc))
            (d,) = staging.iterdir()
            m = json.loads((d / "summary.json").read_text())
            m["run_id"] = f"l{lbd:g}k{k}s{seed}".replace(".", "")
            for e in m["evaluations"]:
                e["split"] = "val"
            (d / "summary.json").write_text(json.dumps(m))
            root.mkdir(exist_ok=True)
            d.rename(root / m["run_id"])


def test_ranks_by_mean_over_seeds_and_names_the_best(tmp_path, capsys):
    root = tmp_path / "results"
    # (2, 1) wins on the mean although (1, 1) has the single best seed
    _val_tree(root, {(1.0, 1): {82: 0.80, 23: 0.30}, (2.0, 1): {82: 0.60, 23: 0.60}, (2.0, 3): {82: 0.10, 23: 0.20}})
    cands = rank(load_runs(root), "val")
    assert cands[0].describe() == "lbd=2.0 predictors=1"
    assert cands[0].mean == pytest.approx(60.0) and cands[1].mean == pytest.approx(55.0)
    assert cands[-1].describe() == "lbd=2.0 predictors=3"
    out = tmp_path / "sel.json"
    assert main(["select", str(root), "--out", str(out)]) == 0
    assert "chosen on val: jepa lbd=2.0 predictors=1" in capsys.readouterr().out
    chosen = json.loads(out.read_text())["chosen"]
    assert chosen == {"method": "jepa", "lbd": 2.0, "predictors": 1}


def test_ties_go_to_the_smaller_setting(tmp_path):
    root = tmp_path / "results"
    _val_tree(root, {(2.0, 1): {82: 0.5}, (1.0, 1): {82: 0.5}})
    assert rank(load_runs(root), "val")[0].describe() == "lbd=1.0"


def test_refuses_a_tree_without_the_split(tmp_path, capsys):
    root = tmp_path / "results"
    fake_run(root, "synth", "jepa", 1.0, 1, 82, (0.1, 0.2))  # evaluated on test only
    assert main(["select", str(root)]) == 2
    err = capsys.readouterr().err
    assert "no run has a 'val' evaluation" in err and "val_fraction" in err


def test_a_validation_report_shows_the_choice(tmp_path):
    from benchmark.analysis.report import build_report

    root = tmp_path / "results"
    _val_tree(root, {(1.0, 1): {82: 0.4}, (2.0, 1): {82: 0.5}})
    readme = build_report(root, tmp_path / "report", split="val").read_text()
    assert "## Choice on `val`" in readme and "chosen on val: jepa lbd=2.0" in readme


def test_a_setting_held_in_a_dict_is_ranked_not_a_crash(tmp_path):
    """A field whose value is a dict (`trainer_args`) that differs between runs is part of the candidate's
    setting; a planted bug used the raw values as a dict key, and `select` died with "unhashable type: 'dict'"."""
    root = tmp_path / "results"
    _val_tree(root, {(1.0, 1): {82: 0.5, 23: 0.5}, (2.0, 1): {82: 0.9, 23: 0.7}})
    for run in ("l2k1s82", "l2k1s23"):
        summary = root / run / "summary.json"
        m = json.loads(summary.read_text())
        m["config"]["trainer_args"] = {"max_grad_norm": 0.5}
        summary.write_text(json.dumps(m))
    cands = rank(load_runs(root), "val")
    assert [len(c.scores) for c in cands] == [2, 2] and cands[0].mean == pytest.approx(80.0)
    assert cands[0].describe() == "lbd=2.0 trainer_args={'max_grad_norm': 0.5}"
