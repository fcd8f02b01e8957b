"""Statistics behind the comparison tables: mean ± std over seeds, paired t-tests, Holm, verdicts.

The paper's protocol (arXiv 2509.14252 v2, §4): 5 runs per configuration with seeds {82, 23, 37, 84, 4},
reported as mean ± std, and LLM-JEPA compared with regular fine-tuning by a *paired one-tailed t-test*
(runs paired by seed; H1: LLM-JEPA > baseline).

Everything here is a pure function of plain numbers. The only runtime dependency is numpy (and the
standard library's ``math``): the Student t distribution is computed here from the regularized
incomplete beta function (continued fraction, Numerical Recipes ``betacf`` with the modified Lentz
method), so scipy is *not* needed at runtime. The tests check every result against scipy.

Conventions
-----------
* Values are whatever the caller measures (accuracies in percent in this project); nothing is rescaled.
* A seed's value may be NaN (a missing or failed run): NaN values are dropped, in the t-tests the
  whole pair is dropped, and the ``n`` that is returned counts only what was used.
* ``std`` is always the sample standard deviation (``ddof=1``, Bessel's correction): this is what
  papers report as "± std over seeds", and what the t-tests use.
* Degenerate cases follow ``scipy.stats`` (1.17): fewer than 2 observations (pairs) give NaN t and p;
  differences with zero variance give t = ±inf and the limiting p (0 or 1; 0 for two-sided) when the
  mean difference is non-zero, and NaN t and p when it is exactly zero.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

__all__ = [
    "ALTERNATIVES",
    "TTest",
    "format_mean_std",
    "holm",
    "mean_std",
    "paired_t_test",
    "student_t_isf",
    "student_t_sf",
    "welch_t_test",
    "welch_t_test_from_stats",
]

ALTERNATIVES = ("greater", "less", "two-sided")

# ---------------------------------------------------------------------------------------------------
# Student t distribution
# ---------------------------------------------------------------------------------------------------

_EPS = 1e-16  # relative convergence of the continued fraction
_FPMIN = 1e-300  # keeps Lentz's denominators away from zero
_MAXIT = 10_000


def _lentz_step(aa: float, c: float, d: float) -> tuple[float, float, float]:
    """One modified-Lentz update of the continued fraction: new (c, d) and their product."""
    d = 1.0 + aa * d
    if abs(d) < _FPMIN:
        d = _FPMIN
    c = 1.0 + aa / c
    if abs(c) < _FPMIN:
        c = _FPMIN
    d = 1.0 / d
    return c, d, d * c


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta function (Numerical Recipes ``betacf``, modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < _FPMIN:
        d = _FPMIN
    d = 1.0 / d
    h = d
    for m in range(1, _MAXIT + 1):
        m2 = 2 * m
        c, d, _ = _lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), c, d)  # even term
        h *= d * c
        c, d, delta = _lentz_step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), c, d)  # odd term
        h *= delta
        if abs(delta - 1.0) < _EPS:
            return h
    raise ArithmeticError(f"incomplete beta continued fraction did not converge (a={a}, b={b}, x={x})")


def _betai(a: float, b: float, x: float, y: float) -> float:
    """Regularized incomplete beta I_x(a, b); ``y`` is 1 - x, passed separately to keep its precision."""
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    log_bt = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(y)
    bt = math.exp(log_bt)
    if x < (a + 1.0) / (a + b + 2.0):
        return bt * _betacf(a, b, x) / a
    return 1.0 - bt * _betacf(b, a, y) / b


def student_t_sf(t: float, df: float) -> float:
    """Survival function P(T > t) of Student's t with ``df`` degrees of freedom (upper tail).

    Uses P(T > t) = I_{df/(df+t²)}(df/2, 1/2) / 2 for t ≥ 0 and symmetry for t < 0. ``df`` may be
    non-integer (Welch) or ``inf`` (standard normal). Agrees with ``scipy.stats.t.sf`` to ~1e-12
    relative for df in 1..200 and |t| ≤ 50; tails below ~1e-300 underflow to 0. NaN in, NaN out;
    df ≤ 0 gives NaN.
    """
    t = float(t)
    df = float(df)
    if math.isnan(t) or math.isnan(df) or df <= 0.0:
        return math.nan
    if math.isinf(df):
        return 0.5 * math.erfc(t / math.sqrt(2.0))
    if math.isinf(t):
        return 0.0 if t > 0 else 1.0
    t2 = t * t
    denom = df + t2
    tail = 0.5 * _betai(df / 2.0, 0.5, df / denom, t2 / denom)  # P(T > |t|)
    return tail if t >= 0.0 else 1.0 - tail


def student_t_isf(p: float, df: float) -> float:
    """Inverse survival function: the t with P(T > t) = p (so ``student_t_isf(0.025, df)`` is the
    two-sided 95% critical value). Solved by bisection on :func:`student_t_sf` to full double
    precision. p outside [0, 1] or NaN gives NaN; p = 0 gives inf, p = 1 gives -inf."""
    p = float(p)
    df = float(df)
    if math.isnan(p) or math.isnan(df) or df <= 0.0 or not 0.0 <= p <= 1.0:
        return math.nan
    if p == 0.0:
        return math.inf
    if p == 1.0:
        return -math.inf
    if p == 0.5:
        return 0.0
    if p > 0.5:
        return -student_t_isf(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while student_t_sf(hi, df) > p:  # sf is decreasing: bracket the root
        lo, hi = hi, hi * 2.0
        if math.isinf(hi):
            return math.inf
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if student_t_sf(mid, df) > p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _p_value(t: float, df: float, alternative: str) -> float:
    if math.isnan(t):
        return math.nan
    if alternative == "greater":
        return student_t_sf(t, df)
    if alternative == "less":
        return student_t_sf(-t, df)
    return min(1.0, 2.0 * student_t_sf(abs(t), df))


def _check_alternative(alternative: str) -> None:
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")


# ---------------------------------------------------------------------------------------------------
# Descriptive statistics
# ---------------------------------------------------------------------------------------------------

def _as_array(values) -> np.ndarray:
    if isinstance(values, Mapping):
        values = list(values.values())
    arr = np.asarray(values, dtype=float).ravel()
    return arr[~np.isnan(arr)]


def mean_std(values) -> tuple[float, float, int]:
    """``(mean, std, n)`` of one configuration's per-seed values (a sequence, or a dict seed -> value).

    ``std`` is the sample standard deviation with ``ddof=1`` (what papers report as "± std" over
    seeds); it is NaN when n < 2. NaN values (missing runs) are dropped and not counted in ``n``;
    an empty input gives ``(nan, nan, 0)``.
    """
    arr = _as_array(values)
    n = int(arr.size)
    if n == 0:
        return math.nan, math.nan, 0
    mean = float(arr.mean())
    std = float(arr.std(ddof=1)) if n >= 2 else math.nan
    return mean, std, n


def format_mean_std(mean: float, std: float, digits: int = 2) -> str:
    """``"71.46 ± 1.34"``. Values are printed as given (pass percentages for percent). A NaN mean gives
    ``"—"``; a NaN std (a single seed) gives ``"71.46 ± —"``. Negative zero prints as ``0.00``."""
    def fmt(x: float) -> str:
        if x is None or math.isnan(x):
            return "—"
        s = f"{x:.{digits}f}"
        if s.startswith("-") and float(s) == 0.0:
            s = s[1:]
        return s

    if mean is None or math.isnan(mean):
        return "—"
    return f"{fmt(mean)} ± {fmt(std)}"


# ---------------------------------------------------------------------------------------------------
# t-tests
# ---------------------------------------------------------------------------------------------------

class TTest(NamedTuple):
    """Result of a t-test. ``n``: pairs used (paired test) or the smaller group's size (Welch);
    ``mean_diff``: mean(treatment − control) (paired) or mean(a) − mean(b) (Welch)."""

    t: float
    df: float
    p: float
    n: int
    mean_diff: float


def _paired_arrays(treatment, control) -> tuple[np.ndarray, np.ndarray]:
    t_map, c_map = isinstance(treatment, Mapping), isinstance(control, Mapping)
    if t_map != c_map:
        raise TypeError("treatment and control must both be dicts (seed -> value) or both sequences")
    if t_map:
        common = [k for k in treatment if k in control]
        x = np.array([treatment[k] for k in common], dtype=float)
        y = np.array([control[k] for k in common], dtype=float)
    else:
        x = np.asarray(treatment, dtype=float).ravel()
        y = np.asarray(control, dtype=float).ravel()
        if x.shape != y.shape:
            raise ValueError(f"paired sequences must have equal length, got {x.size} and {y.size}")
    keep = ~(np.isnan(x) | np.isnan(y))
    return x[keep], y[keep]


def paired_t_test(treatment, control, alternative: str = "greater") -> TTest:
    """Paired t-test of ``treatment`` against ``control`` over matched seeds (the paper's test).

    Inputs are either two dicts seed -> value, paired on their common seeds (seeds present in only
    one are ignored; ``n`` says how many pairs were used), or two equal-length sequences in the same
    seed order. Pairs with a NaN on either side are dropped. ``alternative="greater"`` is the paper's
    one-tailed H1: treatment > control; ``"less"`` and ``"two-sided"`` are also supported.
    Same statistic and p as ``scipy.stats.ttest_rel``: t = mean(d) / (std(d, ddof=1)/√n), df = n − 1.
    n < 2 gives NaN t and p; see the module docstring for zero-variance differences.
    """
    _check_alternative(alternative)
    x, y = _paired_arrays(treatment, control)
    d = x - y
    n = int(d.size)
    if n == 0:
        return TTest(math.nan, math.nan, math.nan, 0, math.nan)
    mean_diff = float(d.mean())
    df = float(n - 1)
    if n < 2:
        return TTest(math.nan, df, math.nan, n, mean_diff)
    sd = float(d.std(ddof=1))
    t = _ratio(mean_diff, sd / math.sqrt(n))
    return TTest(t, df, _p_value(t, df, alternative), n, mean_diff)


def _ratio(num: float, den: float) -> float:
    """num / den with the zero-variance limits scipy uses: ±inf for num ≠ 0, NaN for 0/0."""
    if den == 0.0:
        if num == 0.0 or math.isnan(num):
            return math.nan
        return math.copysign(math.inf, num)
    return num / den


def welch_t_test_from_stats(mean_a: float, std_a: float, n_a: int, mean_b: float, std_b: float,
                            n_b: int, alternative: str = "greater") -> TTest:
    """Welch's unequal-variance t-test from summary statistics (std with ddof=1). H1 for "greater":
    mean_a > mean_b. ``n`` in the result is min(n_a, n_b). Either group with n < 2 (or a NaN std)
    gives NaN t and p."""
    _check_alternative(alternative)
    n_a, n_b = int(n_a), int(n_b)
    mean_diff = float(mean_a) - float(mean_b)
    n = min(n_a, n_b)
    if n < 2 or math.isnan(std_a) or math.isnan(std_b) or math.isnan(mean_diff):
        return TTest(math.nan, math.nan, math.nan, max(n, 0), mean_diff)
    va, vb = float(std_a) ** 2 / n_a, float(std_b) ** 2 / n_b
    se2 = va + vb
    t = _ratio(mean_diff, math.sqrt(se2))
    if se2 == 0.0:
        df = float(n_a + n_b - 2)  # 0/0 in Welch's formula; only t = ±inf or NaN matters here
    else:
        df = se2 * se2 / (va * va / (n_a - 1) + vb * vb / (n_b - 1))
    return TTest(t, df, _p_value(t, df, alternative), n, mean_diff)


def welch_t_test(a, b, alternative: str = "greater") -> TTest:
    """Welch's unpaired t-test (fallback when the seeds of the two configurations do not match).

    ``a``, ``b``: sequences or dicts (only the values are used; NaN dropped). H1 for "greater":
    mean(a) > mean(b). Same t, df and p as ``scipy.stats.ttest_ind(a, b, equal_var=False)``.
    ``n`` in the result is the smaller group's size, so "too few seeds" rules apply as for the
    paired test.
    """
    xa, xb = _as_array(a), _as_array(b)
    na, nb = int(xa.size), int(xb.size)
    mean_a = float(xa.mean()) if na else math.nan
    mean_b = float(xb.mean()) if nb else math.nan
    std_a = float(xa.std(ddof=1)) if na >= 2 else math.nan
    std_b = float(xb.std(ddof=1)) if nb >= 2 else math.nan
    return welch_t_test_from_stats(mean_a, std_a, na, mean_b, std_b, nb, alternative)


class SignTest(NamedTuple):
    """Exact sign test over paired units (here: test questions). ``up``: units where the treatment did better,
    ``down``: where the control did; ties are dropped, as the sign test does."""

    up: int
    down: int
    p: float


def sign_test(up: int, down: int, alternative: str = "greater") -> SignTest:
    """Exact binomial sign test of ``up`` successes in ``up + down`` non-tied pairs against p = 1/2.

    ``"greater"``: P(X >= up); ``"less"``: P(X <= up); ``"two-sided"``: min(1, 2 * the smaller tail). Same p as
    ``scipy.stats.binomtest(up, up + down, 0.5, alternative)`` for the one-sided alternatives. No untied pair
    gives NaN."""
    _check_alternative(alternative)
    if up < 0 or down < 0:
        raise ValueError(f"sign test counts must be >= 0, got {up} and {down}")
    n = up + down
    if n == 0:
        return SignTest(up, down, math.nan)

    def tail(lo: int, hi: int) -> float:  # P(lo <= X <= hi), X ~ Binomial(n, 1/2), exact in integers
        return sum(math.comb(n, i) for i in range(lo, hi + 1)) / 2 ** n

    greater, less = tail(up, n), tail(0, up)
    p = {"greater": greater, "less": less, "two-sided": min(1.0, 2 * min(greater, less))}[alternative]
    return SignTest(up, down, float(p))


# ---------------------------------------------------------------------------------------------------
# Multiple comparisons
# ---------------------------------------------------------------------------------------------------

def holm(pvalues):
    """Holm–Bonferroni step-down adjusted p-values.

    With the m non-NaN p-values sorted ascending p_(1) ≤ … ≤ p_(m), the adjusted value of p_(i) is
    max_{j ≤ i} min(1, (m − j + 1)·p_(j)) (monotone, capped at 1); reject H_(i) at level α iff its
    adjusted p < α. NaN entries are returned as NaN and do not count in m. Accepts a sequence (returns
    a float numpy array in the same order) or a dict key -> p (returns a dict with the same keys).
    """
    if isinstance(pvalues, Mapping):
        keys = list(pvalues)
        adj = holm([pvalues[k] for k in keys])
        return {k: float(v) for k, v in zip(keys, adj)}
    p = np.asarray(pvalues, dtype=float).ravel()
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if np.any((p[ok] < 0.0) | (p[ok] > 1.0)):
        raise ValueError("p-values must lie in [0, 1]")
    idx = np.flatnonzero(ok)
    m = idx.size
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    factors = np.arange(m, 0, -1, dtype=float)  # m, m-1, ..., 1
    adjusted = np.minimum(1.0, np.maximum.accumulate(factors * p[order]))
    out[order] = adjusted
    return out
