"""Du et al. 2018, Theorem 3.1: the infinite-width Gram matrix is positive definite when no two inputs are parallel.

> If for any i ≠ j, x_i ∦ x_j, then λ0 > 0.              (arXiv 1810.02054v2, §3.1; proof in App. A)

λ0 = λ_min(H∞) with H∞_ij = x_iᵀx_j(π − θ_ij)/(2π). Every check here is decided by a certified enclosure of
λ0 (``lemmas.certify``: H∞ entries in interval arithmetic, then an interval or floating-point Cholesky
certificate), never by a bare ``eigvalsh``:

* ``positive_definite``: λ0 > 0 certified on random non-parallel data of several sizes;
* ``two_point_formula``: for two inputs at angle θ the enclosure contains 1/2 − |cos θ|(π − θ)/(2π)
  (spec du2018.md §4 item 2), over a log grid of θ down to 1e-6 and past π/2, where the absolute value matters;
* ``linear_rate``: λ0 = θ/(2π) + O(θ²): λ0 → 0 linearly in the angle, with slope 1/(2π);
* ``necessity`` and ``sufficient_not_necessary``: outside the hypothesis. Duplicates and linearly dependent
  antipodal pairs give λ0 = 0 exactly (the hypothesis matters), yet one antipodal pair among generic points
  keeps λ0 > 0 (it is sufficient, not necessary). These two checks test those statements, not the theorem's
  conclusion, and each trial records that the theorem's hypothesis fails there.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import mpmath
import numpy as np
import sympy as sp

from lemmas.certify import gram_infinity_enclosure, lambda_min_enclosure
from lemmas.checks import all_trials_verdict, max_error_verdict, weakest_tier
from lemmas.core import data
from lemmas.core.validation import unit_rows
from lemmas.papers.du2018 import constants, source
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Tier, Verdict
from lemmas.stats import fit_exponent
from lemmas.symbolic import Bounds, Quantity

theta = constants.theta

LEMMA = register(
    Lemma(
        id="du2018.theorem3.1",
        title="H∞ is positive definite when no two inputs are parallel",
        source=source("§3.1, Theorem 3.1 (proof App. A, Lemma A.1)", "du2018.md §3.1, §4"),
        statement=r"If for any $i\neq j$, $\mathbf x_i\not\parallel\mathbf x_j$, then $\lambda_0>0$.",
        tag="V",
        quantities={
            q.name: q
            for q in [
                Quantity("lambda0_lower", sp.Integer(0), "λ0 is claimed to exceed this", "bound", "V"),
                Quantity("two_point_lambda_min", constants.two_point_lambda_min,
                         "λ_min(H∞) of two unit inputs at angle θ", "bound", "D",
                         "smaller eigenvalue of [[1/2, h], [h, 1/2]], h = cos θ(π − θ)/(2π)"),
                Quantity("small_angle_slope", constants.two_point_slope, "lim λ0/θ as θ → 0 (two inputs)", "rate", "D",
                         "coefficient of θ in the series of 1/2 − h at θ = 0"),
                Quantity("angle_exponent", sp.Integer(1), "exponent of θ in λ0 as θ → 0", "rate", "D"),
                Quantity("small_angle_remainder", 2 * constants.two_point_curvature * theta**2,
                         "bound on |λ0 − slope·θ| for θ ≤ 1e-2 (two inputs): the O(θ²) of λ0 = θ/(2π) + O(θ²)", "bound", "D",
                         "twice the θ² coefficient of the series of 1/2 − h: the exact remainder θ²/4 − θ³/(4π) − … "
                         "sits at θ²/4, and the factor 2 leaves room for the certificate's width"),
                Quantity("singular_lambda0", sp.Integer(0), "λ0 of duplicates and dependent antipodal pairs", "bound", "D",
                         "identical rows, or Σ c_j(φ(v_j) − φ(−v_j)) = Σ c_j v_j = 0 (spec §4 item 4)"),
            ]
        },
        hypotheses={
            "no_parallel_inputs": "for all i ≠ j, x_i ∦ x_j (neither parallel nor anti-parallel): "
                                  "min over i ≠ j of min(‖x_i − x_j‖, ‖x_i + x_j‖) > 0",
        },
        notes=(
            "Lemma A.1 is printed with 'i ∈ [m]' [sic]: it means i ∈ [n].",
            "'x_i ∦ x_j' excludes anti-parallel pairs too; checks `necessity` and `sufficient_not_necessary` "
            "test what happens outside the hypothesis (λ0 = 0 can happen, but need not).",
        ),
    )
)

#: Tolerance of the two-point identity: the float rows (1, 0) and (fl cos θ, fl sin θ) are within u of the exact
#: unit vectors at angle θ, which moves each H∞ entry by less than u (|∂h/∂x| ≤ 1/2 + 1/(2π) < 1, and ‖x‖²/2 on
#: the diagonal) and so λ_min by at most ‖ΔH‖_F < 2u (Weyl). The formula itself is evaluated at 50 digits.
TWO_POINT_TOLERANCE = 4 * np.finfo(np.float64).eps / 2

def certified_lambda0(X: np.ndarray) -> tuple[float, float, Tier]:
    """(lo, hi, tier) with lo ≤ λ_min(H∞(X)) ≤ hi rigorously, for unit-norm float rows."""
    X = unit_rows("X", X)
    mid, rad = gram_infinity_enclosure(X)
    enc = lambda_min_enclosure(mid, entry_radius=rad)
    return enc.lower, enc.upper, Tier.of_enclosure(enc.tier)


def _with_formula_precision(bounds: Bounds, name: str, **values: float) -> float:
    with mpmath.workdps(50):
        return bounds(name, **values)


# ---------------------------------------------------------------------------------------------------------
# λ0 > 0 on non-parallel data


def _positive_cases(mode: Mode) -> Sequence[Case]:
    if mode is Mode.QUICK:
        return [Case({"n": 5, "d": 3}, trials=5)]
    cases = [Case({"n": 5, "d": 3}, trials=20), Case({"n": 20, "d": 5}, trials=10), Case({"n": 60, "d": 10}, trials=3)]
    if mode is Mode.FULL:
        cases += [Case({"n": 200, "d": 20}, trials=3)]
    return cases


def _positive_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    X = data.sphere(rng, int(params["n"]), int(params["d"]))
    separation = data.min_separation(X)
    lo, hi, tier = certified_lambda0(X)
    bound = bounds("lambda0_lower")
    return {
        "hypotheses": {"no_parallel_inputs": separation > 0},
        "min_separation": separation,
        "value": lo,
        "lambda0_upper": hi,
        "bound": bound,
        "margin": lo - bound,
        "failed": hi <= bound,                      # certified λ0 ≤ bound refutes λ0 > bound
        "ambiguous": lo <= bound < hi,
        "tier": tier.value,
    }


def _positive_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return all_trials_verdict(obs, "certified lower end of λ0 = λ_min(H∞)")


LEMMA.add(
    Check(
        name="positive_definite",
        kind=Kind.CERTIFICATE,
        claim="λ0 > 0 (certified lower end of λ_min(H∞) > 0) for random non-parallel unit inputs",
        cases=_positive_cases,
        trial=_positive_trial,
        verdict=_positive_verdict,
        negative_control={"lambda0_lower": "1/2"},
    )
)


# ---------------------------------------------------------------------------------------------------------
# The two-point formula


_OBTUSE = (math.pi / 2, 2 * math.pi / 3, 3 * math.pi / 4, 5 * math.pi / 6, math.pi - 1e-3, math.pi - 1e-6)


def _log_grid(params: Mapping[str, Any]) -> np.ndarray:
    return np.geomspace(float(params["theta_min"]), float(params["theta_max"]), int(params["points"]))


def _two_point_angles(params: Mapping[str, Any]) -> np.ndarray:
    return np.concatenate([_log_grid(params), _OBTUSE])


def _two_point_cases(mode: Mode) -> Sequence[Case]:
    points = 7 if mode is Mode.QUICK else 13
    params = {"theta_min": 1e-6, "theta_max": 1.0, "points": points}
    return [Case(params, trials=points + len(_OBTUSE))]


def _two_point_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    angle = float(_two_point_angles(params)[index])
    lo, hi, tier = certified_lambda0(data.two_points(angle))
    formula = _with_formula_precision(bounds, "two_point_lambda_min", theta=angle)
    return {
        "hypotheses": {"no_parallel_inputs": 0 < angle < math.pi},
        "theta": angle,
        "formula": formula,
        "lower": lo,
        "upper": hi,
        "error": max(0.0, lo - formula, formula - hi),   # distance from the formula to the certified enclosure
        "tier": tier.value,
    }


def _two_point_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    verdict = max_error_verdict(obs, TWO_POINT_TOLERANCE, "distance from 1/2 − |cos θ|(π − θ)/(2π) to the certified λ0",
                                tier=weakest_tier(obs))
    ordered = sorted(obs, key=lambda o: o["theta"])
    verdict.evidence["plot"] = {
        "title": "λ0 of two unit inputs against their angle θ",
        "xlabel": "θ", "ylabel": "λ0 = λ_min(H∞)", "xscale": "log", "yscale": "log",
        "series": [
            {"label": "certified lower end", "x": [o["theta"] for o in ordered], "y": [max(o["lower"], 1e-300) for o in ordered], "style": "o"},
            {"label": "1/2 − |cos θ|(π − θ)/(2π)", "x": [o["theta"] for o in ordered], "y": [o["formula"] for o in ordered], "style": "-"},
            {"label": "θ/(2π)", "x": [o["theta"] for o in ordered], "y": [o["theta"] / (2 * math.pi) for o in ordered], "style": "--"},
        ],
    }
    return verdict


LEMMA.add(
    Check(
        name="two_point_formula",
        kind=Kind.IDENTITY,
        claim="two unit inputs at angle θ: λ0 = 1/2 − |cos θ|(π − θ)/(2π) lies in the certified enclosure "
              "(θ on a log grid from 1e-6 to 1, and obtuse angles up to π − 1e-6)",
        cases=_two_point_cases,
        trial=_two_point_trial,
        verdict=_two_point_verdict,
        negative_control={"two_point_lambda_min": "1/2 - cos(theta)*(pi - theta)/(2*pi)"},
    )
)


# ---------------------------------------------------------------------------------------------------------
# λ0 → 0 linearly in the angle


def _rate_cases(mode: Mode) -> Sequence[Case]:
    points = 5 if mode is Mode.QUICK else 9
    return [Case({"theta_min": 1e-6, "theta_max": 1e-2, "points": points}, trials=points)]


def _rate_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    angle = float(_log_grid(params)[index])
    lo, hi, tier = certified_lambda0(data.two_points(angle))
    with mpmath.workdps(50):
        center = bounds("small_angle_slope") * angle ** bounds("angle_exponent")
        remainder = bounds("small_angle_remainder", theta=angle)
    below, above = lo - (center - remainder), (center + remainder) - hi
    return {
        "hypotheses": {"no_parallel_inputs": True},
        "x": angle,
        "y": 0.5 * (lo + hi),
        "value": 0.5 * (lo + hi),
        "bound": center,
        "remainder": remainder,
        "margin": min(below, above),                 # ≥ 0: the whole enclosure lies in center ± remainder
        "failed": hi < center - remainder or lo > center + remainder,
        "ambiguous": min(below, above) < 0 and not (hi < center - remainder or lo > center + remainder),
        "tier": tier.value,
    }


def _rate_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    verdict = all_trials_verdict(obs, "certified λ0(θ) against slope·θ^p ± remainder(θ)")
    xs, ys = [o["x"] for o in obs], [o["y"] for o in obs]
    fit = fit_exponent(xs, ys, np.random.default_rng(settings.seed))
    smallest = int(np.argmin(xs))
    verdict.evidence.update({"fit": fit.as_dict(), "x": xs, "y": ys, "variable": "theta",
                             "ratio_at_smallest_angle": ys[smallest] / xs[smallest]})
    verdict.summary += (f"; fitted log-log exponent {fit.exponent:.6f}; λ0/θ = {ys[smallest] / xs[smallest]:.9f} "
                        f"at θ = {xs[smallest]:g} (1/(2π) = {1 / (2 * math.pi):.9f})")
    return verdict


LEMMA.add(
    Check(
        name="linear_rate",
        kind=Kind.EXPONENT,
        claim="two unit inputs at angle θ → 0: λ0 = θ/(2π) + O(θ²), i.e. |λ0 − θ/(2π)| ≤ θ²/2 certified on a log grid "
              "θ ∈ [1e-6, 1e-2]: λ0 vanishes linearly in the angle with slope 1/(2π) (fitted exponent reported)",
        cases=_rate_cases,
        trial=_rate_trial,
        verdict=_rate_verdict,
        negative_control={"small_angle_slope": "1/pi"},
    )
)


# ---------------------------------------------------------------------------------------------------------
# Outside the hypothesis: necessary? sufficient?


def _singular_inputs(index: int, rng: np.random.Generator) -> tuple[str, np.ndarray]:
    """Exactly singular configurations (exact in floating point too): the index picks the kind."""
    if index == 0:
        return "antipodal {±e1, ±e2, ±(e1+e2)/√2}", data.dependent_antipodal_pairs()
    if index in (1, 2):
        d = index + 1
        V = data.sphere(rng, d + 1, d)                  # d + 1 directions in ℝ^d are linearly dependent
        return f"{d + 1} random antipodal pairs in R^{d}", np.concatenate([V, -V])
    n, d = ((5, 3), (12, 4))[index - 3]
    return f"duplicate row among {n} points in R^{d}", data.with_duplicate(rng, n, d)


_SINGULAR_KINDS = 5


def _necessity_cases(mode: Mode) -> Sequence[Case]:
    return [Case({"configurations": "duplicates and dependent antipodal pairs"}, trials=_SINGULAR_KINDS)]


def _necessity_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    label, X = _singular_inputs(index, rng)
    lo, hi, tier = certified_lambda0(X)
    claimed = bounds("singular_lambda0")
    return {
        "hypotheses": {},                            # the claim (λ0 = 0 here) has no hypothesis of its own
        "configuration": label,
        "theorem_hypothesis_no_parallel": data.min_separation(X) > 0,
        "value": claimed,
        "lower": lo,
        "upper": hi,
        "bound": claimed,
        "margin": min(claimed - lo, hi - claimed),    # ≥ 0: the enclosure contains the claimed value
        "failed": not lo <= claimed <= hi,
        "ambiguous": False,
        "tier": tier.value,
    }


def _necessity_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return all_trials_verdict(obs, "certified enclosure of λ0 contains 0")


LEMMA.add(
    Check(
        name="necessity",
        kind=Kind.CERTIFICATE,
        claim="OUTSIDE the hypothesis (the hypothesis matters): duplicates and linearly dependent antipodal pairs "
              "have λ0 = 0 exactly, and the certified enclosure of λ0 contains 0; not a test of the theorem's conclusion",
        cases=_necessity_cases,
        trial=_necessity_trial,
        verdict=_necessity_verdict,
        negative_control={"singular_lambda0": "1/100"},
    )
)


def _sufficiency_cases(mode: Mode) -> Sequence[Case]:
    return [Case({"configuration": "3 generic points and an antipode", "d": 3}, trials=3 if mode is Mode.QUICK else 10)]


def _sufficiency_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    X = data.generic_plus_antipode(rng, int(params["d"]))
    lo, hi, tier = certified_lambda0(X)
    bound = bounds("lambda0_lower")
    return {
        "hypotheses": {},                            # the claim (λ0 > 0 here) has no hypothesis of its own
        "theorem_hypothesis_no_parallel": data.min_separation(X) > 0,
        "value": lo,
        "lambda0_upper": hi,
        "bound": bound,
        "margin": lo - bound,
        "failed": hi <= bound,
        "ambiguous": lo <= bound < hi,
        "tier": tier.value,
    }


LEMMA.add(
    Check(
        name="sufficient_not_necessary",
        kind=Kind.CERTIFICATE,
        claim="OUTSIDE the hypothesis (it is sufficient, not necessary): three generic points plus the antipode of "
              "one of them have an anti-parallel pair, yet λ0 > 0 certified",
        cases=_sufficiency_cases,
        trial=_sufficiency_trial,
        verdict=_positive_verdict,
        negative_control={"lambda0_lower": "1/2"},
    )
)
