"""The comparison table of a report: each arm beside its regular baseline and the paper's number.

Arms: runs that differ only in their seed are one arm (analysis/runs.py). Each non-regular arm is paired by
seed with the `regular` arm of the same setting and tested with the paper's paired one-tailed t-test; p is
Holm-corrected within each task's table; the verdict follows `verdicts.VERDICT_RULE`. A paper number stands
beside ours only when it comes from the same kind of comparison (see `paper_reference`).
"""
from __future__ import annotations

import math
from pathlib import Path

from benchmark.analysis.runs import ReportError, Run, fmt_num, fmt_p, is_baseline, uses_predictors

PAPER_MODEL = "meta-llama/Llama-3.2-1B-Instruct"
PAPER_EPOCHS = 4.0
TABLE_PRIORITY = ("Table 3", "Table 2", "Table 13", "Table 4", "Table 12", "Table 5", "Table 9", "Table 15",
                  "STP Table 1")


def _paper_rows(paper, task: str, label: str, pretrain: bool, metric: str):
    if paper is None or paper.empty:
        return None
    rows = paper[(paper["task"] == task) & (paper["method"] == label) & (paper["metric"] == metric)
                 & paper["source_table"].isin(TABLE_PRIORITY) & paper["mean"].notna()]
    rows = rows[(rows["source_table"] == "Table 2") == pretrain]
    if rows.empty:
        return None
    rank = rows["source_table"].map(TABLE_PRIORITY.index) + 100 * (rows["subset"] != "")  # whole test sets first
    return rows.assign(_rank=rank).sort_values("_rank", kind="stable")


def paper_reference(paper, task: str, label: str, pretrain: bool, model: str, metric: str) -> dict | None:
    """The paper's cell for this task, method and metric (same model first, else the paper's preferred
    table), and the paper's regular number from the same table, model and subset."""
    rows = _paper_rows(paper, task, label, pretrain, metric)
    if rows is None:
        return None
    same = rows[rows["model"] == model]
    row = (same if not same.empty else rows).iloc[0]
    base = _paper_rows(paper, task, "regular", pretrain, metric)
    base_row = None
    if base is not None:
        base = base[(base["source_table"] == row["source_table"]) & (base["model"] == row["model"])
                    & (base["subset"] == row["subset"])]
        base_row = base.iloc[0] if not base.empty else None
    table = row["source_table"] + (f" ({row['subset']} subset)" if row["subset"] else "")
    return {"table": table, "model": row["model"], "mean": row["mean"], "std": row["std"],
            "p": row.get("p_value"), "evidence": row.get("evidence"),
            "regular": None if base_row is None else base_row["mean"]}


def comparison_table(runs: list[Run], split: str, paper=None):
    """One row per arm: ours (mean ± std over seeds) beside the paper's, with paired tests vs regular."""
    import pandas as pd

    from benchmark.analysis import stats, verdicts

    arms: dict[tuple, list[Run]] = {}
    for r in runs:
        arms.setdefault(r.arm, []).append(r)
    regular = {rs[0].setting: rs for rs in arms.values() if is_baseline(rs[0].cfg)}
    rows = []
    for rs in arms.values():
        cfg = rs[0].cfg
        scores = {r.cfg["seed"]: r.score(split) for r in rs if r.score(split) is not None}
        if not scores:
            continue
        mean, std, n = stats.mean_std(list(scores.values()))
        label = rs[0].label
        row = {"task": cfg["task"], "model": cfg["model"], "method": label,
               "lambda": cfg.get("lbd") if not is_baseline(cfg) else None,
               "k": cfg.get("predictors") if uses_predictors(cfg) else None,
               "metric": rs[0].headline, "split": split, "n": n,
               "mean": mean, "std": std, "delta": math.nan, "p": math.nan, "n_pairs": 0,
               "seeds": ",".join(str(s) for s in sorted(scores))}
        base = regular.get(rs[0].setting)
        if not is_baseline(cfg) and base:
            base_scores = {r.cfg["seed"]: r.score(split) for r in base if r.score(split) is not None}
            test = stats.paired_t_test(scores, base_scores, alternative="greater")
            row.update(delta=test.mean_diff, p=test.p, n_pairs=test.n)
        ref = paper_reference(paper, cfg["task"], label, bool(cfg.get("pretrain")), cfg["model"], row["metric"])
        row.update(paper_table=ref["table"] if ref else "", paper_mean=ref["mean"] if ref else math.nan,
                   paper_std=ref["std"] if ref else math.nan, paper_p=ref["p"] if ref else math.nan,
                   paper_delta=(ref["mean"] - ref["regular"]) if ref and ref["regular"] is not None
                   and not is_baseline(cfg) else math.nan,
                   comparable=bool(ref) and cfg["model"] == ref["model"] and cfg.get("limit_train") is None
                   and float(cfg.get("epochs", 0)) == PAPER_EPOCHS and "subset" not in ref["table"])
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        raise ReportError(f"no run was evaluated on split {split!r}")
    table = table.sort_values(["task", "model", "method", "lambda", "k"], na_position="first").reset_index(drop=True)
    table["p_holm"] = math.nan
    for _, idx in table.groupby("task").groups.items():  # one family of comparisons per task table
        table.loc[idx, "p_holm"] = stats.holm(table.loc[idx, "p"].tolist())
    judged = []
    for _, r in table.iterrows():
        if r["method"] == "regular":
            judged.append(("baseline", ""))
        elif r["n_pairs"] == 0 and math.isnan(r["delta"]):
            judged.append(("no baseline", "no regular arm with the same settings in this results tree"))
        elif math.isnan(r["paper_delta"]):
            judged.append(("no paper claim", "the paper reports no such comparison"))
        else:
            judged.append(verdicts.claim_verdict(r["delta"], r["p_holm"], r["paper_delta"], n=int(r["n_pairs"])))
    table["verdict"] = [v[0] for v in judged]
    table["verdict_reason"] = [v[1] for v in judged]
    return table


def presentable(table):
    """The columns a reader wants, formatted."""
    import pandas as pd

    from benchmark.analysis import stats

    return pd.DataFrame({
        "task": table["task"], "model": table["model"].str.split("/").str[-1], "method": table["method"],
        "λ": table["lambda"].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:g}"),
        "k": table["k"].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{int(v)}"),
        "n": table["n"], "ours (%)": [stats.format_mean_std(m, s) for m, s in zip(table["mean"], table["std"])],
        "Δ vs regular": table["delta"].map(fmt_num), "p (paired, 1-tailed)": table["p"].map(fmt_p),
        "p (Holm)": table["p_holm"].map(fmt_p),
        "paper (%)": [stats.format_mean_std(m, s) if not math.isnan(m) else "—"
                      for m, s in zip(table["paper_mean"], table["paper_std"])],
        "paper Δ": table["paper_delta"].map(fmt_num), "paper source": table["paper_table"],
        "verdict": table["verdict"],
    })


def write_tables(table, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    shown = presentable(table)
    paths = {"md": out / "comparison.md", "tex": out / "comparison.tex", "csv": out / "comparison.csv"}
    paths["md"].write_text(shown.to_markdown(index=False) + "\n")
    paths["tex"].write_text(shown.to_latex(index=False, escape=True))
    table.to_csv(paths["csv"], index=False)
    return paths
