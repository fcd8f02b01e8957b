"""benchmark.analysis.stats against scipy (reference only: scipy is not a runtime dependency of benchmark.analysis.stats)."""
import math
import subprocess
import sys

import numpy as np
import pytest

from benchmark.analysis.stats import (TTest, format_mean_std, holm, mean_std, paired_t_test, student_t_isf, student_t_sf,
                                     welch_t_test, welch_t_test_from_stats)
from benchmark.analysis.verdicts import (FLOOR_ROWS, VERDICT_RULE, claim_verdict, direction_only_verdict,
                                        floor_verdict, level_verdict)

sps = pytest.importorskip("scipy.stats")

SEEDS = (82, 23, 37, 84, 4)  # the paper's seeds (arXiv 2509.14252 v2, §4)
ALTS = ("greater", "less", "two-sided")


def close(ours, ref, rel=1e-9, abs_=1e-12):
    if math.isnan(ref):
        return math.isnan(ours)
    if math.isinf(ref):
        return ours == ref
    return abs(ours - ref) <= max(rel * abs(ref), abs_)


# ------------------------------------------------------------------------------------------ Student t

@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 10, 30, 100])
def test_student_t_sf_matches_scipy(df):
    ts = np.concatenate([np.linspace(-10, 50, 241), [-0.5, 0.01, 0.1, 0.5, 1.96, 2.0, 2.776]])
    for t in ts:
        ref = float(sps.t.sf(t, df))
        ours = student_t_sf(t, df)
        assert close(ours, ref, rel=1e-9, abs_=1e-300), (df, t, ours, ref)


def test_student_t_sf_wide_grid_and_fractional_df():
    # df 1..200 (and Welch-style fractional df), |t| up to 50, relative 1e-10
    for df in [1, 2, 7, 25, 60, 150, 200, 0.7, 1.5, 3.3, 12.75, 77.1]:
        for t in np.linspace(-50, 50, 101):
            ref = float(sps.t.sf(t, df))
            assert close(student_t_sf(t, df), ref, rel=1e-10, abs_=1e-300), (df, t)


def test_student_t_sf_tiny_t_exact():
    # Near t = 0 scipy itself loses ~1e-9 for df = 1; use closed forms instead.
    for t in [1e-12, 1e-8, -1e-8, 1e-4]:
        assert close(student_t_sf(t, 1), 0.5 - math.atan(t) / math.pi, rel=1e-14)  # Cauchy
        assert close(student_t_sf(t, 2), 0.5 - t / (2 * math.sqrt(2 + t * t)), rel=1e-14)


def test_student_t_sf_special_values():
    assert student_t_sf(0.0, 5) == 0.5
    assert student_t_sf(math.inf, 3) == 0.0 and student_t_sf(-math.inf, 3) == 1.0
    assert math.isnan(student_t_sf(math.nan, 3)) and math.isnan(student_t_sf(1.0, 0))
    assert close(student_t_sf(1.7, math.inf), float(sps.norm.sf(1.7)), rel=1e-13)
    assert student_t_sf(1e200, 2) == 0.0  # tail underflows, no error


def test_student_t_isf_matches_scipy():
    for df in [1, 2, 4, 9.5, 30, 100]:
        for p in [1e-12, 1e-5, 0.001, 0.025, 0.05, 0.3, 0.5, 0.8, 0.975]:
            assert close(student_t_isf(p, df), float(sps.t.isf(p, df)), rel=1e-11, abs_=1e-14), (df, p)
    assert student_t_isf(0.0, 3) == math.inf and student_t_isf(1.0, 3) == -math.inf
    assert math.isnan(student_t_isf(1.5, 3))


# ------------------------------------------------------------------------------------------ mean_std

def test_mean_std_ddof1_vs_numpy():
    rng = np.random.default_rng(0)
    for n in (2, 3, 5, 10):
        x = rng.normal(60, 3, n)
        m, s, k = mean_std(x)
        assert k == n and close(m, float(np.mean(x)), 1e-13) and close(s, float(np.std(x, ddof=1)), 1e-12)
    m, s, k = mean_std({82: 70.0, 23: 72.0, 37: math.nan})  # dict, missing run dropped
    assert (m, k) == (71.0, 2) and close(s, math.sqrt(2))
    m, s, k = mean_std([71.5])
    assert m == 71.5 and math.isnan(s) and k == 1
    m, s, k = mean_std([])
    assert math.isnan(m) and math.isnan(s) and k == 0


