"""Next-token training does not minimise the JEPA term (paper §3.3, Fig. 3 right).

Runs with `jepa_diagnostic_every` log 1 − cos(Pred(Enc(Text)), Enc(Code)) measured without gradient
(`jepa_diagnostic` in train_log.jsonl), whatever their objective. The paper shows this term flat under
next-token training and falling under LLM-JEPA. Each run gives its fall = (mean of the first tenth of its
logged values) − (mean of the last tenth); each arm is paired by seed with regular: Δ = the arm's fall −
regular's fall, tested one-tailed (H1: the arm lowers the term more), Holm-corrected within the task and model.

Fig. 3 right prints no values, so the paper gives the direction but no effect size: the power statement is
the minimum detectable effect alone, and a negative verdict cannot say whether an effect of the paper's size
was absent.
"""
from __future__ import annotations

from benchmark.analysis.comparisons import Comparison, register
from benchmark.analysis.runs import Run, arm_heading, fmt_num, fmt_p, group_arms, is_baseline, uses_predictors
from benchmark.analysis.tables import UNPAIRED, judge_direction_only, paired_values
from benchmark.training.objectives import DIAGNOSTIC_KEY

WINDOW = 0.1  # share of the logged values averaged at each end (single log lines are noisy micro-batches)
PAPER_DIRECTION = 1.0  # Fig. 3 right: the term falls under LLM-JEPA, stays flat under next-token training


def diagnostic_series(run: Run) -> list[tuple[int, float]]:
    """(optimizer step, 1 − cos) of every logged diagnostic of the run, in step order."""
    return sorted((rec["step"], float(rec[DIAGNOSTIC_KEY])) for rec in run.train_log() if DIAGNOSTIC_KEY in rec)


def start_end_fall(series: list[tuple[int, float]]) -> tuple[float, float, float]:
    """(start, end, start − end), each end the mean of WINDOW of the values (at least one)."""
    w = max(1, int(len(series) * WINDOW))
    start = sum(v for _, v in series[:w]) / w
    end = sum(v for _, v in series[-w:]) / w
    return start, end, start - end


def diagnostic_table(runs: list[Run]):
    """One row per arm whose runs logged the diagnostic (at least two values each): start, end and fall
    (mean ± std over seeds), and for each non-regular arm the paired test of its fall against regular's;
    empty when no run logged it."""
    import pandas as pd

    from benchmark.analysis import stats

    rows = []
    for rs, base in group_arms(runs):
        falls = {r.cfg["seed"]: start_end_fall(s) for r in rs if len(s := diagnostic_series(r)) >= 2}
        if not falls:
            continue
        cfg = rs[0].cfg
        start, _, n = stats.mean_std([v[0] for v in falls.values()])
        end, _, _ = stats.mean_std([v[1] for v in falls.values()])
        fall, fall_std, _ = stats.mean_std([v[2] for v in falls.values()])
        row = {"task": cfg["task"], "model": cfg["model"], "method": rs[0].label,
               "lambda": None if is_baseline(cfg) else cfg.get("lbd"),
               "k": cfg.get("predictors") if uses_predictors(cfg) else None, "n": n, "start": start, "end": end,
               "fall_mean": fall, "fall_std": fall_std, "baseline": is_baseline(cfg), **UNPAIRED}
        if base and not is_baseline(cfg):
            base_falls = {r.cfg["seed"]: start_end_fall(s)[2] for r in base if len(s := diagnostic_series(r)) >= 2}
            row.update(paired_values({s: v[2] for s, v in falls.items()}, base_falls, alternative="greater"))
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    # Fig. 3 right prints no values: it gives a direction, not a size
    return judge_direction_only(table, PAPER_DIRECTION, source="Fig. 3 right", unit="1 − cos units", digits=4,
                                missing_reference="no regular arm that logged the diagnostic in the same setting")


def diagnostic_section(table) -> list[str]:
    """README lines for the diagnostic table (none when no run logged the diagnostic)."""
    import pandas as pd

    from benchmark.analysis import stats

    if table.empty:
        return []
    f4 = lambda x: fmt_num(x, 4)  # noqa: E731 (1 - cos values need four digits)
    shown = pd.DataFrame({
        "task": table["task"], "method": table["method"],
        "λ": table["lambda"].map(lambda v: "" if v is None or v != v else f"{v:g}"),
        "k": table["k"].map(lambda v: "" if v is None or v != v else f"{int(v)}"), "n": table["n"],
        "start": table["start"].map(f4), "end": table["end"].map(f4),
        "fall": [stats.format_mean_std(m, s, digits=4) for m, s in zip(table["fall_mean"], table["fall_std"])],
        "Δ fall vs regular": table["delta"].map(f4), "p (paired, 1-tailed)": table["p"].map(fmt_p),
        "p (Holm)": table["p_holm"].map(fmt_p), "MDE": table["mde"].map(f4), "verdict": table["verdict"]})
    lines = ["## The JEPA term under each objective (paper Fig. 3 right)", "", shown.to_markdown(index=False), "",
             f"`{DIAGNOSTIC_KEY}` = 1 − cos(Pred(Enc(Text)), Enc(Code)) measured without gradient every "
             "`jepa_diagnostic_every` optimizer steps, for every objective. Start / end = the mean of the first / "
             f"last {WINDOW:.0%} of a run's logged values; fall = start − end (mean ± std over seeds); Δ fall = "
             "the arm's fall minus regular's, paired by seed, one-tailed (H1: the arm lowers the term more), "
             "Holm-corrected within the task and model. The paper (Fig. 3 right) shows the term flat under next-token "
             "training and falling under LLM-JEPA, without values: it gives the direction, not an effect size.", ""]
    for _, r in table[~table["baseline"]].iterrows():
        lines.append(f"* {arm_heading(r, table['model'].nunique() > 1)}: **{r['verdict']}**: {r['verdict_reason']}")
    return lines + [""]


register(Comparison(
    measure="diagnostic", versus="regular", reference="regular", description="fall of the JEPA term (arm − regular)",
    paper="Fig. 3 right", build=lambda i: diagnostic_table(i.runs), section=lambda t, i: diagnostic_section(t),
    csv="diagnostic", missing="runs that logged the JEPA diagnostic", order=40, digits=4, unit="", own_rule=True))
