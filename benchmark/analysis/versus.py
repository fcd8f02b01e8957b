"""Arms paired with a reference arm of their own setting rather than with regular training: the paper's designs
that compare variants of LLM-JEPA among themselves (Table 3's loss variants against cosine, ablation.py; Table
6's loss-dropout rates against no dropout at equal FLOPs, loss_dropout.py).

A `Design` names the reference arm, the config fields that tell the arms of one setting apart, and where the
paper's number for an arm is. Each arm is paired by seed with the reference of the setting it shares every
other field with, tested one-tailed in the direction of the paper's own difference (arm − reference; two-sided
where the paper has no comparable number, and then no verdict), Holm-corrected over the arms of one setting,
and judged by the rule of verdicts.py with the power of power.py, as the comparison table is.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from benchmark.analysis.runs import IGNORED_FIELDS, Run, canonical_json
from benchmark.analysis.tables import NO_QUESTIONS, judge_rows, paired_detail, questions_cell


@dataclass(frozen=True)
class Design:
    reference: str  # the arm name every other arm of a setting is paired with
    arm_fields: tuple[str, ...]  # config fields that tell the arms of one setting apart
    arm_of: Callable[[dict], str | None]  # a run config's arm name; None: the run is not part of this design
    paper_mean: Callable[[object, Run, str], float]  # (paper numbers, a run of the arm, its name) -> %, or NaN
    why_no_claim: Callable[[Run], str]  # why an arm without a paper number gets no verdict
    order: tuple[str, ...] = ()  # the paper's row order (others follow, sorted)
    display: Callable[[str], str] = str  # an arm's name as the README shows it


def design_setting(run: Run, design: Design) -> tuple:
    """What the arms of one design must share to be compared (every field but its arm fields, seed and paths)."""
    skip = set(design.arm_fields) | set(IGNORED_FIELDS)
    return tuple((k, canonical_json(run.cfg.get(k))) for k in sorted(run.cfg) if k not in skip)


def _ordered(names, design: Design) -> list[str]:
    first = [n for n in design.order if n in names]
    return first + sorted(n for n in names if n not in design.order)


def versus_table(runs: list[Run], split: str, paper, design: Design):
    """One row per arm of the design (its reference included) per setting; empty when the tree has none."""
    import pandas as pd

    from benchmark.analysis import stats

    groups: dict[tuple, dict[str, list[Run]]] = {}
    for r in runs:
        name = design.arm_of(r.cfg)
        if name is not None and r.score(split) is not None:
            groups.setdefault(design_setting(r, design), {}).setdefault(name, []).append(r)
    rows = []
    for arms in groups.values():
        if design.reference not in arms or len(arms) < 2:
            continue
        ref_runs = arms[design.reference]
        paper_ref = design.paper_mean(paper, ref_runs[0], design.reference)
        family = []
        for name in _ordered(arms, design):
            first = arms[name][0]
            scores = {r.cfg["seed"]: r.score(split) for r in arms[name]}
            mean, std, n = stats.mean_std(list(scores.values()))
            paper_mean = design.paper_mean(paper, first, name)
            row = {"task": first.cfg["task"], "model": first.cfg["model"], "variant": design.display(name),
                   "method": first.label,
                   "lambda": first.cfg.get("lbd"), "k": first.cfg.get("predictors"), "metric": first.headline,
                   "n": n, "mean": mean, "std": std, "delta": math.nan, "p": math.nan, "n_pairs": 0,
                   "paper_mean": paper_mean, "paper_delta": paper_mean - paper_ref,
                   "reference": name == design.reference, **NO_QUESTIONS}
            if name != design.reference:
                direction = "two-sided" if math.isnan(row["paper_delta"]) else \
                    "less" if row["paper_delta"] < 0 else "greater"
                detail = paired_detail(arms[name], ref_runs, split, alternative=direction)
                row.update(**detail,
                           no_claim="" if not math.isnan(row["paper_delta"]) else design.why_no_claim(first))
                family.append(len(rows))
            rows.append(row)
        for i, p in zip(family, stats.holm([rows[i]["p"] for i in family])):
            rows[i]["p_holm"] = p
    table = pd.DataFrame(rows)
    if table.empty:
        return table

    def no_verdict(r):
        if r["reference"]:
            return "reference", ""
        if math.isnan(r["paper_delta"]):
            return "no paper claim", r["no_claim"]
        return None

    return judge_rows(table, no_verdict)


def versus_markdown(table, reference_label: str) -> str:
    """The table as the README shows it."""
    import pandas as pd

    from benchmark.analysis import stats
    from benchmark.analysis.runs import fmt_num, fmt_p

    shown = pd.DataFrame({
        "arm": table["variant"], "λ": table["lambda"].map(lambda v: f"{v:g}"), "k": table["k"],
        "n": table["n"], "ours (%)": [stats.format_mean_std(m, s) for m, s in zip(table["mean"], table["std"])],
        f"Δ vs {reference_label}": table["delta"].map(fmt_num), "p (paired)": table["p"].map(fmt_p),
        "p (Holm)": table.get("p_holm", table["p"]).map(fmt_p), "MDE": table["mde"].map(fmt_num),
        "questions + / − (p)": [questions_cell(u, d, p) if not ref else "" for u, d, p, ref in
                                zip(table["q_up"], table["q_down"], table["p_questions"], table["reference"])],
        "paper (%)": table["paper_mean"].map(fmt_num),
        f"paper Δ vs {reference_label}": [fmt_num(d) if not ref else ""
                                          for d, ref in zip(table["paper_delta"], table["reference"])],
        "verdict": table["verdict"]})
    return shown.to_markdown(index=False) + (
        f"\n\nQuestions + / −: the test questions the arm answers correctly in more / fewer paired seeds than "
        f"{reference_label}, with the exact sign test over them in the direction of the row's t-test (its unit is "
        f"the question, not the seed; it informs, no verdict reads it).")
