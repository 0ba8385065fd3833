"""Statistics for verdicts: exact binomial intervals, multiple-testing control, exponent fits.

* "With probability at least 1 − δ" claims: the trial count is fixed before the run; the failure count
  gets a one-sided exact (Clopper–Pearson) interval at level α; the claim holds when the upper end is ≤ δ,
  is violated when the lower end is > δ, and is undecided otherwise.
* The family-wise false-alarm rate over many such checks is controlled by Holm's step-down procedure on
  the exact binomial p-values (reports), which is never less powerful than the per-check Bonferroni level
  the pass/fail verdicts use.
* O(·)/Ω(·) claims: log-log least-squares exponent fits with confidence intervals (the union of a bootstrap
  and a t-interval), and the implied constant y / x^p with its own drift exponent. Each exponent verdict
  also records the p-value that matches its interval (:func:`exponent_p_value`), so that reports can run
  Holm's procedure over the exponent verdicts as they do over the probability ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy import stats as _st

from lemmas.result import Outcome


def clopper_pearson_upper(failures: int, trials: int, alpha: float) -> float:
    """One-sided exact upper confidence bound at level 1 − α on a binomial proportion."""
    _check_counts(failures, trials)
    if failures >= trials:
        return 1.0
    return float(_st.beta.ppf(1.0 - alpha, failures + 1, trials - failures))


def clopper_pearson_lower(failures: int, trials: int, alpha: float) -> float:
    """One-sided exact lower confidence bound at level 1 − α on a binomial proportion."""
    _check_counts(failures, trials)
    if failures <= 0:
        return 0.0
    return float(_st.beta.ppf(alpha, failures, trials - failures + 1))


def binomial_pvalue_exceeds(failures: int, trials: int, delta: float) -> float:
    """p-value of H0: P(failure) ≤ δ against the observed failure count: P(Bin(trials, δ) ≥ failures)."""
    _check_counts(failures, trials)
    return float(_st.binom.sf(failures - 1, trials, delta))


def _check_counts(failures: int, trials: int) -> None:
    if trials <= 0 or failures < 0 or failures > trials:
        raise ValueError(f"need 0 <= failures <= trials and trials > 0, got {failures}/{trials}")


@dataclass(frozen=True)
class ProbabilityVerdict:
    failures: int
    trials: int
    delta: float
    alpha: float
    lower: float
    upper: float
    p_value: float
    outcome: Outcome


def probability_claim(failures: int, trials: int, delta: float, alpha: float) -> ProbabilityVerdict:
    """Decide "P(failure) ≤ δ" from a fixed number of independent trials (Clopper–Pearson, one-sided)."""
    lo = clopper_pearson_lower(failures, trials, alpha)
    hi = clopper_pearson_upper(failures, trials, alpha)
    if hi <= delta:
        outcome = Outcome.HOLDS
    elif lo > delta:
        outcome = Outcome.FAILS
    else:
        outcome = Outcome.UNDECIDED
    return ProbabilityVerdict(failures, trials, delta, alpha, lo, hi, binomial_pvalue_exceeds(failures, trials, delta), outcome)


def holm(p_values: Sequence[float], alpha: float) -> list[bool]:
    """Holm's step-down procedure: which hypotheses are rejected at family-wise level α."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    reject = np.zeros(p.size, dtype=bool)
    for rank, idx in enumerate(order):
        if p[idx] <= alpha / (p.size - rank):
            reject[idx] = True
        else:
            break
    return reject.tolist()


@dataclass(frozen=True)
class ExponentFit:
    """log y = log c + p·log x fitted by least squares, with a confidence interval for p.

    ``ci_low``/``ci_high`` span both intervals below (their union), so that the interval is valid when
    either model is: ``bootstrap_ci`` (stratified pairs bootstrap, free of distributional assumptions but
    too narrow with few replicates per size) and ``t_ci`` (the least-squares t-interval with N − 2 degrees
    of freedom, exact for independent Gaussian log-errors; lack of fit, e.g. a pre-asymptotic bend, widens it).
    """

    exponent: float
    log_constant: float
    ci_low: float
    ci_high: float
    level: float
    points: int
    bootstrap_ci: tuple[float, float] = (float("nan"), float("nan"))
    t_ci: tuple[float, float] = (float("nan"), float("nan"))
    standard_error: float = float("nan")  # of the least-squares slope, with points − 2 degrees of freedom
    bootstrap_slopes: np.ndarray | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        return {
            "exponent": self.exponent,
            "constant": float(np.exp(self.log_constant)),
            "ci": [self.ci_low, self.ci_high],
            "level": self.level,
            "points": self.points,
            "bootstrap_ci": list(self.bootstrap_ci),
            "t_ci": list(self.t_ci),
        }


