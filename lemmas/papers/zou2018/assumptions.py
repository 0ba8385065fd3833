"""Zou et al. Assumptions 3.1–3.3 and 4.4: which losses satisfy them (spec §2, errata E20 and E21).

* ``constants`` [X]: for the losses that satisfy the assumptions (logistic = binary cross-entropy, squared hinge,
  Huberized hinge, the polynomial-tail family with p ∈ (½, 1)), the sympy-derived α0, α1, p, λ, ρ0, ρ1
  (:mod:`losses`) checked on a fine grid of x ∈ [−40, 40] refined at the kinks: ℓ′ ≤ 0,
  −ℓ′ ≥ min{α0, α1ℓ^p}, |ℓ″| ≤ λ, |ℓ′| ≤ min{ρ0, ρ1ℓ^p}, to rounding.
* ``paper_examples`` [SYMBOLIC, E20]: the text claims hinge, cross-entropy and exponential losses satisfy the
  assumptions; hinge (ℓ′ jumps) and exponential (sup|ℓ″| = ∞) violate Assumption 3.3.
* ``valid_examples`` [SYMBOLIC]: the losses of spec §2.1 that do satisfy 3.1–3.3 and 4.4.
* ``empty_rows`` [SYMBOLIC, E21]: the rows p < ½ and (α0 = ∞, p > ½) of Theorems 4.1/4.5 and Lemmas 5.4/5.6 apply to
  no loss: the feasibility proposition's two comparisons (growth forced by 3.2 against the quadratic allowed by 3.3)
  reproduced in sympy.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping as MappingABC
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict, compare, max_error_verdict
from lemmas.papers.zou2018 import losses, source
from lemmas.papers.zou2018.checking import cases
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Tier, Verdict
from lemmas.symbolic import Bounds, Quantity

VALID = ("logistic", "squared_hinge", "huberized_hinge", "poly_tail")
#: The paper's examples [V p.5]: "hinge, cross-entropy and exponential"; cross-entropy with ±1 labels is the logistic loss.
PAPER_EXAMPLES = ("hinge", "logistic", "exponential")
_CONSTANT_NAMES = ("alpha0", "alpha1", "p", "lambda", "rho0", "rho1")


@lru_cache(maxsize=None)
def _constant_quantity(name: str) -> Quantity:
    key, loss = name.split("_", 1)
    c = losses.constants(loss)
    value = dict(zip(_CONSTANT_NAMES, (c.alpha0, c.alpha1, c.p, c.lam, c.rho0, c.rho1)))[key]
    return Quantity(name, value, f"{key} of the {loss} loss (derived in sympy)", "constant", "D")


class _Quantities(MappingABC):
    """The lemma's quantities; the loss constants are derived by sympy on first access (a few seconds), not at import."""

    _fixed = {"tolerance": Quantity("tolerance", sp.Integer(0), "allowed number of unmet assumptions", "bound", "V"),
              "feasibility_ratio": Quantity("feasibility_ratio", sp.Integer(1), "lower/upper growth ratio a loss could have",
                                            "bound", "D")}
    _derived = tuple(f"{key}_{name}" for name in VALID for key in _CONSTANT_NAMES)

    def __getitem__(self, name: str) -> Quantity:
        if name in self._fixed:
            return self._fixed[name]
        if name in self._derived:
            return _constant_quantity(name)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter((*self._derived, *self._fixed))

    def __len__(self) -> int:
        return len(self._derived) + len(self._fixed)


ASSUMPTIONS = register(Lemma(
    id="zou2018.assumptions",
    title="Loss assumptions 3.1–3.3 and 4.4: which losses satisfy them",
    source=source("§3.1 Assumptions 3.1–3.3, §4.2 Assumption 4.4", "zou2018.md §1.7, §2, §8 E20–E21"),
    statement=(r"3.1: $\ell$ continuous, $\ell'\le0$, $\lim_{x\to\infty}\ell=\lim_{x\to\infty}\ell'=0$. 3.2: $-\ell'(x)\ge\min\{\alpha_0,"
               r"\alpha_1\ell^p(x)\}$, $0<p\le1$ ('hinge, cross-entropy and exponential losses' are claimed to satisfy it). "
               r"3.3: $|\ell''|\le\lambda$. 4.4: $\min\{\alpha_0,\alpha_1\ell^p\}\le|\ell'|\le\min\{\rho_0,\rho_1\ell^p\}$."),
    tag="V",
    quantities=_Quantities(),
    hypotheses={},
    notes=("Feasibility proposition [D] (spec §2.1): under 3.1–3.3 with α1 > 0, p ≥ ½, and α0 = ∞ forces p = ½ exactly.",),
))


def _constants_cases(mode: Mode) -> Sequence[Case]:
    points = 2_000_001 if mode is Mode.FULL else 200_001
    return cases(mode, [Case({"loss": name, "points": points}, 1) for name in VALID])


def _constants_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    name = str(params["loss"])
    c = {key: bounds(f"{key}_{name}") for key in _CONSTANT_NAMES}
    s = losses.slacks(losses.get(name), losses.grid(points=int(params["points"])), c)
    worst_key = min(s, key=s.get)
    obs = compare(s[worst_key], -1e-10, upper=False)  # slack ≥ −1e-10: rounding of ℓ, ℓ′, ℓ″ at tight points
    obs.update({"hypotheses": {}, "loss": name, "slacks": s, "worst_inequality": worst_key, "constants": c})
    return obs


def _constants_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, f"smallest slack of Assumptions 3.1–3.3 and 4.4 for the {params['loss']} loss on the grid")
    v.evidence["constants"] = obs[0]["constants"]
    return v


