"""Verdict builders shared by every lemma: one aggregation rule per kind of claim.

Lemma modules produce observations in trials and call one of these to aggregate them, so the rule that
turns evidence into a verdict lives in one place per kind (probability, exponent, worst case, identity).

Observation conventions (keys a trial returns):
  ``hypotheses``: dict name -> bool, the lemma's hypotheses as checked in that trial;
  ``value``, ``bound``: the two sides of the inequality (floats);
  ``failed``: whether the conclusion failed in that trial;
  ``ambiguous``: whether floating point could not decide ``failed`` (counted against whichever verdict is
  being claimed, so rounding never decides a verdict);
  ``tier``: the :class:`~lemmas.result.Tier` value that decided ``failed``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np

from lemmas.registry import Kind, Mode, Settings, all_checks
from lemmas.result import Outcome, Tier, Verdict
from lemmas.stats import drift_fit, exponent_claim, exponent_p_value, fit_exponent, implied_constants, probability_claim

#: Relative width of the band around a threshold inside which a float comparison is "ambiguous".
AMBIGUITY = 1e-9


def compare(value: float, bound: float, *, upper: bool = True, strict: bool = False, scale: float | None = None) -> dict[str, Any]:
    """Compare ``value`` with ``bound`` (``value ≤ bound`` if ``upper`` else ``value ≥ bound``).

    Returns ``failed``, ``ambiguous`` (the difference is within :data:`AMBIGUITY` of the scale, so rounding
    could flip it) and the signed ``margin`` (positive = the inequality held).
    """
    margin = (bound - value) if upper else (value - bound)
    ref = scale if scale is not None else max(abs(value), abs(bound), 1e-300)
    ambiguous = abs(margin) <= AMBIGUITY * ref
    failed = margin <= 0 if strict else margin < 0
    return {"value": float(value), "bound": float(bound), "margin": float(margin), "failed": bool(failed), "ambiguous": bool(ambiguous)}


def hypotheses_held(observations: Sequence[Mapping[str, Any]]) -> bool:
    return all(all(obs.get("hypotheses", {}).values()) for obs in observations)


def per_check_alpha(settings: Settings) -> float:
    """Bonferroni share of the family-wise level ``settings.alpha`` over every (check, case) of the run's mode
    that may decide a verdict with :func:`probability_verdict` (probability and worst-case kinds)."""
    return settings.alpha / _probability_case_count(settings.mode)


def per_exponent_alpha(settings: Settings) -> float:
    """One-sided level of each :func:`exponent_verdict`: α/2 per side of a two-sided 1 − α interval.

    Not a Bonferroni share: at the default grids a family-wise share over the exponent checks leaves several
    of them without the power to refute their negative controls, so the exponent verdicts are per-check
    tests and the report states the resulting bound (K·α/2 over K exponent verdicts) as it is.
    """
    return settings.alpha / 2.0


@lru_cache(maxsize=None)
def _probability_case_count(mode: Mode) -> int:
    kinds = (Kind.PROBABILITY, Kind.WORST_CASE)
    return max(1, sum(1 for check, _ in all_checks(mode) if check.kind in kinds))


def weakest_tier(observations: Sequence[Mapping[str, Any]], default: Tier = Tier.ESTIMATED) -> Tier:
    order = [Tier.ESTIMATED, Tier.FLOAT, Tier.INTERVAL, Tier.BALL, Tier.EXACT]
    tiers = [Tier(o["tier"]) for o in observations if "tier" in o]
    return min(tiers, key=order.index) if tiers else default


def probability_verdict(
    observations: Sequence[Mapping[str, Any]], delta: float, settings: Settings, quantity: str
) -> Verdict:
    """"The conclusion holds with probability ≥ 1 − δ": Clopper–Pearson on the failure count.

    Ambiguous trials count as failures when testing "holds" and as successes when testing "fails".
    """
    trials = len(observations)
    alpha = per_check_alpha(settings)
    hard = sum(1 for o in observations if o["failed"] and not o.get("ambiguous"))
    soft = sum(1 for o in observations if o.get("ambiguous"))
    pessimistic = probability_claim(min(trials, hard + soft), trials, delta, alpha)
    optimistic = probability_claim(hard, trials, delta, alpha)
    if pessimistic.outcome is Outcome.HOLDS:
        outcome = Outcome.HOLDS
    elif optimistic.outcome is Outcome.FAILS:
        outcome = Outcome.FAILS
    else:
        outcome = Outcome.UNDECIDED
    worst = min(range(trials), key=lambda i: observations[i]["margin"])
    failing = [i for i, o in enumerate(observations) if o["failed"] and not o.get("ambiguous")]
    return Verdict(
        outcome=outcome,
        quantity=quantity,
        value=hard / trials,
        bound=delta,
        margin=delta - pessimistic.upper,
        hypotheses_held=hypotheses_held(observations),
        tier=weakest_tier(observations),
        summary=(
            f"{hard} failure(s) (+{soft} ambiguous) in {trials} trials; failure probability in "
            f"[{optimistic.lower:.3g}, {pessimistic.upper:.3g}] at one-sided level {1 - alpha:.5g}; δ = {delta:g}"
        ),
        worst_case={"trial": worst, **{k: observations[worst][k] for k in ("value", "bound", "margin")}},
        counterexample=failing[0] if failing else None,
        evidence={
            "failures": hard,
            "ambiguous": soft,
            "trials": trials,
            "alpha": alpha,
            "cp_lower": optimistic.lower,
            "cp_upper": pessimistic.upper,
            "p_value": optimistic.p_value,
            "delta": delta,
        },
    )


def exponent_verdict(
    observations: Sequence[Mapping[str, Any]],
    claimed: float,
    direction: str,
    quantity: str,
    variable: str,
    settings: Settings,
) -> Verdict:
    """An O(x^p) / Ω(x^p) claim from observations with keys ``x``, ``y`` and ``role``.

    ``role`` = "calibration" observations estimate the implied constant; "test" observations (disjoint
    seeds) decide the verdict: the fitted exponent's confidence interval (:func:`lemmas.stats.fit_exponent`)
    against ``claimed``, and the drift of the implied constant across the grid. Each side of the two-sided
    interval has level :func:`per_exponent_alpha`, so a claim fails at that one-sided level. The matching
    p-value (:func:`lemmas.stats.exponent_p_value`) goes into the evidence for the reports' Holm procedure.
    """
    test = [o for o in observations if o.get("role", "test") == "test"]
    calib = [o for o in observations if o.get("role") == "calibration"]
    rng = np.random.default_rng(settings.seed)
    alpha = per_exponent_alpha(settings)
    xs = [o["x"] for o in test]
    ys = [o["y"] for o in test]
    fit = fit_exponent(xs, ys, rng, level=1.0 - 2.0 * alpha)
    drift = drift_fit(xs, ys, claimed, rng, level=1.0 - 2.0 * alpha)
    outcome = exponent_claim(fit, claimed, direction)
    constant = float(np.max(implied_constants([o["x"] for o in calib], [o["y"] for o in calib], claimed))) if calib else math.nan
    margin = (claimed - fit.ci_low) if direction == "upper" else (fit.ci_high - claimed) if direction == "lower" else min(claimed - fit.ci_low, fit.ci_high - claimed)
    return Verdict(
        outcome=outcome,
        quantity=f"exponent of {quantity} in {variable}",
        value=fit.exponent,
        bound=claimed,
        margin=float(margin),
        hypotheses_held=hypotheses_held(observations),
        tier=Tier.ESTIMATED,
        summary=(
            f"fitted exponent {fit.exponent:.3f} ({100 * fit.level:.3g}% CI [{fit.ci_low:.3f}, {fit.ci_high:.3f}]) against claimed "
            f"{claimed:g} ({direction}); implied-constant drift {drift.exponent:.3f} "
            f"[{drift.ci_low:.3f}, {drift.ci_high:.3f}]; calibrated constant {constant:.4g}"
        ),
        evidence={
            "fit": fit.as_dict(),
            "drift": drift.as_dict(),
            "calibrated_constant": constant,
            "alpha": alpha,
            "p_value": exponent_p_value(fit, claimed, direction),
            "x": xs,
            "y": ys,
            "variable": variable,
            "direction": direction,
        },
    )


def max_error_verdict(observations: Sequence[Mapping[str, Any]], tolerance: float, quantity: str, tier: Tier = Tier.ESTIMATED) -> Verdict:
    """An exact identity or oracle: every trial's ``error`` must be ≤ ``tolerance``."""
    errors = [float(o["error"]) for o in observations]
    worst = int(np.argmax(errors))
    return Verdict(
        outcome=Outcome.HOLDS if errors[worst] <= tolerance else Outcome.FAILS,
        quantity=quantity,
        value=errors[worst],
        bound=tolerance,
        margin=tolerance - errors[worst],
        hypotheses_held=hypotheses_held(observations),
        tier=tier,
        summary=f"max error {errors[worst]:.3g} over {len(errors)} trial(s), tolerance {tolerance:.3g}",
        worst_case={"trial": worst, **{k: v for k, v in observations[worst].items() if isinstance(v, (int, float, str))}},
        counterexample=worst if errors[worst] > tolerance else None,
    )


