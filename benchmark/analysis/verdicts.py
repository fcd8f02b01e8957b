"""Verdicts on the paper's claims from our paired comparisons (the rule every report prints), and whether
our absolute numbers match the paper's.
"""
from __future__ import annotations

import math
from typing import NamedTuple

from benchmark.analysis.stats import student_t_isf, welch_t_test_from_stats

VERDICT_RULE = (
    "A paper claim \"method B beats method A on this task\" is judged from our runs of both methods, "
    "paired by seed. It is REPRODUCED when our mean difference (B − A) has the same sign as the "
    "paper's and our one-tailed paired t-test in the paper's direction is significant after "
    "Holm–Bonferroni correction within its family (adjusted p < alpha, alpha = 0.05 unless stated). The "
    "family is the set of comparisons one experiment makes against one reference: the arms of one task's "
    "table of a report for one model against their regular baseline, or for the Table 3 ablation (and Table "
    "6's loss dropout) the variants of one setting against cosine LLM-JEPA (without dropout); the claims ledger "
    "takes each verdict from its report, so claims of different experiments are not corrected against each "
    "other. It is NOT REPRODUCED (PAPER'S EFFECT EXCLUDED) when, with at least 3 matched seeds, the one-sided 95 % "
    "confidence bound of our mean difference in the paper's direction (t with n − 1 degrees of freedom, from "
    "the spread of our own paired differences) lies on the far side of the paper's difference: for a claimed "
    "gain, our upper bound is below the paper's Δ; where the paper gives a direction but no comparable size, "
    "the bound excludes every effect in its direction. Otherwise it is INCONCLUSIVE (TOO LITTLE DATA): fewer "
    "than 3 matched seeds, or a bound that still reaches the paper's difference, whichever way our point "
    "estimate points (where the paper gives no size: INCONCLUSIVE (NO PAPER EFFECT SIZE)). Every verdict prints "
    "the bound beside the paper's Δ and states its power as information: the minimum detectable effect (MDE) of "
    "our paired one-tailed t-test (alpha 0.05, power 0.8) and the seeds (and test rows) an effect of the "
    "paper's size would need, both from the pooled spread of the paired differences of the comparisons in the "
    "same table of the results tree (more degrees of freedom than one comparison's own three or five seeds). A "
    "paper number "
    "is compared only when it measures the same thing: task, method, metric, the whole test split, and the "
    "number of training epochs (four, the paper's protocol, where a table states none); a LoRA run faces only Table "
    "8's cell of its rank, and the cells of a (λ, k) grid only the paper's cell of their λ and k. A comparison in which "
    "both arms answer fewer than 5 test rows correctly per run on average (or miss fewer than 5) is "
    "INCONCLUSIVE (AT THE FLOOR, or AT THE CEILING) whatever its p: the t-test and its MDE lean on a normal "
    "approximation of counts of correct rows that needs at least 5 on each side (the usual n·p ≥ 5 rule), and a "
    "difference there is a difference in a handful of questions."
)

EXCLUDED = "not reproduced (paper's effect excluded)"
TOO_LITTLE = "inconclusive (too little data)"
NO_SIZE = "inconclusive (no paper effect size)"
DIRECTION_EXCLUDED = "not reproduced (paper's direction excluded)"
BOUND_LEVEL = 0.95  # the one-sided confidence bound of the rule

FLOOR_ROWS = 5  # the usual n·p >= 5 (and n·(1 - p) >= 5) condition for the normal approximation of a binomial
FLOOR_LABELS = ("inconclusive (at the floor)", "inconclusive (at the ceiling)")

MIN_SEEDS = 3


def floor_verdict(regular_mean: float, arm_mean: float, test_rows: int) -> tuple[str, str] | None:
    """("inconclusive (at the floor)" or "(at the ceiling)", reason) when both arms' mean accuracies (percent)
    over `test_rows` rows leave fewer than FLOOR_ROWS correct (or wrong) rows per run; else None."""
    if not test_rows or any(math.isnan(float(m)) for m in (regular_mean, arm_mean)):
        return None
    correct = [float(m) / 100 * test_rows for m in (regular_mean, arm_mean)]
    if max(correct) < FLOOR_ROWS:
        side, what = "floor", "correctly"
    elif min(correct) > test_rows - FLOOR_ROWS:
        side, what = "ceiling", "wrongly"
    else:
        return None
    counts = correct if side == "floor" else [test_rows - c for c in correct]
    return (FLOOR_LABELS[side == "ceiling"],
            f"regular answers {counts[0]:.3g} and the arm {counts[1]:.3g} of {test_rows} test rows {what} per run on "
            f"average, under the {FLOOR_ROWS} the paired t-test's normal approximation needs on each side: a "
            f"difference of a few questions, not a measure of the effect (more test rows, or a model that "
            f"{'learns the task' if side == 'floor' else 'does not solve every row'}, would be)")