def test_format_mean_std():
    assert format_mean_std(71.456, 1.344) == "71.46 ± 1.34"
    assert format_mean_std(71.456, 1.344, digits=1) == "71.5 ± 1.3"
    assert format_mean_std(math.nan, 1.0) == "—"
    assert format_mean_std(71.456, math.nan) == "71.46 ± —"
    assert format_mean_std(-0.001, 0.0) == "0.00 ± 0.00"


# ------------------------------------------------------------------------------------------ t-tests

@pytest.mark.parametrize("n", [3, 5, 10])
@pytest.mark.parametrize("alternative", ALTS)
def test_paired_matches_scipy_ttest_rel(n, alternative):
    rng = np.random.default_rng(1000 * n + len(alternative))
    for _ in range(20):
        base = rng.normal(55, 5, n)
        x = base + rng.normal(rng.normal(0, 2), rng.uniform(0.2, 3), n)
        ref = sps.ttest_rel(x, base, alternative=alternative)
        r = paired_t_test(x, base, alternative)
        assert isinstance(r, TTest) and r.n == n and r.df == n - 1
        assert close(r.t, float(ref.statistic), 1e-10)
        assert close(r.p, float(ref.pvalue), 1e-9, 1e-15), (r, ref)
        assert close(r.mean_diff, float(np.mean(x - base)), 1e-12)


def test_paired_dict_pairs_on_common_seeds():
    treat = {82: 71.0, 23: 70.2, 37: 73.1, 84: 69.9, 4: 72.5}
    ctrl = {4: 55.0, 84: 54.1, 37: 57.3, 23: 52.0, 999: 10.0}  # seed 82 missing, 999 extra
    common = [23, 37, 84, 4]
    ref = sps.ttest_rel([treat[k] for k in common], [ctrl[k] for k in common], alternative="greater")
    r = paired_t_test(treat, ctrl)
    assert r.n == 4 and r.df == 3
    assert close(r.t, float(ref.statistic), 1e-12) and close(r.p, float(ref.pvalue), 1e-9)
    # insertion order of the dicts does not matter
    r2 = paired_t_test(dict(reversed(list(treat.items()))), ctrl)
    assert close(r2.p, r.p, 1e-12)
    # a NaN (failed run) drops the pair
    r3 = paired_t_test({**treat, 23: math.nan}, ctrl)
    assert r3.n == 3


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # scipy warns on the zero-variance references
def test_paired_degenerate_cases():
    r = paired_t_test([70.0], [60.0])
    assert r.n == 1 and math.isnan(r.t) and math.isnan(r.p) and r.mean_diff == 10.0
    r = paired_t_test({82: 70.0}, {23: 60.0})
    assert r.n == 0 and math.isnan(r.p)
    # zero variance of the differences: same limits as scipy
    for alt in ALTS:
        ref = sps.ttest_rel([2.0, 3.0, 4.0], [1.0, 2.0, 3.0], alternative=alt)
        r = paired_t_test([2.0, 3.0, 4.0], [1.0, 2.0, 3.0], alt)
        assert r.t == math.inf and r.p == float(ref.pvalue)  # 0, 1, 0
        r = paired_t_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], alt)
        assert math.isnan(r.t) and math.isnan(r.p) and r.mean_diff == 0.0
    assert paired_t_test([1.0, 2.0, 3.0], [2.0, 3.0, 4.0]).p == 1.0
    with pytest.raises(ValueError):
        paired_t_test([1, 2, 3], [1, 2])
    with pytest.raises(TypeError):
        paired_t_test({82: 1.0}, [1.0])
    with pytest.raises(ValueError):
        paired_t_test([1, 2], [0, 1], alternative="bigger")


