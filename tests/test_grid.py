"""The (k, λ) grid section (paper Fig. 7, Table 10): where the optimum lies, and whether adjacent cells are more
alike than random pairs of cells (a permutation test over the grid, benchmark/analysis/grid.py)."""
import itertools

import numpy as np
import pytest

from benchmark.analysis.claims import judge, load_claims
from benchmark.analysis.ledger import build_ledger
from benchmark.analysis.grid import (MIN_CELLS, adjacent_pairs, grid_table, permutation_test, smoothness)
from benchmark.analysis.paper import load_paper_numbers
from benchmark.analysis.report import build_report
from benchmark.analysis.runs import load_runs
from benchmark.analysis.stats import holm
from tests.test_report import fake_run

KS, LAMS = (0, 1, 2, 3, 4), (0.5, 1.0, 2.0, 4.0)
SMOOTH = {(k, lam): 0.20 + 0.03 * k + 0.02 * i for k in KS for i, lam in enumerate(LAMS)}  # a ramp
CHECKER = {(k, lam): 0.40 if (k + i) % 2 else 0.10 for k in KS for i, lam in enumerate(LAMS)}  # neighbours differ


def _tree(root, cells, seeds=(82,)):
    for (k, lam), acc in cells.items():
        for seed in seeds:
            fake_run(root, "synth", "jepa", lam, k, seed, (acc - 0.05, acc), run_id=f"k{k}l{lam:g}s{seed}".replace(".", ""))
    return root


def test_adjacent_pairs_are_next_values_in_k_or_lambda():
    positions = [(k, lam) for k in (0, 2) for lam in (0.5, 1.0, 4.0)]  # 2 × 3: 3 pairs along k, 2 × 2 along λ
    pairs = {tuple(sorted((positions[i], positions[j]))) for i, j in adjacent_pairs(positions)}
    assert len(pairs) == 7 and ((0, 0.5), (2, 0.5)) in pairs and ((0, 0.5), (0, 1.0)) in pairs
    assert ((0, 0.5), (0, 4.0)) not in pairs and ((0, 0.5), (2, 1.0)) not in pairs  # not next, not diagonal


def test_smoothness_by_hand():
    values = [0.0, 1.0, 3.0]  # a 1 × 3 row: adjacent |Δ| 1 and 2; all pairs 1, 3, 2
    adj, every = smoothness(values, [(0, 1), (1, 2)])
    assert adj == pytest.approx(1.5) and every == pytest.approx(2.0)


def test_permutation_p_matches_full_enumeration_on_a_small_grid():
    positions = [(k, lam) for k in (0, 1) for lam in (1.0, 2.0, 4.0)]  # 6 cells: 720 arrangements
    values = [1.0, 2.0, 3.0, 2.0, 3.0, 4.0]
    adjacent = adjacent_pairs(positions)
    observed, _ = smoothness(values, adjacent)
    exact = np.mean([smoothness(list(p), adjacent)[0] <= observed + 1e-12 for p in itertools.permutations(values)])
    delta, p, critical = permutation_test(values, adjacent, n=20_000)
    assert p == pytest.approx(exact, abs=0.01) and delta < 0 and critical < 0
    assert permutation_test(values, adjacent) == permutation_test(values, adjacent)  # seeded: same tree, same p


def test_a_smooth_grid_is_reproduced_and_a_checkerboard_is_not(tmp_path):
    paper = load_paper_numbers()
    smooth = grid_table(load_runs(_tree(tmp_path / "s", SMOOTH)), "test", paper).iloc[0]
    assert smooth["n_cells"] == 20 and smooth["n_adjacent"] == 4 * 4 + 5 * 3
    assert (smooth["best_k"], smooth["best_lambda"], smooth["best"]) == (4, 4.0, pytest.approx(38.0))
    assert smooth["range"] == pytest.approx(18.0) and smooth["delta"] < smooth["mde"] < 0
    assert smooth["verdict"] == "reproduced" and smooth["p"] < 0.05
    checker = grid_table(load_runs(_tree(tmp_path / "c", CHECKER)), "test", paper).iloc[0]
    assert checker["delta"] > 0 and checker["verdict"].startswith("not reproduced") and "critical" not in checker["verdict"]
    assert checker["verdict"] == "not reproduced (paper's direction excluded)"  # anti-smooth, significantly


