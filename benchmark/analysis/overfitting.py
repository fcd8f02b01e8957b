"""Resisting overfitting (paper Fig. 1 right): how far each arm's test accuracy falls from its peak by the
last epoch, LLM-JEPA against regular fine-tuning of the same setting.

The paper's claim is about the shape of the curves: over six epochs regular fine-tuning peaks and falls
(NL-RX-SYNTH 56.0 → 51.5), LLM-JEPA keeps rising (71.8 at the last epoch). So each run gives one number,
its drop = (best score over its per-epoch evaluations) − (score after the last epoch), and each arm is
paired by seed with its regular arm: Δ = regular's drop − the arm's drop (positive when the arm falls
less), tested one-tailed in the paper's direction, Holm-corrected within the task and model, judged by the rule of
`verdicts.py` with the power of `power.py`. The final accuracies themselves are the comparison table's.

A setting where regular training does not overfit cannot test the claim: when regular's mean curve peaks
at its last epoch, the arms get no verdict and the table says so. The paper's Δ (its regular drop minus its
LLM-JEPA drop, from Fig. 1 right's labels of six-epoch runs) sets the direction and the effect size that
power is stated against; the epoch count of a setting built to overfit is the experiment's own choice.
"""
from __future__ import annotations

import math

from benchmark.analysis.comparisons import Comparison, register
from benchmark.analysis.runs import Run, arm_heading, fmt_num, fmt_p, group_arms, is_baseline, uses_predictors
from benchmark.analysis.paper_cells import PAPER_SPLIT
from benchmark.analysis.tables import UNPAIRED, holm_within_tasks, judge_rows, paired_values

PAPER_SOURCE = "Fig. 1"


def curve(run: Run, split: str) -> list[tuple[float, float]]:
    """(epoch, score in %) of every evaluation of `split`, in epoch order."""
    return sorted((e["epoch"], 100 * e["metrics"][run.headline]["accuracy"]) for e in run.evaluations(split))