def upper_bound(along: float, sd: float, n: int, level: float = BOUND_LEVEL) -> float:
    """The one-sided `level` upper confidence bound of a mean paired difference `along` (t, n − 1 d.f.); NaN
    without a spread."""
    if n is None or n < 2 or sd is None or math.isnan(float(sd)) or math.isnan(float(along)):
        return math.nan
    return along + student_t_isf(1.0 - level, n - 1) * float(sd) / math.sqrt(n)


def claim_verdict(ours_diff_mean: float, ours_p_holm: float, paper_diff: float, alpha: float = 0.05,
                  *, n: int | None = None, sd: float | None = None, min_seeds: int = MIN_SEEDS,
                  power_text: str = "", paper_label: str | None = None) -> tuple[str, str]:
    """Verdict on one paper claim, following :data:`VERDICT_RULE`.

    ``ours_diff_mean``: our mean paired difference B − A; ``ours_p_holm``: our Holm-adjusted one-tailed p in the
    paper's direction; ``paper_diff``: the paper's difference B − A (its sign and size); ``n``: matched seeds;
    ``sd``: the standard deviation of our paired differences (the bound's spread). Returns ``(label, reason)``;
    the reason prints our bound beside the paper's Δ and ends with ``power_text``."""
    label, reason = _claim_verdict(ours_diff_mean, ours_p_holm, paper_diff, alpha, n=n, sd=sd, min_seeds=min_seeds,
                                   paper_label=paper_label, size_known=True)
    return label, reason + (f"; {power_text}" if power_text else "")


def direction_only_verdict(ours_diff_mean: float, ours_p_holm: float, paper_direction: float,
                           *, n: int | None = None, sd: float | None = None,
                           p_opposite: float | None = None) -> tuple[str, str]:
    """:func:`claim_verdict` where the paper gives a direction but no size comparable with ours (Fig. 3 right,
    Fig. 7, Table 14): not reproduced only when our bound excludes every effect in the paper's direction,
    else "(no paper effect size)"; fewer than the minimum seeds is always "(too little data)". A test without a
    t bound (the grid's permutation test) passes `p_opposite`, its one-tailed p against the paper's direction:
    the direction is excluded at 95 % exactly when that p is below 0.05."""
    sign = "+" if paper_direction > 0 else "−"
    label, reason = _claim_verdict(ours_diff_mean, ours_p_holm, paper_direction, 0.05, n=n, sd=sd,
                                   min_seeds=MIN_SEEDS, paper_label=f"the paper's direction ({sign})", size_known=False)
    if p_opposite is not None and label == NO_SIZE and "no spread" in reason:
        if p_opposite < 0.05:
            return DIRECTION_EXCLUDED, reason.replace("no spread for a confidence bound", (
                f"the one-tailed test against the paper's direction gives p = {p_opposite:.3g} < 0.05: the "
                "direction is excluded"))
        return NO_SIZE, reason.replace("no spread for a confidence bound", (
            f"the one-tailed test against the paper's direction gives p = {p_opposite:.3g}: the direction is not "
            "excluded"))
    return label, reason


def _claim_verdict(ours_diff_mean: float, ours_p_holm: float, paper_diff: float, alpha: float, *, n: int | None,
                   sd: float | None, min_seeds: int, paper_label: str | None, size_known: bool) -> tuple[str, str]:
    d, p, pd_ = float(ours_diff_mean), float(ours_p_holm), float(paper_diff)
    if math.isnan(pd_) or pd_ == 0.0:
        return "inconclusive", "the paper's difference has no direction (zero or missing)"
    if math.isnan(d):
        return "inconclusive", "no result of ours to compare"
    versus = f"ours {d:+.3g} vs {paper_label or f'paper {pd_:+.3g}'}"
    if n is not None and n < min_seeds:
        return TOO_LITTLE, f"{versus}: only {n} matched seed(s), need {min_seeds}"
    if n is None and math.isnan(p):
        return TOO_LITTLE, f"{versus}: no p-value (fewer than 2 matched seeds?)"
    along = d if pd_ > 0 else -d  # our effect measured in the paper's direction
    if along > 0 and p < alpha:
        return "reproduced", f"{versus}, same direction, Holm-adjusted one-tailed p = {p:.3g} < {alpha:g}"
    where = ("same direction but not significant (Holm-adjusted one-tailed p = "
             + ("undefined" if math.isnan(p) else f"{p:.3g} ≥ {alpha:g}") + ")" if along > 0
             else "no difference in our runs" if along == 0 else "opposite direction in our runs")
    bound = upper_bound(along, sd, n) if n is not None else math.nan
    if math.isnan(bound):
        return (TOO_LITTLE if size_known else NO_SIZE), f"{versus}, {where}; no spread for a confidence bound"
    size = abs(pd_) if size_known else 0.0
    bound_txt = f"the one-sided {BOUND_LEVEL:.0%} upper bound of our difference in the paper's direction is {bound:+.3g}"
    if size_known and bound < size:
        return EXCLUDED, f"{versus}, {where}; {bound_txt}, below the paper's {size:.3g}: its effect is excluded"
    if not size_known and bound <= 0:
        return DIRECTION_EXCLUDED, f"{versus}, {where}; {bound_txt}: no effect in the paper's direction fits our runs"
    if size_known:
        return TOO_LITTLE, f"{versus}, {where}; {bound_txt}, which still reaches the paper's {size:.3g}"
    return NO_SIZE, f"{versus}, {where}; {bound_txt}, which reaches into the paper's direction (no size to set it against)"