def test_too_few_cells_is_too_little_data(tmp_path):
    few = {key: SMOOTH[key] for key in list(SMOOTH)[:MIN_CELLS - 2] + [(1, 1.0)]}  # two k and two λ at least
    row = grid_table(load_runs(_tree(tmp_path / "f", few)), "test", load_paper_numbers()).iloc[0]
    assert row["verdict"] == "inconclusive (too little data)" and np.isnan(row["p"])


def test_the_report_and_the_ledger_show_the_grid(tmp_path):
    _tree(tmp_path / "results" / "grid", SMOOTH, seeds=(82, 23))
    readme = build_report(tmp_path / "results" / "grid", tmp_path / "out").read_text()
    assert "## (k, λ) grid (paper Fig. 7, Table 10)" in readme and "synth jepa: **reproduced**" in readme
    assert (tmp_path / "out" / "tables" / "grid.csv").is_file() and (tmp_path / "out" / "figures" / "lambda_k_synth_test.png").is_file()
    claims = tmp_path / "claims.yaml"
    claims.write_text("claims:\n  - {id: x, title: X, claim: c, source: s, paper: p, paper_version: v, evidence: main "
                      "text, comparisons: [{results: results/grid, task: synth, method: jepa, measure: smoothness}]}\n")
    (comp,) = load_claims(claims)[0].comparisons
    assert comp.versus == "all_pairs"  # the measure's only reference
    assert judge(comp, tmp_path, {}).row["verdict"] == "reproduced"
    md = build_ledger(tmp_path / "ledger", claims_file=claims, root=tmp_path).read_text()
    assert "jepa on synth, 20 cells: best k 4, λ 4" in md and "**reproduced**" in md


@pytest.mark.filterwarnings("error::UserWarning")  # 40 figure lines: a legend taller than the figure defeats the layout
def test_two_settings_of_one_method_are_two_grids_and_two_heatmaps(tmp_path):
    """A planted bug grouped a grid by (task, model, method) only: the cells of two learning rates were averaged
    into one grid. Each setting (here lr) is a grid of its own, in the table and in the figures."""
    root = tmp_path / "results"
    for (k, lam), acc in SMOOTH.items():
        fake_run(root, "synth", "jepa", lam, k, 82, (acc - 0.05, acc), run_id=f"a{k}l{lam:g}".replace(".", ""))
        fake_run(root, "synth", "jepa", lam, k, 82, (0.1, CHECKER[(k, lam)]), run_id=f"b{k}l{lam:g}".replace(".", ""),
                 lr=1e-4)
    table = grid_table(load_runs(root), "test", load_paper_numbers())
    assert len(table) == 2 and set(table["n_cells"]) == {20} and set(table["seeds_per_cell"]) == {"1"}
    assert sorted(table["grid"]) == ["lr 0.0001", "lr 2e-05"]  # each row names what sets it apart
    assert list(table["p_holm"]) == pytest.approx(list(holm(list(table["p"]))))  # the two grids are one family
    assert table["p_holm"].min() == pytest.approx(2 * table["p"].min())
    assert sorted(table["verdict"]) == ["not reproduced (paper's direction excluded)", "reproduced"]
    readme = build_report(root, tmp_path / "out").read_text()
    assert "synth jepa (lr 2e-05): **reproduced**" in readme and "p (Holm)" in readme
    figures = tmp_path / "out" / "figures"
    assert (figures / "lambda_k_synth_test.png").is_file() and (figures / "lambda_k_synth_test_2.png").is_file()
