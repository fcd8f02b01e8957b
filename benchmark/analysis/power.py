"""Statistical power of the paper's test, so that a verdict says how much it could have seen.

The paper compares methods with a paired one-tailed t-test over seeds. For n paired differences with
standard deviation s, the test at level α detects a true mean difference δ with probability
    power(δ) = P(T' > t_{1-α, n-1}),   T' ~ noncentral t(df = n - 1, ncp = δ·√n / s).
From that:
* `minimum_detectable_effect(n, s)`: the δ with power 0.8 (α = 0.05): a smaller true effect would usually
  be missed by runs like ours;
* `seeds_needed(effect, s)`: the fewest seeds for power 0.8 against a given effect (the paper's own);
* `rows_needed(...)`: how many test rows would do it at a given number of seeds, splitting the observed
  variance of the differences into a part that more test rows shrink (the sampling of examples,
  var/N) and a part they do not (seed-to-seed variation of the models themselves).

The noncentral t survival function is computed here by integrating the normal tail over the chi
distribution (Simpson's rule), so scipy is not needed at runtime; tests check it against scipy.
"""
from __future__ import annotations

import math
from typing import NamedTuple

from benchmark.analysis.stats import student_t_isf

ALPHA = 0.05  # the paper's one-tailed level
POWER = 0.8  # the conventional target power
_GRID = 4000  # Simpson intervals over the chi distribution (even)


