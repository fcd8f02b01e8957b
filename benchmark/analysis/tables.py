"""The comparison table of a report: each arm beside its regular baseline, the paper's number, and power.

Arms: runs that differ only in their seed are one arm (analysis/runs.py). Each non-regular arm is paired by
seed with the `regular` arm of the same setting and tested with the paper's paired one-tailed t-test; p is
Holm-corrected within each task's table of one model (the comparisons one experiment makes against one baseline); the
verdict follows `verdicts.VERDICT_RULE` and says, from `power.py`, whether an effect of the paper's size
could have been seen.

Which paper cell an arm faces, if any, is analysis/paper_cells.py's decision.
"""
from __future__ import annotations

import math
from pathlib import Path

from benchmark.analysis.comparisons import Comparison, register
from benchmark.analysis.paper_cells import only_the_papers_setting, paper_arm, paper_reference
from benchmark.analysis.runs import ReportError, Run, fmt_num, fmt_p, group_arms, is_baseline, uses_predictors


def paired_detail(treated: list[Run], control: list[Run], split: str, metric: str | None = None,
                  alternative: str = "greater") -> dict:
    """The paired test of `treated` against `control` over common seeds, with what power needs: the
    spread of the differences and the share of it that comes from sampling the test rows; the seed t-test and
    the sign test over questions are both run in `alternative`'s direction."""
    import statistics

    from benchmark.analysis import stats

    t = {r.cfg["seed"]: r for r in treated if r.score(split, metric) is not None}
    c = {r.cfg["seed"]: r for r in control if r.score(split, metric) is not None}
    test = stats.paired_t_test({s: r.score(split, metric) for s, r in t.items()},
                               {s: r.score(split, metric) for s, r in c.items()}, alternative=alternative)
    seeds = sorted(set(t) & set(c))
    diffs = [t[s].score(split, metric) - c[s].score(split, metric) for s in seeds]
    sd = statistics.stdev(diffs) if len(diffs) > 1 else math.nan
    row_vars, n_rows, per_question = [], 0, None
    for s in seeds:
        a, b = t[s].final_flags(split, metric), c[s].final_flags(split, metric)
        if a is None or b is None or len(a) != len(b) or len(a) < 2:
            row_vars, per_question = [], None
            break
        here = [x - y for x, y in zip(a, b)]
        row_vars.append(statistics.variance([100.0 * d for d in here]))
        n_rows = len(a)
        per_question = here if per_question is None else [q + d for q, d in zip(per_question, here)]
    questions = question_sign_test(per_question, alternative)
    return {"delta": test.mean_diff, "p": test.p, "n_pairs": test.n, "sd_diff": sd,
            "row_var": statistics.fmean(row_vars) if row_vars else math.nan, "n_rows": n_rows, **questions}


def question_sign_test(per_question: list[int] | None, alternative: str = "greater") -> dict:
    """The sign test over test questions: for each question, the arm's correct answers minus regular's summed
    over the paired seeds; questions the arm answers more often count up, those regular answers more often
    down, ties drop out. Unlike the seed-paired t-test, which holds the test rows fixed, its unit is the
    question, so it asks whether the difference would carry over to other questions of the task; at a
    floor it is the test that still means something (a handful of questions, counted exactly)."""
    from benchmark.analysis import stats

    if not per_question:
        return dict(NO_QUESTIONS)
    st = stats.sign_test(sum(d > 0 for d in per_question), sum(d < 0 for d in per_question), alternative)
    return {"q_up": st.up, "q_down": st.down, "p_questions": st.p}


NO_QUESTIONS = {"q_up": math.nan, "q_down": math.nan, "p_questions": math.nan}
UNPAIRED = {"delta": math.nan, "p": math.nan, "n_pairs": 0, "sd_diff": math.nan, "row_var": math.nan, "n_rows": 0,
            **NO_QUESTIONS}


def paired_values(treatment: dict, control: dict, alternative: str) -> dict:
    """The paired test of two {seed: value} maps of one number per run (a drop, a fall, an error), as the
    columns `power_columns` reads: Δ = treatment − control, the spread of the differences, and no row-level
    variance (there is no per-test-row outcome behind such a number)."""
    from benchmark.analysis import stats

    test = stats.paired_t_test(treatment, control, alternative=alternative)
    diffs = [treatment[s] - control[s] for s in sorted(set(treatment) & set(control))]
    return {**UNPAIRED, "delta": test.mean_diff, "p": test.p, "n_pairs": test.n,
            "sd_diff": stats.mean_std(diffs)[1] if len(diffs) > 1 else math.nan}