def all_trials_verdict(observations: Sequence[Mapping[str, Any]], quantity: str) -> Verdict:
    """A deterministic claim checked in every trial (certificates, worst cases, conditional lemmas).

    Fails if any trial failed unambiguously; undecided if none failed but some were ambiguous
    (e.g. a certificate could not be established); holds otherwise.
    """
    failing = [i for i, o in enumerate(observations) if o["failed"] and not o.get("ambiguous")]
    ambiguous = [i for i, o in enumerate(observations) if o.get("ambiguous")]
    outcome = Outcome.FAILS if failing else Outcome.UNDECIDED if ambiguous else Outcome.HOLDS
    worst = min(range(len(observations)), key=lambda i: observations[i]["margin"])
    w = observations[worst]
    return Verdict(
        outcome=outcome,
        quantity=quantity,
        value=w["value"],
        bound=w["bound"],
        margin=w["margin"],
        hypotheses_held=hypotheses_held(observations),
        tier=weakest_tier(observations),
        summary=f"{len(failing)} failing, {len(ambiguous)} undecided of {len(observations)} trial(s); smallest margin {w['margin']:.4g}",
        worst_case={"trial": worst, **{k: v for k, v in w.items() if k != "hypotheses"}},
        counterexample=failing[0] if failing else None,
    )