def _normal_sf(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def noncentral_t_sf(t: float, df: float, ncp: float) -> float:
    """P(T' > t) for T' = (Z + ncp) / sqrt(V / df), Z standard normal, V chi-squared with df degrees of freedom.

    = ∫ P(Z > t·u - ncp) g(u) du over u = sqrt(V / df), whose density is g(u) = 2·df·u·f_chi2(df·u²).
    Accurate to ~1e-8 for df >= 1 and |t|, |ncp| <= 50 (tested against scipy.stats.nct).
    """
    if math.isnan(t) or math.isnan(df) or math.isnan(ncp) or df <= 0:
        return math.nan
    if math.isinf(df):
        return _normal_sf(t - ncp)
    # u has mean ~1 and sd ~1/sqrt(2 df); integrate over a range holding all but ~1e-15 of its mass
    sd = 1.0 / math.sqrt(2.0 * df)
    hi = 1.0 + 40.0 * sd + 10.0
    h = hi / _GRID
    half = df / 2.0
    log_norm = math.log(2.0 * df) - half * math.log(2.0) - math.lgamma(half)

    def integrand(u: float) -> float:
        if u <= 0.0:
            # g(0) = 0 for df > 1; for df = 1, g(u) -> sqrt(2/pi) (the half-normal's density at 0)
            return _normal_sf(-ncp) * (math.sqrt(2.0 / math.pi) if df == 1 else 0.0)
        v = df * u * u
        log_g = log_norm + math.log(u) + (half - 1.0) * math.log(v) - v / 2.0
        return _normal_sf(t * u - ncp) * math.exp(log_g)

    total = integrand(0.0) + integrand(hi)
    for i in range(1, _GRID):
        total += (4.0 if i % 2 else 2.0) * integrand(i * h)
    return min(1.0, max(0.0, total * h / 3.0))


def power_paired(effect: float, sd: float, n: int, alpha: float = ALPHA) -> float:
    """Power of the one-tailed paired t-test at level alpha to detect a true mean difference `effect`
    (> 0, in the direction tested) with n pairs whose differences have standard deviation sd."""
    if n < 2 or math.isnan(sd) or math.isnan(effect):
        return math.nan
    if sd == 0.0:
        return 1.0 if effect > 0 else alpha
    t_crit = student_t_isf(alpha, n - 1)
    return noncentral_t_sf(t_crit, n - 1, effect * math.sqrt(n) / sd)


def _ncp_for_power(df: float, alpha: float, power: float) -> float:
    """The noncentrality at which the one-tailed test at alpha has the given power (bisection)."""
    t_crit = student_t_isf(alpha, df)
    lo, hi = 0.0, 1.0
    while noncentral_t_sf(t_crit, df, hi) < power:
        lo, hi = hi, hi * 2.0
        if hi > 1e4:
            return math.inf
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if noncentral_t_sf(t_crit, df, mid) < power:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def minimum_detectable_effect(n: int, sd: float, alpha: float = ALPHA, power: float = POWER) -> float:
    """The smallest true mean difference the paired one-tailed test detects with the given power
    (same unit as sd). NaN with fewer than 2 pairs; 0 when the differences do not vary."""
    if n < 2 or math.isnan(sd):
        return math.nan
    if sd == 0.0:
        return 0.0
    return _ncp_for_power(n - 1, alpha, power) * sd / math.sqrt(n)


def seeds_needed(effect: float, sd: float, alpha: float = ALPHA, power: float = POWER, limit: int = 1000) -> int | None:
    """The fewest seeds (pairs) for the given power against a true difference `effect` (> 0); None when
    more than `limit` would be needed or the effect is not positive."""
    if math.isnan(effect) or math.isnan(sd) or effect <= 0:
        return None
    for n in range(2, limit + 1):
        if power_paired(effect, sd, n, alpha) >= power:
            return n
    return None


class VarianceSplit(NamedTuple):
    """The variance of one seed's paired difference, split by what more test rows would shrink."""

    observed: float  # variance of the paired differences over seeds (ddof = 1)
    rows: float  # the part due to sampling N test examples (mean over seeds of var(per-example diff) / N)
    between: float  # the rest: seed-to-seed variation of the models, which more rows do not remove
    n_rows: int


def split_variance(observed_sd: float, per_example_var: float, n_rows: int) -> VarianceSplit:
    """`per_example_var`: the mean over seeds of the variance of the per-example differences (0/1 outcomes
    of the two arms on the same example, so values in {-1, 0, 1}), in squared percentage points."""
    observed = observed_sd ** 2
    rows = per_example_var / n_rows
    return VarianceSplit(observed, rows, max(observed - rows, 0.0), n_rows)


def rows_needed(effect: float, split: VarianceSplit, n_seeds: int, alpha: float = ALPHA, power: float = POWER,
                limit: int = 10_000_000) -> int | None:
    """The fewest test rows for the given power at `n_seeds` seeds, if the seed-to-seed part of the variance
    stays as observed; None when even infinitely many rows would not do (the models' own variation alone
    is too large) or the effect is not positive."""
    if math.isnan(effect) or effect <= 0 or n_seeds < 2:
        return None
    if power_paired(effect, math.sqrt(split.between), n_seeds, alpha) < power:
        return None
    lo, hi = 1, max(split.n_rows, 1)
    per_example = split.rows * split.n_rows
    while power_paired(effect, math.sqrt(split.between + per_example / hi), n_seeds, alpha) < power:
        lo, hi = hi, hi * 2
        if hi > limit:
            return None
    while lo < hi:
        mid = (lo + hi) // 2
        if power_paired(effect, math.sqrt(split.between + per_example / mid), n_seeds, alpha) >= power:
            hi = mid
        else:
            lo = mid + 1
    return lo


class PowerStatement(NamedTuple):
    mde: float  # minimum detectable effect at our seeds and rows (percentage points)
    seeds_for_paper: int | None  # seeds needed for the paper's effect at our spread
    rows_for_paper: int | None  # test rows needed for the paper's effect at our number of seeds
    powered: bool | None  # True: an effect of the paper's size would have been detected (MDE <= |paper Δ|)
    text: str  # one sentence for reports


def state_power(paper_effect: float, sd: float, n_seeds: int, split: VarianceSplit | None = None) -> PowerStatement:
    """What our runs could have seen, against the paper's own effect size (its |Δ|)."""
    mde = minimum_detectable_effect(n_seeds, sd)
    size = abs(paper_effect) if not math.isnan(paper_effect) else math.nan
    if math.isnan(mde) or math.isnan(size) or size == 0:
        why = "fewer than 2 matched seeds" if math.isnan(mde) else "the paper gives no effect size"
        return PowerStatement(mde, None, None, None, f"power unknown: {why}")
    seeds = seeds_needed(size, sd)
    rows = rows_needed(size, split, n_seeds) if split is not None else None
    powered = mde <= size
    if powered:
        text = (f"powered: an effect of the paper's size ({size:.2f} points) would have been detected "
                f"(minimum detectable effect {mde:.2f} at {n_seeds} seeds, α = {ALPHA:g}, power {POWER:g})")
    else:
        more = f"{seeds} seeds" if seeds else "more than 1000 seeds"
        row_txt = ""
        if split is not None:
            row_txt = (f", or {int(rows)} test rows at {n_seeds} seeds" if rows else
                       f"; more test rows alone cannot reach it at {n_seeds} seeds (the seed-to-seed spread dominates)")
        text = (f"underpowered: the minimum detectable effect is {mde:.2f} points, larger than the paper's "
                f"{size:.2f}; detecting the paper's effect needs about {more} at this spread{row_txt}")
    return PowerStatement(mde, seeds, rows, powered, text)