@pytest.mark.parametrize("alternative", ALTS)
def test_welch_matches_scipy(alternative):
    rng = np.random.default_rng(7)
    for na, nb in [(2, 2), (3, 5), (5, 5), (10, 4)]:
        a = rng.normal(60, rng.uniform(0.5, 4), na)
        b = rng.normal(58, rng.uniform(0.5, 4), nb)
        ref = sps.ttest_ind(a, b, equal_var=False, alternative=alternative)
        r = welch_t_test(a, b, alternative)
        assert close(r.t, float(ref.statistic), 1e-10) and close(r.df, float(ref.df), 1e-10)
        assert close(r.p, float(ref.pvalue), 1e-9, 1e-15)
        assert r.n == min(na, nb) and close(r.mean_diff, float(a.mean() - b.mean()), 1e-12)
    # dict inputs use values only; n < 2 -> NaN
    assert welch_t_test({1: 1.0, 2: 2.0}, {3: 0.0, 4: 0.5}).n == 2
    assert math.isnan(welch_t_test([1.0], [0.0, 1.0]).p)
    r = welch_t_test_from_stats(71.46, 1.34, 5, 57.0, 1.2, 5, "greater")
    assert r.p < 1e-6 and r.n == 5


# ------------------------------------------------------------------------------------------ Holm

def holm_reference(p):
    """Textbook step-down: visit p ascending, reject-level (m - rank) * p, running maximum, cap 1."""
    idx = [i for i, v in enumerate(p) if not math.isnan(v)]
    m = len(idx)
    out = [math.nan] * len(p)
    running = 0.0
    for rank, i in enumerate(sorted(idx, key=lambda i: p[i])):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def test_holm_hand_example():
    assert np.allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02], rtol=0, atol=1e-15)


def test_holm_vs_reference_random():
    rng = np.random.default_rng(3)
    for m in (1, 2, 5, 12):
        for _ in range(10):
            p = rng.uniform(0, 1, m) ** 3
            p[rng.uniform(size=m) < 0.2] = np.nan
            if m > 3:
                p[1] = p[2]  # ties
            ours = holm(p)
            assert np.allclose(ours, holm_reference(list(p)), rtol=1e-14, atol=0, equal_nan=True)
            ok = ~np.isnan(p)
            if ok.any():  # monotone in p, never below the raw value, capped at 1
                o = np.argsort(p[ok])
                assert np.all(np.diff(ours[ok][o]) >= 0)
                assert np.all(ours[ok] >= p[ok]) and np.all(ours[ok] <= 1)


def test_holm_nan_passthrough_dict_and_bad_input():
    out = holm([0.01, math.nan, 0.04])  # m = 2, not 3
    assert np.isnan(out[1]) and np.allclose(out[[0, 2]], [0.02, 0.04])
    assert np.isnan(holm([math.nan, math.nan])).all() and holm([]).size == 0
    d = holm({"synth": 0.01, "turk": 0.04, "gsm8k": 0.03, "spider": 0.005})
    assert list(d) == ["synth", "turk", "gsm8k", "spider"] and abs(d["spider"] - 0.02) < 1e-15
    assert holm([0.6, 0.7])[0] == 1.0
    with pytest.raises(ValueError):
        holm([0.5, 1.2])


# ------------------------------------------------------------------------------------------ verdicts

def test_verdict_rule_text():
    assert isinstance(VERDICT_RULE, str) and "\n" not in VERDICT_RULE
    for word in ("REPRODUCED", "NOT REPRODUCED", "INCONCLUSIVE", "Holm", "one-tailed", "3 matched seeds"):
        assert word in VERDICT_RULE


def test_claim_verdict_outcomes():
    # reproduced: same sign, significant after Holm
    label, reason = claim_verdict(14.5, 0.001, 15.51, n=5, sd=2.0)
    assert label == "reproduced" and "p = 0.001" in reason
    assert claim_verdict(14.5, 0.001, 15.51)[0] == "reproduced"  # n not given
    assert claim_verdict(2.0, 0.05, 15.51, alpha=0.1, n=5, sd=1.0)[0] == "reproduced"
    # too few seeds: too little data, whatever the numbers say
    assert claim_verdict(14.5, 0.001, 15.51, n=2, sd=1.0)[0] == "inconclusive (too little data)"
    assert claim_verdict(-3.0, 0.99, 15.51, n=2, sd=1.0)[0] == "inconclusive (too little data)"
    assert claim_verdict(-3.0, math.nan, 15.51)[0] == "inconclusive (too little data)"  # n < 2 gives NaN p
    # no direction in the paper, or no result of ours
    assert claim_verdict(1.0, 0.01, 0.0, n=5, sd=1.0)[0] == "inconclusive"
    assert claim_verdict(math.nan, math.nan, 1.0, n=5, sd=1.0)[0] == "inconclusive"