class LevelVerdict(NamedTuple):
    """Does our absolute number match the paper's? ``diff`` = ours − paper; ``ci_low``/``ci_high``:
    our t-interval for the mean at ``level``; ``paper_in_ci``: the paper's mean lies inside it (None
    when the interval is undefined); ``p_vs_paper``: two-sided Welch p from the summary statistics
    (paper assumed to have ``paper_n`` seeds; NaN without a paper std) — informative, not the rule."""

    label: str
    diff: float
    ci_low: float
    ci_high: float
    paper_in_ci: bool | None
    p_vs_paper: float
    reason: str


def level_verdict(ours_mean: float, ours_std: float, n: int, paper_mean: float, paper_std: float,
                  comparable: bool = True, *, level: float = 0.95, paper_n: int = 5) -> LevelVerdict:
    """Does our mean match the paper's? Label "matches" when the paper's mean lies inside our
    ``level`` (95%) t-interval mean ± t_{(1+level)/2, n−1}·std/√n, "differs" otherwise.

    ``comparable=False`` (the setting is scaled down: smaller model, fewer steps, subset of data)
    gives "n/a (different scale)"; the numbers are still computed. Fewer than 2 seeds (no std) gives
    "n/a (fewer than 2 seeds)", and a missing mean "n/a (missing)": all "n/a" labels start with "n/a".
    """
    ours_mean, ours_std, paper_mean = float(ours_mean), float(ours_std), float(paper_mean)
    paper_std = math.nan if paper_std is None else float(paper_std)
    n = int(n)
    diff = ours_mean - paper_mean
    if n >= 2 and not math.isnan(ours_std) and not math.isnan(ours_mean):
        half = student_t_isf((1.0 - level) / 2.0, n - 1) * ours_std / math.sqrt(n)
        lo, hi = ours_mean - half, ours_mean + half
        inside = bool(lo <= paper_mean <= hi) if not math.isnan(paper_mean) else None
    else:
        lo = hi = math.nan
        inside = None
    pw = welch_t_test_from_stats(ours_mean, ours_std, n, paper_mean, paper_std, paper_n, "two-sided").p
    pct = f"{level * 100:g}%"
    ci_txt = "undefined" if math.isnan(lo) else f"[{lo:.4g}, {hi:.4g}]"
    sd_txt = "" if math.isnan(paper_std) or paper_std == 0 or math.isnan(diff) else \
        f" ({diff / paper_std:+.2f} paper std)"
    detail = f"ours − paper = {diff:+.4g}{sd_txt}; our {pct} CI {ci_txt}"
    if not math.isnan(pw):
        detail += f"; Welch p vs paper (n={paper_n}) = {pw:.3g}"
    if math.isnan(ours_mean) or math.isnan(paper_mean):
        return LevelVerdict("n/a (missing)", diff, lo, hi, inside, pw, "a mean is missing")
    if not comparable:
        return LevelVerdict("n/a (different scale)", diff, lo, hi, inside, pw,
                            "setting scaled down from the paper's; " + detail)
    if inside is None:
        return LevelVerdict("n/a (fewer than 2 seeds)", diff, lo, hi, inside, pw,
                            f"n = {n}: no interval; " + detail)
    if inside:
        return LevelVerdict("matches", diff, lo, hi, inside, pw,
                            f"paper's {paper_mean:.4g} inside our {pct} CI; " + detail)
    return LevelVerdict("differs", diff, lo, hi, inside, pw,
                        f"paper's {paper_mean:.4g} outside our {pct} CI; " + detail)
