"""Statistics: exact binomial intervals, Holm, exponent fits."""

import math

import numpy as np
import pytest
from scipy import stats

from lemmas import stats as S
from lemmas.result import Outcome


def test_clopper_pearson_zero_failures_has_closed_form():
    # With 0 failures the one-sided upper bound solves (1 - p)^n = alpha.
    assert np.isclose(S.clopper_pearson_upper(0, 200, 0.01), 1 - 0.01 ** (1 / 200))


def test_clopper_pearson_bounds_cover_truth_at_stated_rate():
    rng = np.random.default_rng(0)
    p, n, alpha = 0.07, 150, 0.05
    k = rng.binomial(n, p, size=4000)
    upper = np.array([S.clopper_pearson_upper(int(x), n, alpha) for x in k])
    lower = np.array([S.clopper_pearson_lower(int(x), n, alpha) for x in k])
    assert np.mean(upper < p) <= alpha
    assert np.mean(lower > p) <= alpha


def test_probability_claim_three_outcomes():
    assert S.probability_claim(0, 200, 0.1, 0.01).outcome is Outcome.HOLDS
    assert S.probability_claim(150, 200, 0.1, 0.01).outcome is Outcome.FAILS
    assert S.probability_claim(20, 200, 0.1, 0.01).outcome is Outcome.UNDECIDED


def test_binomial_pvalue_is_upper_tail():
    assert np.isclose(S.binomial_pvalue_exceeds(5, 20, 0.1), stats.binom.sf(4, 20, 0.1))
    assert S.binomial_pvalue_exceeds(0, 20, 0.1) == 1.0


def test_holm_rejects_step_down():
    assert S.holm([0.001, 0.02, 0.04, 0.5], 0.05) == [True, False, False, False]
    assert S.holm([0.001, 0.012, 0.02, 0.5], 0.05) == [True, True, True, False]


def test_counts_are_validated():
    with pytest.raises(ValueError):
        S.clopper_pearson_upper(3, 2, 0.05)


def test_fit_exponent_recovers_slope_and_ci_covers():
    rng = np.random.default_rng(3)
    x = np.repeat([100, 400, 1600, 6400], 8)
    y = 3.0 * x**-0.5 * np.exp(rng.normal(0, 0.1, x.size))
    fit = S.fit_exponent(x, y, rng)
    assert fit.ci_low < -0.5 < fit.ci_high
    assert abs(np.exp(fit.log_constant) - 3.0) < 0.5
    assert S.exponent_claim(fit, -0.5, "upper") is Outcome.HOLDS
    assert S.exponent_claim(fit, -1.0, "upper") is Outcome.FAILS
    assert S.exponent_claim(fit, 0.0, "lower") is Outcome.FAILS
    assert S.exponent_claim(fit, -0.5, "equal") is Outcome.HOLDS


def test_drift_of_implied_constant_is_zero_for_the_right_exponent():
    rng = np.random.default_rng(4)
    x = np.repeat([10, 100, 1000], 6)
    y = 2 * x**1.0 * np.exp(rng.normal(0, 0.05, x.size))
    assert abs(S.drift_fit(x, y, 1.0, rng).exponent) < 0.05
    assert S.drift_fit(x, y, 0.5, rng).ci_low > 0.4


def test_fit_exponent_rejects_degenerate_grids():
    with pytest.raises(ValueError):
        S.fit_exponent([1, 1, 1], [1, 2, 3], np.random.default_rng(0))


def test_exponent_interval_is_the_union_of_bootstrap_and_t_intervals():
    rng = np.random.default_rng(5)
    x = np.repeat([100, 400, 1600], 2)  # two replicates per size: the bootstrap alone is far too narrow
    y = x**-0.5 * np.exp(rng.normal(0, 0.2, x.size))
    fit = S.fit_exponent(x, y, rng)
    assert fit.ci_low == min(fit.bootstrap_ci[0], fit.t_ci[0]) and fit.ci_high == max(fit.bootstrap_ci[1], fit.t_ci[1])
    assert fit.t_ci[1] - fit.t_ci[0] > fit.bootstrap_ci[1] - fit.bootstrap_ci[0]


def test_a_stricter_level_widens_the_exponent_interval():
    x = np.repeat([100, 400, 1600, 6400], 4)
    y = x**-0.5 * np.exp(np.random.default_rng(6).normal(0, 0.1, x.size))
    loose = S.fit_exponent(x, y, np.random.default_rng(0), level=0.95)
    strict = S.fit_exponent(x, y, np.random.default_rng(0), level=0.999)
    assert strict.ci_low < loose.ci_low and strict.ci_high > loose.ci_high


def test_exponent_interval_covers_the_true_slope_at_its_level():
    """Coverage of the two-sided 90% interval over 200 simulated grids with 3 replicates per size."""
    rng = np.random.default_rng(7)
    x = np.repeat([100, 400, 1600, 6400], 3)
    covered = sum(lo <= -0.5 <= hi for lo, hi in (
        (f.ci_low, f.ci_high) for f in (S.fit_exponent(x, x**-0.5 * np.exp(rng.normal(0, 0.2, x.size)), rng, level=0.9,
                                                       bootstrap=400) for _ in range(200))))
    assert covered >= 0.9 * 200 - 2 * math.sqrt(200 * 0.09)  # at least nominal, up to two standard errors


@pytest.mark.parametrize("direction", ["upper", "lower", "equal"])
def test_exponent_p_value_matches_the_verdict_of_the_union_interval(direction):
    """p < α_side exactly when the claim fails on the interval of one-sided level α_side (away from the edge)."""
    rng = np.random.default_rng(8)
    x = np.repeat([100, 400, 1600, 6400], 3)
    y = x**-0.5 * np.exp(rng.normal(0, 0.15, x.size))
    fit = S.fit_exponent(x, y, np.random.default_rng(0), level=0.95)
    side = 0.025 if direction != "equal" else 0.05
    edges = np.array([fit.ci_low, fit.ci_high])
    for claimed in np.linspace(fit.exponent - 1.0, fit.exponent + 1.0, 81):
        if np.min(np.abs(edges - claimed)) < 0.02:
            continue  # bootstrap quantile interpolation vs the counting p-value: only the edge may differ
        fails = S.exponent_claim(fit, claimed, direction) is Outcome.FAILS
        assert (S.exponent_p_value(fit, claimed, direction) < side) == fails, (direction, claimed)


def test_exponent_p_value_is_small_for_a_wrong_claim_and_large_for_the_true_one():
    rng = np.random.default_rng(9)
    x = np.repeat([100, 400, 1600, 6400], 6)
    y = x**-0.5 * np.exp(rng.normal(0, 0.1, x.size))
    fit = S.fit_exponent(x, y, np.random.default_rng(0))
    assert S.exponent_p_value(fit, -1.0, "upper") <= 1.0 / (1 + fit.bootstrap_slopes.size) + 1e-12
    assert S.exponent_p_value(fit, -0.5, "equal") > 0.05
