"""Representation structure: is Text → Code closer to linear after LLM-JEPA (paper §4.2, Table 14, Fig. 3 left)?

`jepa-bench represent` (runs/represent.py) writes, per task, the analysis of each saved model into the results
tree; `seeds` there lists every seed analysed (all of them with `--all-seeds`). This module pairs each method
with regular by seed on the held-out relative error of a linear map Enc(Text) → Enc(Code)
(evaluation/representation.py): Δ = the arm's error − regular's, tested one-tailed (H1: the arm's map is
more linear, Δ < 0), Holm-corrected within the task and model.

Table 14 prints an in-sample residual (regular 3035.01 vs LLM-JEPA 4.04 / 4.47 for Llama-3.2-1B) in units of
that model's hidden states and of its unstated number of examples; with fewer examples than hidden units an
in-sample fit is exact for any model, so our measure is the held-out error relative to the targets' spread,
of a map whose ridge is chosen by cross-validation on its fitting rows (`represent --ridge`, default "cv").
The two are not the same quantity: the paper gives the direction, not an effect size, and a negative verdict
cannot say whether an effect of the paper's size was absent (as for the JEPA term, analysis/diagnostic.py).
"""
from __future__ import annotations

from benchmark.analysis.comparisons import Comparison, register
from benchmark.analysis.runs import fmt_num, fmt_p
from benchmark.analysis.tables import UNPAIRED, judge_direction_only, paired_values
from benchmark.training.objectives import BASELINE

PAPER_DIRECTION = -1.0  # Table 14: LLM-JEPA's linear-map error is far below regular's
MEASURE = "heldout_relative"  # evaluation/representation.py: linear_map_error's headline


def _arms(analysis: dict) -> dict[tuple, dict[int, dict]]:
    """(model, method, k, λ) -> {seed: the seed's entry} of one task's analysis."""
    arms: dict[tuple, dict[int, dict]] = {}
    for entries in analysis.get("seeds", {}).values():
        for e in entries.values():
            arms.setdefault((e["model"], e["method"], e["k"], e["lambda"]), {})[int(e["seed"])] = e
    return arms


def representation_table(analyses: dict[str, dict]):
    """One row per task and arm of the tree's representation analyses (runs/represent.read_analyses): the
    linear map's held-out relative error and the mean of the top singular values of Enc(Text) − Enc(Code)
    (mean ± std over the seeds analysed), and for each non-regular arm the paired test against regular's error;
    empty when `represent` has not run."""
    import pandas as pd

    from benchmark.analysis import stats

    rows = []
    for task, analysis in sorted(analyses.items()):
        arms = _arms(analysis)
        for (model, method, k, lbd), by_seed in arms.items():
            errors = {s: e["linear_map"][MEASURE] for s, e in by_seed.items() if e["linear_map"][MEASURE] is not None}
            if not errors:
                continue
            err, err_std, n = stats.mean_std(list(errors.values()))
            top, top_std, _ = stats.mean_std([e["mean_top"] for e in by_seed.values()])
            baseline = method == BASELINE
            fits = [(e["linear_map"].get("n_fit"), e["linear_map"].get("dim")) for e in by_seed.values()]
            row = {"task": task, "model": model, "method": method, "lambda": lbd, "k": k, "n": n,
                   "fit_rows": min((f for f, _ in fits if f is not None), default=None),
                   "dim": max((d for _, d in fits if d is not None), default=None),
                   "seeds": " ".join(str(s) for s in sorted(errors)), "error_mean": err, "error_std": err_std,
                   "ridge": " ".join(sorted({str(e["linear_map"].get("ridge", 0.0)) for e in by_seed.values()})),
                   "mean_top": top, "mean_top_std": top_std, "baseline": baseline, **UNPAIRED}
            base = next((v for (m, meth, _, _), v in arms.items() if m == model and meth == BASELINE), None)
            if base and not baseline:
                base_errors = {s: e["linear_map"][MEASURE] for s, e in base.items()
                               if e["linear_map"][MEASURE] is not None}
                row.update(paired_values(errors, base_errors, alternative="less"))
            rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    # Table 14's residual is another quantity than ours: it gives a direction, not a size
    table = judge_direction_only(table, PAPER_DIRECTION, source="Table 14", unit="held-out relative error", digits=3,
                                 missing_reference="no regular model of the same task and model analysed on the same "
                                                   "seeds")
    for i, r in table.iterrows():
        if not r["baseline"] and underdetermined(r["fit_rows"], r["dim"]):
            table.loc[i, "verdict"] = UNDERDETERMINED
            table.loc[i, "verdict_reason"] = (
                f"the held-out linear map was fitted on {int(r['fit_rows'])} rows for {int(r['dim'])} hidden "
                f"dimensions (plus a bias): it interpolates them, and its held-out error says nothing about "
                f"linearity; analyse at least {2 * (int(r['dim']) + 2)} test examples (`jepa-bench represent "
                f"--examples`, half of them fit the map)")
    return table


