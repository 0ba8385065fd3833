"""O(·)/Ω(·) claims of AZLS as sweeps: implied constants over a grid, calibrated on disjoint seeds.

AZLS hides every constant (azls2018.md §4.1), so a claim "X ≤ O(S(θ))" is checked through its implied constant
Ĉ = X/S(θ) (azls2018.md §6.0): a case varies one variable of θ (``vary``) over ``values`` with the others
fixed; each trial is one grid point in one role, "test" or "calibration" (different trial indices, hence
disjoint seeds). :func:`lemmas.checks.exponent_verdict` then fits the exponent of Ĉ in the variable on the
test trials (bootstrap CI) and reports the calibrated constant max Ĉ of the calibration trials.

A claim with hidden constants can only be refuted along the directions in which its parameters are
unbounded: m, n, L, d, s → ∞, and ω, δ, ‖W′‖₂ → 0 (on any range bounded away from those limits every
continuous ratio is bounded). So an upper bound fails when Ĉ grows significantly towards that limit: with
the variable for large parameters (Ĉ drifts up), *against* it for the small ones in :data:`SMALL_VARIABLES`
(Ĉ drifts down as ω grows, i.e. up as ω → 0). A lower bound mirrors this. A Θ claim fails on drift either
way. Over a finite range a bound that is loose at one end and tight at the other shows drift towards the
tight end, which is the direction that matters. S is a quantity of the lemma evaluated through ``bounds``, so a negative control overrides the
shape (its exponent), never the calibrated constant. The fitted exponent of X itself and the shape's own
exponent over the grid are reported beside the verdict, with a log-log plot of X against Ĉ_cal·S.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from lemmas.checks import exponent_verdict, hypotheses_held
from lemmas.papers.azls2018.networks import numeric
from lemmas.registry import Case, Settings, TrialFn, VerdictFn
from lemmas.result import Outcome, Verdict
from lemmas.stats import fit_exponent
from lemmas.symbolic import Bounds

#: Case parameters that describe the sweep rather than a point.
SWEEP_KEYS = ("vary", "values", "test_reps", "calib_reps", "refute")

#: Variables whose claims are asymptotic at 0 (the refuting direction of the drift is reversed for them).
SMALL_VARIABLES = ("omega", "omega_frac", "delta_sep", "r", "epsilon")

#: measure(theta, rng, bounds) -> {"value": X > 0, "hypotheses": {...}, ["derived": {symbol: value}], ...JSON-able}
Measure = Callable[[dict[str, Any], np.random.Generator, Bounds], dict[str, Any]]


def sweep(vary: str, values: Sequence[Any], *, test_reps: int = 3, calib_reps: int = 1, refute: str | None = None,
          **fixed: Any) -> Case:
    """A case that varies ``vary`` over ``values`` (the other parameters fixed), test_reps + calib_reps trials per value.

    ``refute`` ("0" or "inf") names the limit along which the claim is refutable; by default "0" for
    :data:`SMALL_VARIABLES` and "inf" otherwise. A ball radius that the bound does not contain (Theorem 3's ω)
    is refutable only as the ball grows: pass ``refute="inf"``.
    """
    if len(values) < 2 or test_reps < 1 or calib_reps < 0:
        raise ValueError("a sweep needs at least two values and one test trial per value")
    if refute not in (None, "0", "inf"):
        raise ValueError(f"refute must be '0' or 'inf', got {refute!r}")
    params = {**fixed, "vary": vary, "values": list(values), "test_reps": int(test_reps), "calib_reps": int(calib_reps)}
    if refute is not None:
        params["refute"] = refute
    return Case(params, trials=len(values) * (test_reps + calib_reps))


def grid_point(params: Mapping[str, Any], index: int) -> tuple[dict[str, Any], str]:
    """The grid point (all parameters, the swept one set) and the role of trial ``index``."""
    reps = int(params["test_reps"]) + int(params["calib_reps"])
    point, rep = divmod(int(index), reps)
    theta = {k: v for k, v in params.items() if k not in SWEEP_KEYS}
    theta[params["vary"]] = params["values"][point]
    return theta, ("test" if rep < int(params["test_reps"]) else "calibration")


def scaling_trial(measure: Measure, shape: str) -> TrialFn:
    """A trial that measures X at its grid point and records Ĉ = X/S with S = bounds(shape) there."""

    def trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
        theta, role = grid_point(params, index)
        obs = measure(theta, rng, bounds)
        theta.update(obs.pop("derived", {}))  # point values the measure derived (e.g. ω = ½·ω_max(L, m))
        S = bounds(shape, **numeric(theta))
        X = float(obs["value"])
        return {
            **obs, "value": X, "shape": S, "y": X / S if S > 0 else math.nan, "x": float(theta[params["vary"]]),
            "role": role, "point": {k: v for k, v in theta.items() if not isinstance(v, (list, dict))},
        }

    return trial


def scaling_verdict(direction: str, quantity: str, shape: str) -> VerdictFn:
    """Verdict of an O(S) (``direction="upper"``), Ω(S) (``"lower"``) or Θ(S) (``"equal"``) claim on a sweep."""

    def verdict(params: Mapping[str, Any], obs: Sequence[Mapping[str, Any]], bounds: Bounds, settings: Settings) -> Verdict:
        vary = str(params["vary"])
        bad = [i for i, o in enumerate(obs) if not (o["y"] > 0 and math.isfinite(o["y"]))]
        if bad:
            return Verdict(
                outcome=Outcome.UNDECIDED, quantity=f"{quantity} / {shape}", value=math.nan, bound=0.0, margin=math.nan,
                hypotheses_held=hypotheses_held(obs),
                summary=f"{len(bad)} trial(s) gave a non-positive or undefined implied constant (first: trial {bad[0]}); no fit",
                evidence={"bad_trials": bad},
            )
        towards_zero = params.get("refute", "0" if vary in SMALL_VARIABLES else "inf") == "0"
        drift_direction = {"upper": "lower", "lower": "upper"}.get(direction, direction) if towards_zero else direction
        v = exponent_verdict(obs, 0.0, drift_direction, f"implied constant {quantity} / {shape}", vary, settings)
        test = [o for o in obs if o.get("role") == "test"]
        xs = [o["x"] for o in test]
        raw = fit_exponent(xs, [o["value"] for o in test], np.random.default_rng(settings.seed + 1), bootstrap=500)
        shape_exponent = float(np.polyfit(np.log(xs), np.log([o["shape"] for o in test]), 1)[0])
        constant = v.evidence["calibrated_constant"]
        grid = sorted(set(xs))
        shape_at = {o["x"]: o["shape"] for o in test}
        methods: dict[str, int] = {}
        for o in obs:
            if "method" in o:
                methods[o["method"]] = methods.get(o["method"], 0) + 1
        normalized: dict[str, list[float]] = {}
        for o in obs:
            for k, val in o.get("normalized", {}).items():
                lo_hi = normalized.setdefault(k, [val, val])
                lo_hi[0], lo_hi[1] = min(lo_hi[0], val), max(lo_hi[1], val)
        v.evidence.update({
            "raw_fit": raw.as_dict(),
            "claim_direction": direction,
            "refuting_limit": f"{vary} → 0" if towards_zero else f"{vary} → ∞",
            "shape_exponent": shape_exponent,
            "worst_case_methods": methods,
            "normalized_hypotheses": normalized,
            "plot": {
                "title": f"{quantity} against the claimed shape {shape}", "xlabel": vary, "ylabel": quantity,
                "xscale": "log", "yscale": "log",
                "series": [
                    {"label": quantity, "x": xs, "y": [o["value"] for o in test], "style": "o"},
                    {"label": f"calibrated {constant:.3g} × {shape}", "x": grid, "y": [constant * shape_at[x] for x in grid], "style": "k--"},
                ],
            },
        })
        v.summary = (
            f"[{direction} bound, refutable as {vary} → {'0' if towards_zero else '∞'}] "
            f"{quantity}: fitted {vary}-exponent {raw.exponent:.3f} (95% CI [{raw.ci_low:.3f}, {raw.ci_high:.3f}]) "
            f"against the claimed shape's {shape_exponent:.3f}; " + v.summary
        )
        return v

    return verdict