def pooled_spread(table) -> tuple[float, int, int]:
    """(pooled standard deviation, its degrees of freedom, comparisons pooled) of the paired differences of a
    table's rows with two or more seeds: sqrt(sum (n - 1) s² / sum (n - 1)). Power is stated from it, since one
    comparison's own three or five seeds give a spread uncertain by a factor of several."""
    pairs = [(int(n), float(s)) for n, s in zip(table["n_pairs"], table["sd_diff"])
             if n == n and n >= 2 and s == s] if "sd_diff" in table else []
    df = sum(n - 1 for n, _ in pairs)
    if not df:
        return math.nan, 0, 0
    return math.sqrt(sum((n - 1) * s * s for n, s in pairs) / df), df, len(pairs)


def power_columns(detail: dict, paper_delta: float, pooled: tuple[float, int, int] | None = None) -> dict:
    """MDE, seeds and rows needed for the paper's effect, and the sentence that says so, from `pooled`
    (`pooled_spread` of the row's table) where given, else from the row's own spread."""
    from benchmark.analysis import power

    sd, note = detail["sd_diff"], "the spread of this comparison's own paired differences"
    if pooled is not None and not math.isnan(pooled[0]):
        sd = pooled[0]
        note = (f"the pooled spread of the paired differences of the {pooled[2]} comparison(s) of this table "
                f"({sd:.2f}, {pooled[1]} d.f.)")
    split = None
    if not math.isnan(detail["row_var"]) and detail["n_rows"]:
        split = power.split_variance(sd, detail["row_var"], detail["n_rows"])
    st = power.state_power(paper_delta, sd, int(detail["n_pairs"]), split)
    text = st.text if st.text.startswith("power unknown") else f"{st.text} (from {note})"
    return {"mde": st.mde, "seeds_for_paper": st.seeds_for_paper, "rows_for_paper": st.rows_for_paper,
            "powered": st.powered, "power": text}


def comparison_table(runs: list[Run], split: str, paper=None):
    """One row per arm: ours (mean ± std over seeds) beside the paper's, with paired tests vs regular."""
    import pandas as pd

    from benchmark.analysis import stats, verdicts

    rows = []
    for rs, base in group_arms(runs):
        cfg = rs[0].cfg
        scores = {r.cfg["seed"]: r.score(split) for r in rs if r.score(split) is not None}
        if not scores:
            continue
        mean, std, n = stats.mean_std(list(scores.values()))
        label = rs[0].label
        row = {"task": cfg["task"], "model": cfg["model"], "method": label,
               "lambda": cfg.get("lbd") if not is_baseline(cfg) else None,
               "k": cfg.get("predictors") if uses_predictors(cfg) else None,
               "metric": rs[0].headline, "split": split, "epochs": stats.mean_std([r.epochs_trained for r in rs])[0], "n": n,
               "mean": mean, "std": std, **UNPAIRED, "seeds": ",".join(str(s) for s in sorted(scores)),
               "baseline": is_baseline(cfg), "regular_mean": math.nan}
        if not is_baseline(cfg) and base:
            row.update(paired_detail(rs, base, split))
            base_scores = [r.score(split) for r in base if r.score(split) is not None]
            row["regular_mean"] = stats.mean_std(base_scores)[0] if base_scores else math.nan
        scored = next(r for r in rs if r.score(split) is not None)
        row["test_rows"] = scored.evaluations(split)[-1].get("n", 0)  # for the floor rule (verdicts.py)
        capped = [c for r in rs if r.score(split) is not None and (c := r.capped_share(split)) is not None]
        row["hit_cap"] = sum(capped) / len(capped) if capped else math.nan
        ref = paper_reference(paper, cfg["task"], paper_arm(label, cfg), bool(cfg.get("pretrain")), cfg["model"],
                              row["metric"], split=split, epochs=row["epochs"]) \
            or {"reason": "the paper reports no such number"}
        matched = "mean" in ref
        row.update(paper_table=ref.get("table", ""), paper_note=ref["reason"],
                   paper_mean=ref["mean"] if matched else math.nan,
                   paper_std=ref["std"] if matched else math.nan, paper_p=ref["p"] if matched else math.nan,
                   paper_delta=(ref["mean"] - ref["regular"]) if matched and ref["regular"] is not None
                   and not is_baseline(cfg) else math.nan,
                   comparable=matched and cfg["model"] == ref["model"] and cfg.get("limit_train") is None)
        row["_paper_setting"] = (ref.get("lbd"), ref.get("predictors")) if matched else None
        row["_grid"] = rs[0].grid  # the arms of one (k, λ) grid (paper_cells.only_the_papers_setting)
        rows.append(row)
    only_the_papers_setting(rows)
    table = pd.DataFrame(rows).drop(columns=["_paper_setting", "_grid"], errors="ignore")
    if table.empty:
        raise ReportError(f"no run was evaluated on split {split!r}")

    def no_verdict(r):
        if r["baseline"]:
            return "baseline", ""
        if r["n_pairs"] == 0 and math.isnan(r["delta"]):
            return "no baseline", "no regular arm with the same settings in this results tree"
        floor = verdicts.floor_verdict(r["regular_mean"], r["mean"], int(r["test_rows"]))
        if floor:
            return floor[0], floor[1] + questions_clause(r)
        if math.isnan(r["paper_delta"]):
            return "no paper claim", r["paper_note"] or "the paper reports no such comparison"
        return None

    return judge_rows(holm_within_tasks(table), no_verdict)