UNDERDETERMINED = "no verdict (map underdetermined)"


def underdetermined(fit_rows, dim) -> bool:
    """A least-squares map with bias from `dim` coordinates fitted on at most dim + 1 rows fits them exactly."""
    ok = lambda v: v is not None and v == v  # noqa: E731  (NaN-safe)
    return ok(fit_rows) and ok(dim) and fit_rows <= dim + 1


def representation_lines(analyses: dict[str, dict]) -> list[str]:
    """README lines for the analyses `jepa-bench represent` wrote into the tree (paper Fig. 3 left, Table 14), below
    the report's figures; none before `represent` has run."""
    if not analyses:
        return []
    lines = ["## Representations (paper Fig. 3 left, Table 14)", "",
             "Enc = last-token final-layer hidden state of a view rendered alone. Singular values of the "
             "differences are not centred. The linear map is fitted on half the examples and scored on the "
             "other half (with N ≤ D an in-sample fit is exact).", ""]
    for task, res in sorted(analyses.items()):
        lines += [f"### {task} ({res['n_examples']} test examples; {res['text_encoding']} vs Enc(Code))", "",
                  "| model | run | mean of top singular values of Enc(Text) − Enc(Code) | linear map Text→Code, "
                  f"held-out relative error (ridge {res.get('ridge', 0.0)}) | same, plain least squares |",
                  "|---|---|---|---|---|"]
        f3 = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
        for name, m in res["models"].items():
            held = m["linear_map"]
            lines.append(f"| {name} | {res.get('runs', {}).get(name, res.get('base_model', ''))} | "
                         f"{m['mean_top']:.3f} | {f3(held['heldout_relative'])} | "
                         f"{f3(held.get('heldout_relative_lstsq'))} |")
        lines += ["", f"![singular values](figures/singular_values_{task}.png)", ""]
        if all("tsne" in m for m in res["models"].values()):
            lines += [f"![t-SNE](figures/tsne_{task}.png)", ""]
    return lines


def representation_section(table) -> list[str]:
    """README lines for the paired representation table (none before `represent` has run)."""
    import pandas as pd

    from benchmark.analysis import stats

    if table.empty:
        return []
    f3 = lambda x: fmt_num(x, 3)  # noqa: E731
    shown = pd.DataFrame({
        "task": table["task"], "method": table["method"],
        "k": table["k"].map(lambda v: "" if v is None or v != v else f"{int(v)}"), "seeds": table["seeds"],
        "ridge": table["ridge"],
        "linear map, held-out relative error": [stats.format_mean_std(m, s, digits=3)
                                                for m, s in zip(table["error_mean"], table["error_std"])],
        "mean top singular value": [stats.format_mean_std(m, s, digits=2)
                                    for m, s in zip(table["mean_top"], table["mean_top_std"])],
        "Δ error vs regular": table["delta"].map(f3), "p (paired, 1-tailed)": table["p"].map(fmt_p),
        "p (Holm)": table["p_holm"].map(fmt_p), "MDE": table["mde"].map(f3), "verdict": table["verdict"]})
    lines = ["### Paired over seeds (paper Table 14)", "", shown.to_markdown(index=False), "",
             "Every seed that kept its model (`jepa-bench represent --all-seeds`), on the same test examples. "
             "Δ error = the arm's held-out relative error of the linear map Text→Code minus regular's, paired by "
             "seed, one-tailed (H1: the arm's map is more linear), Holm-corrected within the task and model. "
             "Ridge \"cv\": the map's ridge is chosen by 5-fold cross-validation on the rows that fit it (0: plain "
             "least squares, which with about two rows per hidden dimension fits noise). "
             "Table 14 prints an in-sample residual (regular 3035.01 vs LLM-JEPA 4.04, Llama-3.2-1B): a "
             "direction, not a size comparable with ours.", ""]
    for _, r in table[~table["baseline"]].iterrows():
        lines.append(f"* {r['task']} {r['method']}" + (f" k={int(r['k'])}" if r["k"] == r["k"] and r["k"] is not None
                                                       else "") + f": **{r['verdict']}**: {r['verdict_reason']}")
    return lines + [""]


register(Comparison(
    measure="linear_map", versus="regular", reference="regular",
    description="held-out error of a linear map Text→Code (arm − regular)", paper="Table 14",
    build=lambda i: representation_table(i.analyses()),
    section=lambda t, i: representation_lines(i.analyses()) + representation_section(t), csv="representation",
    missing="representation analysis (`jepa-bench represent --all-seeds`)", after_figures=True, order=70, digits=3,
    unit="", own_rule=True))
