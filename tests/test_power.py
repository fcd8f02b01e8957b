"""Power of the paired one-tailed t-test: our noncentral t against scipy, the minimum detectable effect
against scipy's root and a simulation, and the seeds / test rows needed for a given effect."""
import math

import numpy as np
import pytest

from benchmark.analysis.power import (minimum_detectable_effect, noncentral_t_sf, power_paired, rows_needed,
                                      seeds_needed, split_variance, state_power)

sps = pytest.importorskip("scipy.stats")


@pytest.mark.parametrize("df", [1, 2, 4, 9, 30, 200])
def test_noncentral_t_matches_scipy(df):
    for t in (-2.0, 0.0, 1.0, 2.353, 5.0):
        for ncp in (-1.0, 0.0, 0.5, 2.5, 6.0):
            assert noncentral_t_sf(t, df, ncp) == pytest.approx(sps.nct.sf(t, df, ncp), abs=1e-7)


@pytest.mark.parametrize("n, sd", [(3, 4.73), (5, 1.2), (10, 3.0), (2, 2.0)])
def test_mde_has_power_080_by_scipy(n, sd):
    mde = minimum_detectable_effect(n, sd)
    t_crit = sps.t.isf(0.05, n - 1)
    assert sps.nct.sf(t_crit, n - 1, mde * math.sqrt(n) / sd) == pytest.approx(0.8, abs=1e-6)
    assert power_paired(mde, sd, n) == pytest.approx(0.8, abs=1e-6)


def test_mde_by_simulation():
    """Paired differences drawn with the MDE as their true mean are significant about 80 % of the time."""
    rng = np.random.default_rng(0)
    n, sd, sims = 5, 3.0, 20000
    mde = minimum_detectable_effect(n, sd)
    d = rng.normal(mde, sd, size=(sims, n))
    t = d.mean(1) / (d.std(1, ddof=1) / math.sqrt(n))
    hit = float((t > sps.t.isf(0.05, n - 1)).mean())
    assert hit == pytest.approx(0.8, abs=0.012)


def test_seeds_needed_is_the_first_count_with_power():
    effect, sd = 4.0, 5.0
    n = seeds_needed(effect, sd)
    assert power_paired(effect, sd, n) >= 0.8 > power_paired(effect, sd, n - 1)
    assert seeds_needed(0.0, sd) is None and seeds_needed(-1.0, sd) is None


def test_rows_needed_shrinks_only_the_sampling_part():
    # observed sd 6 with 100 rows; per-example variance 2500 (pp²) gives 25 from sampling, 11 between seeds
    split = split_variance(6.0, 2500.0, 100)
    assert split.rows == pytest.approx(25.0) and split.between == pytest.approx(11.0)
    rows = rows_needed(5.0, split, n_seeds=5)
    sd_then = math.sqrt(split.between + 2500.0 / rows)
    assert power_paired(5.0, sd_then, 5) >= 0.8 > power_paired(5.0, math.sqrt(split.between + 2500.0 / (rows - 1)), 5)
    # when the seed-to-seed spread alone is too large, no number of rows helps
    assert rows_needed(1.0, split_variance(10.0, 100.0, 100), n_seeds=3) is None


def test_the_statement_says_which_kind_of_negative_it_is():
    powered = state_power(14.17, sd=2.0, n_seeds=5)
    assert powered.powered and powered.text.startswith("powered") and powered.mde < 14.17
    thin = state_power(1.0, sd=4.0, n_seeds=3, split=split_variance(4.0, 1600.0, 100))
    assert thin.powered is False and thin.text.startswith("underpowered") and thin.seeds_for_paper > 3
    unknown = state_power(float("nan"), sd=1.0, n_seeds=5)
    assert unknown.powered is None


def test_power_text_counts_rows_as_whole_numbers():
    """Tables hand n_rows over as floats (pandas); the sentence still says '8431 test rows', not '8431.0'."""
    from benchmark.analysis import power

    split = power.split_variance(2.0, 900.0, 100.0)
    text = power.state_power(0.82, 2.0, 3, split).text
    assert "test rows at 3 seeds" in text and ".0 test rows" not in text