def fit_exponent(
    x: Sequence[float], y: Sequence[float], rng: np.random.Generator, *, level: float = 0.95,
    bootstrap: int | None = None,
) -> ExponentFit:
    """Fit y ≈ c·x^p on a log-log scale, with a two-sided confidence interval for p at ``level``.

    The interval is the union of a bootstrap percentile interval and the least-squares t-interval (see
    :class:`ExponentFit`). The bootstrap is stratified by distinct x values (each size keeps its replicate
    count), so every resample spans the whole grid and the slope is always defined; its size defaults to
    enough resamples for about 20 beyond each tail quantile (at least 2000).
    """
    lx = np.log(np.asarray(x, dtype=float))
    ly = np.log(np.asarray(y, dtype=float))
    if lx.size != ly.size or np.unique(lx).size < 2:
        raise ValueError("fit_exponent needs at least two distinct x values")
    if lx.size < 3:
        raise ValueError("fit_exponent needs at least three points (a t-interval needs N − 2 > 0 degrees of freedom)")
    if not (np.all(np.isfinite(lx)) and np.all(np.isfinite(ly))):
        raise ValueError("fit_exponent needs positive finite x and y")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    slope, intercept = np.polyfit(lx, ly, 1)
    tail = (1.0 - level) / 2.0
    count = bootstrap if bootstrap is not None else max(2000, int(np.ceil(20.0 / tail)))
    groups = [np.flatnonzero(lx == v) for v in np.unique(lx)]
    idx = np.concatenate([g[rng.integers(0, g.size, (count, g.size))] for g in groups], axis=1)
    bx, by = lx[idx], ly[idx]
    bx = bx - bx.mean(axis=1, keepdims=True)
    slopes = np.sum(bx * (by - by.mean(axis=1, keepdims=True)), axis=1) / np.sum(bx * bx, axis=1)
    boot = tuple(float(v) for v in np.quantile(slopes, [tail, 1.0 - tail]))
    centred = lx - lx.mean()
    residual = ly - (slope * lx + intercept)
    dof = lx.size - 2
    se = float(np.sqrt(np.sum(residual**2) / dof / np.sum(centred**2)))
    half = float(_st.t.ppf(1.0 - tail, dof)) * se
    t_ci = (float(slope) - half, float(slope) + half)
    return ExponentFit(float(slope), float(intercept), min(boot[0], t_ci[0]), max(boot[1], t_ci[1]), level,
                       int(lx.size), boot, t_ci, se, slopes)


def exponent_p_value(fit: ExponentFit, claimed: float, direction: str) -> float:
    """The p-value of "the claim holds" that matches :func:`exponent_claim` on the fit's union interval.

    Per model: the t-test of the slope against ``claimed`` (one-sided for "upper"/"lower", two-sided for
    "equal") and the bootstrap's share of resampled slopes on the claim's side, (1 + count)/(1 + resamples).
    The claim fails at one-sided level a exactly when both intervals exclude it, i.e. when both p-values are
    below a, so the verdict's p-value is the larger of the two. Its resolution is 1/(1 + resamples).
    """
    if fit.bootstrap_slopes is None or not np.isfinite(fit.standard_error):
        raise ValueError("exponent_p_value needs a fit from fit_exponent (bootstrap slopes and standard error)")
    dof = fit.points - 2
    slopes = fit.bootstrap_slopes
    gap = fit.exponent - claimed
    t = gap / fit.standard_error if fit.standard_error > 0 else (0.0 if gap == 0 else math.copysign(math.inf, gap))
    upper = (float(_st.t.sf(t, dof)), (1.0 + np.count_nonzero(slopes <= claimed)) / (1.0 + slopes.size))
    lower = (float(_st.t.cdf(t, dof)), (1.0 + np.count_nonzero(slopes >= claimed)) / (1.0 + slopes.size))
    if direction == "upper":
        return max(upper)
    if direction == "lower":
        return max(lower)
    if direction == "equal":
        return max(min(1.0, 2.0 * min(upper[0], lower[0])), min(1.0, 2.0 * min(upper[1], lower[1])))
    raise ValueError(f"direction must be upper, lower or equal, got {direction!r}")


def exponent_claim(fit: ExponentFit, claimed: float, direction: str) -> Outcome:
    """Compare a fitted exponent with a claimed one.

    ``direction="upper"`` (an O(x^p) upper bound): fails when the whole CI lies above p (grows faster).
    ``direction="lower"`` (an Ω(x^p) lower bound): fails when the whole CI lies below p.
    ``direction="equal"`` (Θ or an exact rate): fails when p lies outside the CI.
    """
    if direction == "upper":
        return Outcome.FAILS if fit.ci_low > claimed else Outcome.HOLDS
    if direction == "lower":
        return Outcome.FAILS if fit.ci_high < claimed else Outcome.HOLDS
    if direction == "equal":
        return Outcome.HOLDS if fit.ci_low <= claimed <= fit.ci_high else Outcome.FAILS
    raise ValueError(f"direction must be upper, lower or equal, got {direction!r}")


def implied_constants(x: Sequence[float], y: Sequence[float], claimed: float) -> np.ndarray:
    """The implied constants y / x^p of an O(x^p) claim at each point."""
    return np.asarray(y, dtype=float) / np.asarray(x, dtype=float) ** claimed


def drift_fit(x: Sequence[float], y: Sequence[float], claimed: float, rng: np.random.Generator, **kw) -> ExponentFit:
    """Exponent of the implied constant y/x^p against x: an O(x^p) claim predicts a drift ≤ 0."""
    return fit_exponent(x, implied_constants(x, y, claimed), rng, **kw)