ASSUMPTIONS.add(Check(
    name="constants", kind=Kind.IDENTITY,
    claim="the derived (α0, α1, p, λ, ρ0, ρ1) satisfy Assumptions 3.1–3.3 and 4.4 on a grid of [−40, 40] refined at the kinks",
    cases=_constants_cases, trial=_constants_trial, verdict=_constants_verdict, negative_control={"lambda_logistic": "1/8"},
))


def _unmet(name: str, required: Sequence[str]) -> list[str]:
    met = losses.satisfies(name)
    return [a for a in required if not met[a]]


def _examples_trial(names: Sequence[str], required: Sequence[str]):
    def trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
        name = names[index]
        unmet = _unmet(name, required)
        c = losses.constants(name)
        return {"hypotheses": {}, "loss": name, "unmet": unmet, "why": {k: c.why.get(k, "") for k in unmet},
                "error": max(len(unmet) - bounds("tolerance"), 0.0) if bounds("tolerance") >= 0 else math.inf,
                "constants": c.as_floats()}
    return trial


def _examples_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = max_error_verdict(obs, 0.0, "number of claimed assumptions a loss violates", tier=Tier.EXACT)
    v.evidence["table"] = {o["loss"]: {"unmet": o["unmet"], "why": o["why"], "constants": o["constants"]} for o in obs}
    return v


ASSUMPTIONS.add(Check(
    name="paper_examples", kind=Kind.SYMBOLIC,
    claim="as printed: the hinge, cross-entropy (logistic) and exponential losses satisfy Assumptions 3.1–3.3",
    cases=lambda mode: [Case({"losses": list(PAPER_EXAMPLES)}, len(PAPER_EXAMPLES))],
    trial=_examples_trial(PAPER_EXAMPLES, ("3.1", "3.2", "3.3")), verdict=_examples_verdict,
    negative_control={"tolerance": "-1"},
    erratum="E20: hinge (ℓ′ jumps at 1) and exponential (sup|ℓ″| = ∞) losses violate Assumption 3.3",
))
ASSUMPTIONS.add(Check(
    name="valid_examples", kind=Kind.SYMBOLIC,
    claim="logistic, squared hinge, Huberized hinge and the polynomial-tail loss satisfy Assumptions 3.1–3.3 and 4.4 (spec §2.1)",
    cases=lambda mode: [Case({"losses": list(VALID)}, len(VALID))],
    trial=_examples_trial(VALID, ("3.1", "3.2", "3.3", "4.4")), verdict=_examples_verdict,
    negative_control={"tolerance": "-1"},
))

# ---- E21: the empty rows -----------------------------------------------------------------------------------

_t = sp.Symbol("t", positive=True)
_a1, _lam, _b, _c = sp.symbols("alpha1 lambda_ b c", positive=True)
#: (row, p, regime): "zero" compares the growth near the zero x0 of ℓ (t → 0⁺), "tail" the growth as x → −∞ (t → ∞).
_ROWS = (("p < 1/2", 0, "zero"), ("p < 1/2", sp.Rational(1, 4), "zero"), ("alpha0 = inf, p > 1/2", sp.Rational(3, 4), "tail"),
         ("alpha0 = inf, p > 1/2", 1, "tail"))


def feasibility_ratio(p: sp.Expr, regime: str) -> sp.Expr:
    """lim of (the growth Assumption 3.2 forces)/(the growth Assumption 3.3 allows).

    Near the zero x0: ℓ(x0 − t) ≥ ((1 − p)α1t)^{1/(1−p)} against ≤ λt²/2, t → 0⁺. In the tail (α0 = ∞):
    ℓ(−t) ≥ ((1 − p)α1t)^{1/(1−p)} (p < 1) or ℓ(0)e^{α1t} (p = 1) against ≤ c + bt + λt²/2, t → ∞.
    A limit > 1 (here ∞) means no loss satisfies both: the row is empty."""
    forced = sp.exp(_a1 * _t) if p == 1 else ((1 - p) * _a1 * _t) ** (1 / (1 - p))
    if regime == "zero":
        return sp.limit(forced / (_lam * _t**2 / 2), _t, 0, "+")
    return sp.limit(forced / (_c + _b * _t + _lam * _t**2 / 2), _t, sp.oo)


def _rows_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    row, p, regime = _ROWS[index]
    ratio = feasibility_ratio(sp.nsimplify(p), regime)
    value = math.inf if ratio == sp.oo else float(ratio)
    obs = compare(value, bounds("feasibility_ratio"))
    obs.update({"hypotheses": {}, "row": row, "p": str(p), "regime": regime, "limit": sp.sstr(ratio), "ambiguous": False,
                "tier": Tier.EXACT.value})
    return obs


def _rows_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, "lim (growth forced by 3.2)/(growth allowed by 3.3)")
    v.evidence["rows"] = {f"{o['row']} (p = {o['p']})": o["limit"] for o in obs}
    return v


ASSUMPTIONS.add(Check(
    name="empty_rows", kind=Kind.SYMBOLIC,
    claim="as printed: the rows 0 ≤ p < ½ and (α0 = ∞, ½ < p ≤ 1) of Theorems 4.1/4.5 and Lemmas 5.4/5.6 apply to some loss "
          "satisfying Assumptions 3.1–3.3",
    cases=lambda mode: [Case({"rows": [f"{r} (p={p})" for r, p, _ in _ROWS]}, len(_ROWS))],
    trial=_rows_trial, verdict=_rows_verdict, negative_control={"feasibility_ratio": "0"},
    erratum="E21: under 3.1–3.3 the rows p < ½ and (α0 = ∞, p > ½) are empty (spec §2.1 feasibility proposition)",
))