def questions_clause(r) -> str:
    """"; over questions, ..." for a row with a sign test over questions, else ""."""
    if math.isnan(r.get("q_up", math.nan)):
        return ""
    return (f"; over questions, the arm answers {int(r['q_up'])} more often than regular and regular "
            f"{int(r['q_down'])} more often than the arm (the others tie; sign test over questions, one-tailed p "
            f"{fmt_p(r['p_questions'])})")


def questions_cell(up, down, p) -> str:
    return "—" if math.isnan(up) else f"{int(up)} / {int(down)} ({fmt_p(p)})"


def holm_within_tasks(table):
    """Rows in table order, with p Holm-corrected within each task and model: one family of comparisons per
    task table of one model (the comparisons one experiment makes against one reference; the paper tests each
    model of Tables 12 and 15 on its own)."""
    from benchmark.analysis import stats

    table = table.sort_values(["task", "model", "method", "lambda", "k"], na_position="first").reset_index(drop=True)
    table["p_holm"] = math.nan
    for _, idx in table.groupby(["task", "model"]).groups.items():
        table.loc[idx, "p_holm"] = stats.holm(table.loc[idx, "p"].tolist())
    return table


NO_POWER = {"mde": math.nan, "seeds_for_paper": None, "rows_for_paper": None, "powered": None, "power": ""}


def judge_rows(table, no_verdict):
    """Add the power columns (power.py, against each row's `paper_delta`) and the verdict columns: rows for
    which `no_verdict(row)` returns (label, reason) get that (a baseline, a missing reference, no paper claim);
    the others are judged by `verdicts.VERDICT_RULE` from delta, p_holm, n_pairs and sd_diff (the bound's own
    spread); power is stated from the table's pooled spread."""
    from benchmark.analysis import verdicts

    judged, powers = [], []
    pooled = pooled_spread(table)
    for _, r in table.iterrows():
        pw = power_columns(r, r["paper_delta"], pooled) if r["n_pairs"] else NO_POWER
        powers.append(pw)
        judged.append(no_verdict(r) or verdicts.claim_verdict(
            r["delta"], r["p_holm"], r["paper_delta"], n=int(r["n_pairs"]), sd=r["sd_diff"], power_text=pw["power"]))
    for key in NO_POWER:
        table[key] = [p[key] for p in powers]
    table["pooled_sd"], table["pooled_df"], table["pooled_n"] = pooled  # the spread power was stated from
    table["verdict"] = [v[0] for v in judged]
    table["verdict_reason"] = [v[1] for v in judged]
    return table