@pytest.mark.parametrize("delta,sd,n,paper,label", [
    # a claimed gain of 15.51: excluded when our one-sided 95 % upper bound is below it, whatever our sign
    (2.0, 1.0, 5, 15.51, "not reproduced (paper's effect excluded)"),    # same direction, far too small
    (-1.2, 2.0, 5, 15.51, "not reproduced (paper's effect excluded)"),   # opposite direction, tight
    (0.0, 0.0, 3, 15.51, "not reproduced (paper's effect excluded)"),    # identical runs
    (2.0, 20.0, 3, 15.51, "inconclusive (too little data)"),             # same direction, bound reaches 15.51
    (-3.0, 30.0, 3, 15.51, "inconclusive (too little data)"),            # opposite, but the bound still reaches it
    # a claimed decrease (a loss): the bound is taken in the paper's direction
    (+0.3, 0.2, 5, -0.5, "not reproduced (paper's effect excluded)"),
    (+0.3, 2.0, 5, -0.5, "inconclusive (too little data)"),
])
def test_the_bound_decides_between_excluded_and_too_little_data(delta, sd, n, paper, label):
    """The rule's bound is the one-sided 95 % t bound of the mean difference in the paper's direction, with
    n − 1 degrees of freedom (checked against scipy), set against the paper's |Δ|."""
    got, reason = claim_verdict(delta, 0.5, paper, n=n, sd=sd)
    assert got == label
    along = delta if paper > 0 else -delta
    bound = along + float(sps.t.ppf(0.95, n - 1)) * sd / math.sqrt(n)
    assert f"{bound:+.3g}" in reason and f"{abs(paper):.3g}" in reason
    assert (bound < abs(paper)) == label.startswith("not reproduced")


def test_a_direction_without_a_size_is_excluded_only_when_the_bound_leaves_the_direction():
    assert direction_only_verdict(-0.3, 0.9, 1.0, n=3, sd=0.05)[0] == "not reproduced (paper's direction excluded)"
    assert direction_only_verdict(-0.3, 0.9, 1.0, n=3, sd=1.0)[0] == "inconclusive (no paper effect size)"
    assert direction_only_verdict(0.3, 0.01, 1.0, n=3, sd=0.05)[0] == "reproduced"
    assert direction_only_verdict(0.3, 0.01, 1.0, n=2, sd=0.05)[0] == "inconclusive (too little data)"


def test_floor_and_ceiling_take_the_verdict_whatever_p():
    """Both arms under FLOOR_ROWS correct rows per run (the n·p >= 5 rule): a few questions, no verdict; one
    arm above it, or the counts of wrong rows at the top, leave the t-test's verdict standing."""
    assert FLOOR_ROWS == 5 and "AT THE FLOOR" in VERDICT_RULE
    label, reason = floor_verdict(1.33, 3.0, 100)  # NQ-Open with SmolLM2: 1.33 vs 3 rows of 100
    assert label == "inconclusive (at the floor)" and "1.33" in reason and "of 100 test rows correctly" in reason
    assert floor_verdict(1.0, 4.9, 100)[0] == "inconclusive (at the floor)"
    assert floor_verdict(1.0, 5.0, 100) is None  # the arm reaches 5 rows
    assert floor_verdict(2.0, 4.0, 200) is None  # the same percentages on 200 rows are 4 and 8 rows
    assert floor_verdict(97.0, 99.0, 100)[0] == "inconclusive (at the ceiling)"
    assert floor_verdict(95.0, 99.0, 100) is None
    assert floor_verdict(math.nan, 3.0, 100) is None and floor_verdict(1.0, 3.0, 0) is None


