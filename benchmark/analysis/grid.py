"""(k, λ) sensitivity: do adjacent grid points give similar accuracy (paper §6, Fig. 7 heat maps, Table 10)?

The paper sweeps k ∈ {0…4} × λ ∈ {0.5, 1, 2, 4} and says "the optimal configuration may occur at any point in a
grid ... adjacent grid points often yield similar accuracy". Its cell values are in images only, so it gives a
shape, not an effect size. Per grid (one task, model and method with at least two values of both k and λ), with
each cell the mean final score over its seeds:

* the best and worst cell and their range (where the optimum lies: the paper's first half);
* smoothness (its second half): the mean |difference| between cells adjacent in k or λ (next value in the
  grid's sorted order) against the mean |difference| over all pairs of cells. Δ = adjacent − all pairs, in
  points; a smooth surface gives Δ < 0. The test is a permutation test of the cell values over the grid's
  positions (H0: no spatial structure, so adjacent pairs are like any pairs), one-tailed, which needs no
  replicate seeds: a grid of one seed per cell is tested as it stands, seed noise being part of the cells.
* power: the permutation distribution's 5 % point of Δ, the largest Δ (most negative is most smooth) that
  would have been significant: a shape with a smaller adjacent-vs-random gap than that could not be seen.
"""
from __future__ import annotations

import itertools
import math

from benchmark.analysis.comparisons import Comparison, register
from benchmark.analysis.runs import Run, differences, fmt_num, fmt_p, is_baseline, uses_predictors

PERMUTATIONS = 10_000  # the p-value's resolution (1e-4), a fraction of a second per grid
PERMUTATION_SEED = 0  # the same tree gives the same p
PAPER_DIRECTION = -1.0  # "adjacent grid points often yield similar accuracy"
MIN_CELLS = 6  # fewer cells leave too few distinct arrangements for a 5 % test
ALPHA = 0.05


def grid_runs(runs: list[Run], split: str) -> dict[tuple, list[Run]]:
    """(task, model, method, setting) -> the scored runs of one (k, λ) grid, for objectives that take both k and
    λ. A grid is one arm with only k and λ free: the setting (every other field, the objective's options included)
    is part of the key, so two grids of one method at different learning rates, epochs or models stay two grids."""
    grids: dict[tuple, list[Run]] = {}
    for r in runs:
        if is_baseline(r.cfg) or not uses_predictors(r.cfg) or r.score(split) is None:
            continue
        key = (r.cfg["task"], r.cfg["model"], r.label, r.grid)
        grids.setdefault(key, []).append(r)
    return grids


def grid_names(keys) -> dict[tuple, str]:
    """{grid key: the settings that tell it from the other grids of its task, model and method ('lr 0.0001,
    epochs 8'); '' where it is the only one}: the table row and the heatmap of one grid carry the same words."""
    return {key: differences(dict(key[3]), [dict(k[3]) for k in keys if k[:3] == key[:3]]) for key in keys}


def grid_cells(runs: list[Run], split: str) -> dict[tuple, dict[tuple, list[float]]]:
    """(task, model, method, setting) -> {(k, λ): final scores of its seeds}, for the grids with at least two
    values of each of k and λ."""
    grids: dict[tuple, dict[tuple, list[float]]] = {}
    for key, rs in grid_runs(runs, split).items():
        for r in rs:
            grids.setdefault(key, {}).setdefault((int(r.cfg["predictors"]), float(r.cfg["lbd"])), []).append(r.score(split))
    return {key: cells for key, cells in grids.items()
            if len({k for k, _ in cells}) >= 2 and len({lam for _, lam in cells}) >= 2}


def adjacent_pairs(positions: list[tuple[int, float]]) -> list[tuple[int, int]]:
    """Index pairs of cells next to each other in k or in λ (next value in sorted order, the other fixed)."""
    ks = sorted({k for k, _ in positions})
    lams = sorted({lam for _, lam in positions})
    where = {p: i for i, p in enumerate(positions)}
    pairs = []
    for (k, lam), i in where.items():
        a, b = ks.index(k), lams.index(lam)
        for nxt in ((ks[a + 1], lam) if a + 1 < len(ks) else None, (k, lams[b + 1]) if b + 1 < len(lams) else None):
            if nxt in where:
                pairs.append((i, where[nxt]))
    return pairs