def judge_direction_only(table, direction: float, *, source: str, unit: str, digits: int, missing_reference: str):
    """Holm within tasks, then `judge_rows` for a measure whose paper gives a direction but no size comparable
    with ours (Fig. 3 right, Table 14), by `verdicts.direction_only_verdict`. The power sentence states our
    minimum detectable effect in `unit` (from the table's pooled spread); `source` names the paper's figure or
    table; `missing_reference` says why a row has no pair."""
    table["paper_delta"] = math.nan
    table["paper_table"] = f"{source} (direction only)"
    pooled = pooled_spread(table)

    def verdict(r):
        if r["baseline"]:
            return "baseline", ""
        if r["n_pairs"] == 0:
            return "no baseline", missing_reference
        return direction_only_row(r, direction, source=source, unit=unit, digits=digits, pooled=pooled)[:2]

    table = judge_rows(holm_within_tasks(table), verdict)
    table["power"] = [direction_only_power(r, source=source, unit=unit, digits=digits, pooled=pooled)
                      if r["n_pairs"] else "" for _, r in table.iterrows()]
    return table


def direction_only_power(r, *, source: str, unit: str, digits: int, pooled=None) -> str:
    """The power sentence of a row judged by direction alone: our minimum detectable effect (from `pooled`, a
    table's `pooled_spread`, where given, else the row's own spread), and that `source` gives no size to set
    it against."""
    got = power_columns(r, math.nan, pooled)
    spread = ("the table's pooled spread" if pooled is not None and not math.isnan(pooled[0])
              else "this comparison's own spread")
    return (f"power: {source} gives no size comparable with ours; our minimum detectable effect is "
            f"{fmt_num(got['mde'], digits)} ({unit}, α 0.05, power 0.8, {int(r['n_pairs'])} seeds, from {spread})")


def direction_only_row(r, direction: float, *, source: str, unit: str, digits: int,
                       pooled=None) -> tuple[str, str, str]:
    """(verdict, reason, power) of one paired row (delta, p_holm, n_pairs and the spread columns) judged by the
    paper's `direction` alone (`verdicts.direction_only_verdict`): the rule for a measure or a cell the paper
    states no comparable size for."""
    from benchmark.analysis import verdicts

    power_text = direction_only_power(r, source=source, unit=unit, digits=digits, pooled=pooled)
    label, reason = verdicts.direction_only_verdict(r["delta"], r["p_holm"], direction, n=int(r["n_pairs"]),
                                                    sd=r.get("sd_diff"))
    return label, f"{reason}; {power_text}", power_text


def presentable(table):
    """The columns a reader wants, formatted."""
    import pandas as pd

    from benchmark.analysis import stats

    def opt_int(v) -> str:
        return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{int(v)}"

    return pd.DataFrame({
        "task": table["task"], "model": table["model"].str.split("/").str[-1], "method": table["method"],
        "λ": table["lambda"].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:g}"),
        "k": table["k"].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{int(v)}"),
        "n": table["n"], "ours (%)": [stats.format_mean_std(m, s) for m, s in zip(table["mean"], table["std"])],
        "hit cap (%)": table["hit_cap"].map(lambda v: fmt_num(v, 1)),
        "Δ vs regular": table["delta"].map(fmt_num), "p (paired, 1-tailed)": table["p"].map(fmt_p),
        "p (Holm)": table["p_holm"].map(fmt_p), "MDE": table["mde"].map(fmt_num),
        "questions + / − (p)": [questions_cell(u, d, p) for u, d, p in
                                zip(table["q_up"], table["q_down"], table["p_questions"])],
        "paper (%)": [stats.format_mean_std(m, s) if not math.isnan(m) else "—"
                      for m, s in zip(table["paper_mean"], table["paper_std"])],
        "paper Δ": table["paper_delta"].map(fmt_num),
        "seeds for paper Δ": table["seeds_for_paper"].map(opt_int),
        "paper source": [t or (f"— ({n})" if n else "—") for t, n in zip(table["paper_table"], table["paper_note"])],
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


register(Comparison(
    measure="score", versus="regular", reference="regular", description="final score",
    paper="the paper's tables of each setting (paper_cells.py)",
    build=lambda i: comparison_table(i.runs, i.split, i.paper), missing="regular comparison", order=0))
