"""The sequential test of "P(failure) ≤ δ" stays valid when trials are added as they come (checked by simulation)."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from lemmas.auditing.sequential import (
    SequentialTest,
    confidence_sequence,
    log_evidence_exceeds,
    log_evidence_within,
    prior_shape,
)
from lemmas.result import Outcome

ALPHA = 0.05
STREAMS, HORIZON = 1000, 400


def _ever_crosses(p: float, delta: float, log_evidence, seed: int) -> float:
    """Fraction of simulated streams whose evidence ever reaches 1/α within the horizon (peeking after every trial)."""
    rng = np.random.default_rng(seed)
    failures = np.cumsum(rng.random((STREAMS, HORIZON)) < p, axis=1)
    trials = np.arange(1, HORIZON + 1)
    return float(np.mean((log_evidence(failures, trials, delta) >= math.log(1 / ALPHA)).any(axis=1)))


def _upper_tolerance(rate: float) -> float:
    """α plus three binomial standard errors of the simulation."""
    return rate + 3 * math.sqrt(rate * (1 - rate) / STREAMS)


def _mixture(k: int, t: int, delta: float, lo: float, hi: float, shape: float = 1.0) -> float:
    """∫ (q/δ)^k ((1−q)/(1−δ))^{t−k} π(q) dq over (lo, hi) with π ∝ (1−q)^{shape−1}, by quadrature."""
    ratio = lambda q: (q / delta) ** k * ((1 - q) / (1 - delta)) ** (t - k) * (1 - q) ** (shape - 1)  # noqa: E731
    weight = integrate.quad(lambda q: (1 - q) ** (shape - 1), lo, hi, epsabs=0, epsrel=1e-12)[0]
    return integrate.quad(ratio, lo, hi, epsabs=0, epsrel=1e-12, points=[lo + 2 * delta])[0] / weight


@pytest.mark.parametrize("k, t, delta", [(7, 30, 0.1), (0, 20, 0.2), (12, 12, 0.5), (3, 80, 0.02)])
def test_closed_forms_match_the_mixture_integrals(k, t, delta):
    expected = _mixture(k, t, delta, delta, 1, prior_shape(delta))
    assert math.isclose(math.exp(log_evidence_exceeds(k, t, delta)), expected, rel_tol=1e-7)
    assert math.isclose(math.exp(log_evidence_within(k, t, delta)), _mixture(k, t, delta, 0, delta), rel_tol=1e-7)


@pytest.mark.parametrize("p, delta", [(0.1, 0.1), (0.05, 0.1), (0.3, 0.3)])
def test_a_true_claim_is_rarely_refuted_even_when_peeking_after_every_trial(p, delta):
    assert _ever_crosses(p, delta, log_evidence_exceeds, seed=1) <= _upper_tolerance(ALPHA)


@pytest.mark.parametrize("p, delta", [(0.1, 0.1), (0.2, 0.1)])
def test_a_false_claim_is_rarely_declared_to_hold(p, delta):
    assert _ever_crosses(p, delta, log_evidence_within, seed=2) <= _upper_tolerance(ALPHA)


def test_repeated_clopper_pearson_would_not_be_valid():
    """Why the audit needs an anytime-valid test: peeking at a fixed-count CP interval after every trial
    refutes a true claim (p = δ) far more often than α."""
    rng = np.random.default_rng(3)
    delta = 0.1
    failures = np.cumsum(rng.random((STREAMS, HORIZON)) < delta, axis=1)
    trials = np.arange(1, HORIZON + 1)
    lower = stats.beta.ppf(ALPHA, np.maximum(failures, 1), trials - failures + 1)
    lower = np.where(failures > 0, lower, 0.0)
    peeking = float(np.mean((lower > delta).any(axis=1)))
    assert peeking > 2 * ALPHA
    assert _ever_crosses(delta, delta, log_evidence_exceeds, seed=3) <= _upper_tolerance(ALPHA)


def test_a_clearly_false_claim_is_refuted_within_a_few_trials():
    test = SequentialTest(delta=0.1, alpha=0.01)
    outcomes = [test.add(failed=True) for _ in range(5)]
    assert outcomes[0] is Outcome.UNDECIDED and outcomes[-1] is Outcome.FAILS


def test_a_claim_that_never_fails_is_decided_to_hold():
    test = SequentialTest(delta=0.1, alpha=0.01)
    outcome = Outcome.UNDECIDED
    while outcome is Outcome.UNDECIDED:
        outcome = test.add(failed=False)
    assert outcome is Outcome.HOLDS and 40 <= test.trials <= 100


def test_ambiguous_trials_never_decide_either_way():
    test = SequentialTest(delta=0.1, alpha=0.01)
    for _ in range(200):
        assert test.add(failed=False, ambiguous=True) is not Outcome.FAILS
    assert test.outcome() is Outcome.UNDECIDED
    state = test.state()
    assert state.failures == 0 and state.ambiguous == 200 and state.cs_upper == pytest.approx(1.0)


def test_power_against_a_clear_alternative():
    assert _ever_crosses(0.3, 0.1, log_evidence_exceeds, seed=4) >= 0.95


def test_confidence_bounds_agree_with_the_decisions():
    for failures, trials, delta in [(3, 3, 0.1), (22, 95, 0.1), (0, 70, 0.1), (5, 200, 0.02)]:
        lo, hi = confidence_sequence(failures, trials, 0.01)
        refuted = log_evidence_exceeds(failures, trials, delta) >= math.log(100)
        holds = log_evidence_within(failures, trials, delta) >= math.log(100)
        assert refuted == (delta < lo)
        assert holds == (delta > hi)
        assert 0 <= lo <= failures / trials <= hi <= 1


def test_confidence_bounds_cover_the_truth_uniformly_over_time():
    p = 0.15
    rng = np.random.default_rng(5)
    misses = 0
    for stream in range(100):
        failures = np.cumsum(rng.random(150) < p)
        checkpoints = range(9, 150, 20)
        misses += any(not (lambda b: b[0] <= p <= b[1])(confidence_sequence(int(failures[t]), t + 1, ALPHA))
                      for t in checkpoints)
    assert misses <= 100 * 2 * ALPHA + 3 * math.sqrt(100 * 2 * ALPHA)


def test_bad_levels_are_refused():
    with pytest.raises(ValueError):
        SequentialTest(delta=0.0, alpha=0.01)
    with pytest.raises(ValueError):
        SequentialTest(delta=0.1, alpha=1.0)