def test_claim_verdict_end_to_end_with_paired_test_and_holm():
    rng = np.random.default_rng(11)
    base = {s: v for s, v in zip(SEEDS, rng.normal(56, 1.5, 5))}
    jepa = {s: base[s] + 15 + rng.normal(0, 1) for s in SEEDS}  # clear gain
    flat = {s: base[s] + rng.normal(0, 1) for s in SEEDS}  # noise only
    worse = {s: base[s] - 5 + rng.normal(0, 1) for s in SEEDS}  # reversed
    tests = {k: paired_t_test(v, base) for k, v in {"jepa": jepa, "flat": flat, "worse": worse}.items()}
    adj = holm({k: r.p for k, r in tests.items()})
    sds = {k: float(np.std([v[s] - base[s] for s in SEEDS], ddof=1)) for k, v in
           {"jepa": jepa, "flat": flat, "worse": worse}.items()}
    got = {k: claim_verdict(r.mean_diff, adj[k], 15.51, n=r.n, sd=sds[k])[0] for k, r in tests.items()}
    assert got["jepa"] == "reproduced" and got["worse"] == "not reproduced (paper's effect excluded)"
    assert got["flat"] == "not reproduced (paper's effect excluded)"  # noise of s.d. 1 cannot hide a 15-point gain


def test_level_verdict():
    # 71.46 ± 1.34 over 5 seeds in the paper
    v = level_verdict(70.9, 1.5, 5, 71.46, 1.34)
    half = float(sps.t.ppf(0.975, 4)) * 1.5 / math.sqrt(5)
    assert v.label == "matches" and v.paper_in_ci is True
    assert close(v.ci_low, 70.9 - half, 1e-12) and close(v.ci_high, 70.9 + half, 1e-12)
    assert close(v.diff, 70.9 - 71.46, 1e-12)
    ref = sps.ttest_ind_from_stats(70.9, 1.5, 5, 71.46, 1.34, 5, equal_var=False)
    assert close(v.p_vs_paper, float(ref.pvalue), 1e-9)
    v = level_verdict(65.0, 0.5, 5, 71.46, 1.34)
    assert v.label == "differs" and v.paper_in_ci is False and "outside" in v.reason
    v = level_verdict(40.0, 2.0, 5, 71.46, 1.34, comparable=False)
    assert v.label == "n/a (different scale)" and v.paper_in_ci is False
    v = level_verdict(70.0, math.nan, 1, 71.46, 1.34)
    assert v.label.startswith("n/a") and v.paper_in_ci is None
    v = level_verdict(70.0, 1.0, 5, 71.46, math.nan)  # paper gave no std: rule unchanged, no Welch p
    assert v.label in ("matches", "differs") and math.isnan(v.p_vs_paper)


def test_no_scipy_at_runtime():
    code = ("import sys; import benchmark.analysis.stats as s, benchmark.analysis.verdicts as v; "
            "s.paired_t_test([1,2,3],[0,1,1.5]); v.level_verdict(1,1,5,1,1); print('scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("up,down", [(0, 0), (5, 1), (1, 5), (3, 2), (0, 7), (12, 12), (40, 25)])
@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
def test_sign_test_is_the_exact_binomial_test(up, down, alternative):
    from benchmark.analysis.stats import sign_test

    got = sign_test(up, down, alternative)
    assert (got.up, got.down) == (up, down)
    if up + down == 0:
        assert math.isnan(got.p)
        return
    ref = sps.binomtest(up, up + down, 0.5, alternative=alternative).pvalue
    assert got.p == pytest.approx(ref, rel=1e-12)


def test_sign_test_known_values_and_bad_counts():
    from benchmark.analysis.stats import sign_test

    assert sign_test(5, 1).p == pytest.approx(7 / 64)  # P(X >= 5), X ~ Bin(6, 1/2)
    assert sign_test(0, 3, "less").p == pytest.approx(1 / 8)
    with pytest.raises(ValueError, match=">= 0"):
        sign_test(-1, 2)
    with pytest.raises(ValueError, match="alternative"):
        sign_test(1, 2, "bigger")
