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
    "6's loss dropout) the variants of one setting against cosine LLM-JEPA (without dropout); the claims ledger takes each verdict from its report, so claims of "
    "different experiments are not corrected against each other. It is NOT REPRODUCED when, with at least "
    "3 matched seeds, our mean difference is zero or has the opposite sign to the paper's: the point "
    "estimate then contradicts the claim, whether or not the reversal is itself significant. Otherwise it "
    "is INCONCLUSIVE: fewer than 3 matched seeds, or our difference points the paper's way but is not "
    "significant after correction. Every verdict states its power: the minimum detectable effect (MDE) of "
    "our paired one-tailed t-test (alpha 0.05, power 0.8, from the observed spread of the paired "
    "differences and our number of seeds). A \"not reproduced\" or \"inconclusive\" verdict is EFFECT "
    "ABSENT when the MDE is at most the paper's own |B − A| (an effect of the paper's size would have been "
    "detected), and TOO LITTLE DATA otherwise, with the seeds (and test rows) it would take. A paper number "
    "is compared only when it measures the same thing: task, method, metric, the whole test split, and the "
    "number of training epochs (four, the paper's protocol, where a table states none); a LoRA run faces only Table "
    "8's cell of its rank, and the cells of a (λ, k) grid only the paper's cell of their λ and k. A comparison in which "
    "both arms answer fewer than 5 test rows correctly per run on average (or miss fewer than 5) is "
    "INCONCLUSIVE (AT THE FLOOR, or AT THE CEILING) whatever its p: the t-test and its MDE lean on a normal "
    "approximation of counts of correct rows that needs at least 5 on each side (the usual n·p ≥ 5 rule), and a "
    "difference there is a difference in a handful of questions."
)

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


def _qualified(label: str, reason: str, powered: bool | None, power_text: str) -> tuple[str, str]:
    """Say which kind of negative result it is: the effect is absent, or the data are too thin."""
    if label == "reproduced" or powered is None:
        return label, reason + (f"; {power_text}" if power_text and label == "reproduced" else "")
    kind = "effect absent" if powered else "too little data"
    return f"{label} ({kind})", f"{reason}; {power_text or 'too few matched seeds to measure power'}"


def claim_verdict(ours_diff_mean: float, ours_p_holm: float, paper_diff: float, alpha: float = 0.05,
                  *, n: int | None = None, min_seeds: int = MIN_SEEDS, powered: bool | None = None,
                  power_text: str = "", paper_label: str | None = None) -> tuple[str, str]:
    """Verdict on one paper claim, following :data:`VERDICT_RULE`.

    ``ours_diff_mean``: our mean paired difference B − A; ``ours_p_holm``: our Holm-adjusted one-tailed
    p in the paper's direction (alternative "greater" when ``paper_diff`` > 0, "less" when < 0);
    ``paper_diff``: the paper's difference B − A (only its sign is used); ``n``: matched seeds behind
    our numbers (``TTest.n``). Pass ``n``: when it is None the seed count cannot be checked, and only a
    NaN p (which the t-test gives for n < 2) makes the result "inconclusive" for lack of seeds.
    Returns ``(label, reason)``, label one of "reproduced", "not reproduced", "inconclusive"; with
    ``powered`` (from analysis/power.py) the two negative labels carry "(effect absent)" or "(too little
    data)" and the reason ends with ``power_text``; ``paper_label`` names the paper's side of the comparison in
    the reason (default "paper <paper_diff>").
    """
    label, reason = _claim_verdict(ours_diff_mean, ours_p_holm, paper_diff, alpha, n=n, min_seeds=min_seeds,
                                   paper_label=paper_label)
    if label == "inconclusive" and n is not None and n < min_seeds:
        # too few seeds is too little data by definition, whatever an MDE from two seeds says (with one,
        # there is no spread and no power at all)
        powered = False
    return _qualified(label, reason, powered, power_text)


def direction_only_verdict(ours_diff_mean: float, ours_p_holm: float, paper_direction: float,
                           *, n: int | None = None) -> tuple[str, str]:
    """:func:`claim_verdict` where the paper gives a direction but no size comparable with ours (Fig. 3 right,
    Fig. 7, Table 14): a negative result cannot tell an absent effect from thin data, so it says "(no paper effect
    size)", except that fewer than ``min_seeds`` matched seeds is always "(too little data)"."""
    # the paper's number here is a sign, not a size: the reason names it so rather than print it as a difference
    sign = "+" if paper_direction > 0 else "−"
    label, reason = claim_verdict(ours_diff_mean, ours_p_holm, paper_direction, n=n,
                                  paper_label=f"the paper's direction ({sign})")
    if label in ("not reproduced", "inconclusive"):
        label += " (no paper effect size)"
    return label, reason


def _claim_verdict(ours_diff_mean: float, ours_p_holm: float, paper_diff: float, alpha: float,
                   *, n: int | None, min_seeds: int, paper_label: str | None = None) -> tuple[str, str]:
    d, p, pd_ = float(ours_diff_mean), float(ours_p_holm), float(paper_diff)
    if math.isnan(pd_) or pd_ == 0.0:
        return "inconclusive", "the paper's difference has no direction (zero or missing)"
    if math.isnan(d):
        return "inconclusive", "no result of ours to compare"
    versus = f"ours {d:+.3g} vs {paper_label or f'paper {pd_:+.3g}'}"
    if n is not None and n < min_seeds:
        return "inconclusive", f"{versus}: only {n} matched seed(s), need {min_seeds}"
    if n is None and math.isnan(p):
        return "inconclusive", f"{versus}: no p-value (fewer than 2 matched seeds?)"
    along = d if pd_ > 0 else -d  # our effect measured in the paper's direction
    if along > 0:
        if p < alpha:
            return "reproduced", f"{versus}, same direction, Holm-adjusted one-tailed p = {p:.3g} < {alpha:g}"
        ptxt = "undefined" if math.isnan(p) else f"{p:.3g} ≥ {alpha:g}"
        return "inconclusive", f"{versus}, same direction but not significant (Holm-adjusted one-tailed p = {ptxt})"
    if along == 0:
        return "not reproduced", f"{versus}: no difference in our runs"
    return "not reproduced", f"{versus}: opposite direction in our runs"


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