def smoothness(values, adjacent: list[tuple[int, int]]) -> tuple[float, float]:
    """(mean |Δ| over adjacent pairs, mean |Δ| over all pairs) of the cell values."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    adj = float(np.mean([abs(v[i] - v[j]) for i, j in adjacent]))
    every = float(np.mean([abs(a - b) for a, b in itertools.combinations(v, 2)]))
    return adj, every


def permutation_test(values, adjacent: list[tuple[int, int]], n: int = PERMUTATIONS,
                     seed: int = PERMUTATION_SEED) -> tuple[float, float, float]:
    """(Δ, one-tailed p that adjacent cells are closer than chance, the critical Δ at ALPHA). The other tail's p
    (adjacent cells farther apart than chance) is `opposite_p`."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    i, j = (np.array(x) for x in zip(*adjacent))
    observed, every = smoothness(v, adjacent)
    rng = np.random.default_rng(seed)
    perms = np.array([rng.permutation(v) for _ in range(n)])
    null = np.abs(perms[:, i] - perms[:, j]).mean(axis=1)  # the mean over all pairs does not move
    p = (1 + int(np.sum(null <= observed + 1e-12))) / (n + 1)
    return observed - every, p, float(np.quantile(null, ALPHA)) - every


def opposite_p(values, adjacent: list[tuple[int, int]], n: int = PERMUTATIONS, seed: int = PERMUTATION_SEED) -> float:
    """The one-tailed permutation p that adjacent cells differ more than chance (the paper's direction excluded)."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    i, j = (np.array(x) for x in zip(*adjacent))
    observed, _ = smoothness(v, adjacent)
    rng = np.random.default_rng(seed)
    perms = np.array([rng.permutation(v) for _ in range(n)])
    null = np.abs(perms[:, i] - perms[:, j]).mean(axis=1)
    return (1 + int(np.sum(null >= observed - 1e-12))) / (n + 1)


def grid_table(runs: list[Run], split: str, paper=None):
    """One row per (k, λ) grid of the tree: where its optimum lies, and the smoothness test with its verdict."""
    import pandas as pd

    from benchmark.analysis import stats, verdicts

    rows = []
    grids = dict(sorted(grid_cells(runs, split).items()))
    names = grid_names(list(grids))
    for key, cells in grids.items():
        task, model, method, _ = key
        positions = sorted(cells)
        means = [sum(cells[p]) / len(cells[p]) for p in positions]
        adjacent = adjacent_pairs(positions)
        best, worst = max(range(len(means)), key=means.__getitem__), min(range(len(means)), key=means.__getitem__)
        seeds = sorted({len(v) for v in cells.values()})
        row = {"task": task, "model": model, "method": method, "grid": names[key], "n_cells": len(positions),
               "seeds_per_cell": str(seeds[0]) if len(seeds) == 1 else f"{seeds[0]}–{seeds[-1]}",
               "best_k": positions[best][0], "best_lambda": positions[best][1], "best": means[best],
               "worst_k": positions[worst][0], "worst_lambda": positions[worst][1], "worst": means[worst],
               "range": means[best] - means[worst], "n_adjacent": len(adjacent), "paper_delta": math.nan,
               "paper_table": "Fig. 7 (shape only)", "_means": means, "_adjacent": adjacent}
        if len(positions) < MIN_CELLS or not adjacent:
            row.update(adjacent_mean=math.nan, all_pairs_mean=math.nan, delta=math.nan, p=math.nan, mde=math.nan,
                       verdict="inconclusive (too little data)",
                       verdict_reason=f"{len(positions)} cells: a permutation test needs at least {MIN_CELLS}")
        else:
            adj, every = smoothness(means, adjacent)
            delta, p, critical = permutation_test(means, adjacent)
            row.update(adjacent_mean=adj, all_pairs_mean=every, delta=delta, p=p, mde=critical)
        row["n_pairs"] = seeds[0]  # seeds behind the thinnest cell (the ledger's "seeds" column)
        row["power"] = power_text(row["mde"], PERMUTATIONS) if row["mde"] == row["mde"] else ""
        rows.append(row)
    # The grids of one task and model are one family (usually of one): Holm over them, as the tables do over arms.
    families: dict[tuple, list[dict]] = {}
    for row in rows:
        families.setdefault((row["task"], row["model"]), []).append(row)
    for family in families.values():
        tested = [r for r in family if r["p"] == r["p"]]
        for r, p_holm in zip(tested, stats.holm([r["p"] for r in tested])):
            r["p_holm"] = p_holm
            label, reason = verdicts.direction_only_verdict(r["delta"], p_holm, PAPER_DIRECTION,
                                                            p_opposite=opposite_p(r["_means"], r["_adjacent"]))
            r.update(verdict=label, verdict_reason=f"{reason}; {power_text(r['mde'], PERMUTATIONS)}")
        for r in family:
            r.setdefault("p_holm", r["p"])
            r["ours"] = (f"{r['method']} on {r['task']}" + (f" ({r['grid']})" if r["grid"] else "") +
                         f", {r['n_cells']} cells: best k {r['best_k']}, λ {r['best_lambda']:g} "
                         f"({fmt_num(r['best'])}), range {fmt_num(r['range'])} points; adjacent − all pairs "
                         f"{fmt_num(r['delta'])} points (permutation p {fmt_p(r['p'])}), critical "
                         f"{fmt_num(r['mde'])}")
            del r["_means"], r["_adjacent"]
    return pd.DataFrame(rows)


def power_text(critical: float, n: int) -> str:
    return (f"power: the paper prints no cell values; adjacent cells had to differ by at least "
            f"{fmt_num(-critical)} points less than random pairs of cells to be detected "
            f"(α {ALPHA}, {n} permutations)")


def grid_section(table) -> list[str]:
    """README lines for the (k, λ) grids (none when the tree has no grid)."""
    import pandas as pd

    if table.empty:
        return []
    method = [m + (f" ({g})" if g else "") for m, g in zip(table["method"], table["grid"])]
    shown = pd.DataFrame({
        "task": table["task"], "method": method, "cells": table["n_cells"],
        "seeds / cell": table["seeds_per_cell"],
        "best (k, λ)": [f"{int(k)}, {lam:g}: {fmt_num(s)}" for k, lam, s in
                        zip(table["best_k"], table["best_lambda"], table["best"])],
        "worst (k, λ)": [f"{int(k)}, {lam:g}: {fmt_num(s)}" for k, lam, s in
                         zip(table["worst_k"], table["worst_lambda"], table["worst"])],
        "range": table["range"].map(fmt_num), "mean |Δ| adjacent": table["adjacent_mean"].map(fmt_num),
        "mean |Δ| all pairs": table["all_pairs_mean"].map(fmt_num), "Δ": table["delta"].map(fmt_num),
        "p (permutation)": table["p"].map(fmt_p), "critical Δ": table["mde"].map(fmt_num),
        "verdict": table["verdict"]})
    if table["model"].nunique() > 1:
        shown.insert(1, "model", table["model"])
    several = len(table) > table[["task", "model"]].drop_duplicates().shape[0]
    if several:  # grids of one task and model are one family: the verdict reads the Holm-corrected p
        shown.insert(shown.columns.get_loc("critical Δ"), "p (Holm)", table["p_holm"].map(fmt_p))
    lines = ["## (k, λ) grid (paper Fig. 7, Table 10)", "", shown.to_markdown(index=False), "",
             "Each cell is the mean final score of its seeds. Adjacent = next k or next λ in the grid; Δ = mean |Δ| "
             "of adjacent cells − mean |Δ| of all pairs of cells (negative: neighbours are more alike than random "
             f"cells). p: one-tailed permutation test of the cell values over the grid ({PERMUTATIONS} "
             "permutations, H0 no spatial structure); critical Δ: the largest Δ significant at α 0.05. The paper "
             "says adjacent grid points often yield similar accuracy and prints its cells only as images: a "
             "direction, not a size.", ""]
    if several:
        lines += ["Several grids of one task and model (settings named beside the method) are one family: their "
                  "p-values are Holm-corrected over it, and the verdicts read the corrected p.", ""]
    for _, r in table.iterrows():
        grid = f" ({r['grid']})" if r["grid"] else ""
        lines.append(f"* {r['task']} {r['method']}{grid}: **{r['verdict']}**: {r['verdict_reason']}")
    return lines + [""]


register(Comparison(
    measure="smoothness", versus="all_pairs", reference="all pairs of cells",
    description="mean |Δ| of adjacent (k, λ) cells − of all pairs of cells", paper="Fig. 7",
    build=lambda i: grid_table(i.runs, i.split, i.paper), section=lambda t, i: grid_section(t), csv="grid",
    missing="(k, λ) grid of at least two k and two λ", order=50, own_rule=True))