def drop_from_peak(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    """(peak, epoch of the first peak, final, peak − final) of one curve."""
    peak_epoch, peak = max(points, key=lambda p: (p[1], -p[0]))
    final = points[-1][1]
    return peak, peak_epoch, final, peak - final


def _mean_curve(runs: list[Run], split: str) -> list[tuple[float, float]]:
    by_epoch: dict[float, list[float]] = {}
    for r in runs:
        for ep, score in curve(r, split):
            by_epoch.setdefault(ep, []).append(score)
    return [(ep, sum(v) / len(v)) for ep, v in sorted(by_epoch.items())]


def paper_drop_delta(paper, task: str, metric: str, split: str) -> tuple[float, str]:
    """The paper's regular drop minus its LLM-JEPA drop on `task` (Fig. 1 right), and why there is none."""
    if split != PAPER_SPLIT:
        return math.nan, f"the paper reports the {PAPER_SPLIT} split, not {split!r}"
    if paper is None or paper.empty:
        return math.nan, "no paper numbers loaded"
    rows = paper[(paper["source_table"] == PAPER_SOURCE) & (paper["task"] == task) & (paper["metric"] == metric)
                 & paper["mean"].notna() & paper["epoch"].notna()]
    drops = {}
    for method in ("regular", "jepa"):
        pts = sorted(zip(rows[rows["method"] == method]["epoch"], rows[rows["method"] == method]["mean"]))
        if len(pts) >= 2:
            drops[method] = drop_from_peak([(float(e), float(m)) for e, m in pts])[3]
    if len(drops) < 2:
        return math.nan, f"Fig. 1 right has no {metric} curves of both arms on {task}"
    return drops["regular"] - drops["jepa"], ""


def overfitting_table(runs: list[Run], split: str, paper=None):
    """One row per arm with at least two evaluated epochs: its peak, final score and drop (mean ± std over
    seeds), and for each non-regular arm the paired test of the drop against regular's; empty when no run
    that trained all its epochs was evaluated after more than one of them."""
    import pandas as pd

    from benchmark.analysis import stats

    # a run a FLOP budget stopped did not train its epochs: its drop is not Fig. 1's (six whole epochs)
    runs = [r for r in runs if not r.summary.get("stopped_by_budget")]
    rows = []
    for rs, base in group_arms(runs):
        rs = [r for r in rs if len(curve(r, split)) >= 2]
        if not rs:
            continue
        cfg = rs[0].cfg
        per_seed = {r.cfg["seed"]: drop_from_peak(curve(r, split)) for r in rs}
        peak_mean, _, _ = stats.mean_std([v[0] for v in per_seed.values()])
        final_mean, _, _ = stats.mean_std([v[2] for v in per_seed.values()])
        drop_mean, drop_std, n = stats.mean_std([v[3] for v in per_seed.values()])
        mean_curve = _mean_curve(rs, split)
        _, curve_peak_epoch, _, curve_drop = drop_from_peak(mean_curve)
        row = {"task": cfg["task"], "model": cfg["model"], "method": rs[0].label,
               "lambda": None if is_baseline(cfg) else cfg.get("lbd"),
               "k": cfg.get("predictors") if uses_predictors(cfg) else None, "metric": rs[0].headline,
               "n": n, "epochs": len(mean_curve), "last_epoch": mean_curve[-1][0], "peak_mean": peak_mean,
               "final_mean": final_mean, "drop_mean": drop_mean, "drop_std": drop_std,
               "curve_peak_epoch": curve_peak_epoch, "curve_drop": curve_drop, "baseline": is_baseline(cfg),
               **UNPAIRED, "regular_overfits": None}
        if base and not is_baseline(cfg):
            base = [r for r in base if len(curve(r, split)) >= 2]
            base_drops = {r.cfg["seed"]: drop_from_peak(curve(r, split))[3] for r in base}
            base_curve = _mean_curve(base, split) if base else []
            row.update(paired_values(base_drops, {s: v[3] for s, v in per_seed.items()}, alternative="greater"),
                       regular_overfits=bool(base_curve) and base_curve[-1][0] > drop_from_peak(base_curve)[1])
        if cfg.get("lora"):
            paper_delta, why = math.nan, "Fig. 1 right's runs are full fine-tuning, these LoRA"
        elif row["method"] == "jepa":
            paper_delta, why = paper_drop_delta(paper, cfg["task"], row["metric"], split)
        else:
            paper_delta, why = math.nan, f"Fig. 1 right shows only regular and LLM-JEPA, not {row['method']}"
        row.update(paper_delta=paper_delta, paper_note=why,
                   paper_table="" if math.isnan(paper_delta) else "Fig. 1 right (drop from the peak)")
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table

    def no_verdict(r):
        if r["baseline"]:
            return "baseline", ""
        if r["n_pairs"] == 0:
            return "no baseline", "no regular arm with per-epoch evaluations in the same setting"
        if not r["regular_overfits"]:
            return ("setting does not overfit", "regular training's mean test accuracy peaks at its last epoch "
                    "here, so this setting cannot show a resistance to overfitting")
        if math.isnan(r["paper_delta"]):
            return "no paper claim", r["paper_note"]
        return None

    return judge_rows(holm_within_tasks(table), no_verdict)


def overfitting_section(table) -> list[str]:
    """README lines for the overfitting table (none when no run has per-epoch evaluations)."""
    import pandas as pd

    from benchmark.analysis import stats

    if table.empty:
        return []
    shown = pd.DataFrame({
        "task": table["task"], "method": table["method"],
        "λ": table["lambda"].map(lambda v: "" if v is None or v != v else f"{v:g}"),
        "k": table["k"].map(lambda v: "" if v is None or v != v else f"{int(v)}"), "n": table["n"],
        "peak (%)": table["peak_mean"].map(fmt_num), "final (%)": table["final_mean"].map(fmt_num),
        "drop (points)": [stats.format_mean_std(m, s) for m, s in zip(table["drop_mean"], table["drop_std"])],
        "mean curve peaks at epoch": [f"{e:g} of {last:g}" for e, last in zip(table["curve_peak_epoch"],
                                                                             table["last_epoch"])],
        "Δ drop (regular − arm)": table["delta"].map(fmt_num), "p (paired, 1-tailed)": table["p"].map(fmt_p),
        "p (Holm)": table["p_holm"].map(fmt_p), "MDE": table["mde"].map(fmt_num),
        "paper Δ drop": table["paper_delta"].map(fmt_num), "verdict": table["verdict"]})
    lines = ["## Overfitting (paper Fig. 1 right)", "", shown.to_markdown(index=False), "",
             "Drop = a run's best score over its per-epoch evaluations minus its score after the last epoch (mean ± "
             "std over seeds); Δ drop = regular's drop minus the arm's, paired by seed (positive: the arm falls "
             "less), one-tailed in the paper's direction, Holm-corrected within the task and model; MDE at α 0.05, power 0.8. "
             "Paper Δ drop = the paper's regular drop minus its LLM-JEPA drop read off Fig. 1 right's labels "
             "(six-epoch runs, NL-RX-SYNTH 56.0 → 51.5 vs 71.8 at the end; uncertain mapping of labels to epochs). "
             "A setting where regular's mean curve peaks at its last epoch gives no verdict. The final accuracies "
             "are compared in the table above.", ""]
    for _, r in table[~table["baseline"]].iterrows():
        lines.append(f"* {arm_heading(r, table['model'].nunique() > 1)}: **{r['verdict']}**: {r['verdict_reason']}")
    return lines + [""]


register(Comparison(
    measure="drop", versus="regular", reference="regular", description="drop from the peak epoch (regular − arm)",
    paper=PAPER_SOURCE, build=lambda i: overfitting_table(i.runs, i.split, i.paper),
    section=lambda t, i: overfitting_section(t), csv="overfitting", missing="runs with per-epoch evaluations",
    order=30))
