"""AZLS Theorem 4 (semi-smoothness) and the L² vs L³ tension of its first-order coefficient.

> Let ω ∈ [Ω(d^{3/2}/(m^{3/2}L^{3/2}log^{3/2}m)), O(1/(L^{9/2}log³m))]. With probability ≥ 1 − e^{−Ω(mω^{2/3}L)},
  for every ‖W̆ − W⃗(0)‖₂ ≤ ω and every ‖W′‖₂ ≤ ω:
  F(W̆ + W′) ≤ F(W̆) + ⟨∇F(W̆), W′⟩ + O(ω^{1/3}L²√(m log m)/√d)·‖W′‖₂√(nF(W̆)) + O(nL²m/d)·‖W′‖₂².
              (v5 Theorem 4; interval [V-sec:S1 Lemma 5]; first-order coefficient [U, D-forced by Theorem 1's L^12];
               second-order coefficient [D from Claim 11.2])

All exploratory. The residual R = F(W̆ + W′) − F(W̆) − ⟨∇F(W̆), W′⟩ is maximized over W′ by greedy sign flips at
W̆, random points and low-rank projected ascent on R (azls2018.md §6.14), with W̆ a random point of the ω-ball;
its implied constant R/RHS is checked in L and m at ω = the geometric mean of the interval, and in ω inside the
interval (refutable as ω → 0). In the no-flip regime R is a polynomial in W′
without linear term, so |R| ∝ ‖W′‖₂² there: checked per trial as the local exponent between r = 1e-5 and 10r
along one random direction (much smaller r and F(W̆ + W′) − F(W̆) cancels to rounding, ~1e-15; across
different networks R/r² varies by a factor 50, so the order is not fitted across trials). The tension (spec §9):
the first-order residual R₁ = Σ_i⟨loss_i, B(h′_{i,L} − h̆_{i,L}) − J_iW′⟩ = R − ½Σ_i‖B(h′_{i,L} − h̆_{i,L})‖² (exact),
divided by ‖W′‖₂√(nF), is the measured first-order coefficient; its fitted L-exponent is reported against
Theorem 4's 2 and the layer-by-layer sum of Lemma 8.7's 3.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict, compare
from lemmas.core import deep
from lemmas.core.deep_search import hidden_gradient_factors, lowrank_ascent
from lemmas.core.perturb import greedy_sign_flip, sign_changes
from lemmas.papers.azls2018 import constants as c, source
from lemmas.papers.azls2018.networks import labels, network, numeric, random_point, rank_one
from lemmas.papers.azls2018.scaling import scaling_trial, scaling_verdict, sweep
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="azls2018.theorem4",
        title="Theorem 4: semi-smoothness of F in the ω-ball (and the L² vs L³ first-order tension)",
        source=source("§3, Theorem 4 (proof App. 11, Claim 11.2)", "azls2018.md §2.4, §5, §6.14, §9"),
        statement=(
            r"For $\omega\in\bigl[\Omega\bigl(\frac{d^{3/2}}{m^{3/2}L^{3/2}\log^{3/2}m}\bigr),O\bigl(\frac1{L^{9/2}\log^3m}\bigr)\bigr]$, with probability "
            r"at least $1-e^{-\Omega(m\omega^{2/3}L)}$, for all $\|\breve W-\vec W^{(0)}\|_2\le\omega$, $\|W'\|_2\le\omega$: "
            r"$F(\breve W+W')\le F(\breve W)+\langle\nabla F(\breve W),W'\rangle+O\bigl(\frac{\omega^{1/3}L^2\sqrt{m\log m}}{\sqrt d}\bigr)\|W'\|_2"
            r"\sqrt{nF(\breve W)}+O\bigl(\frac{nL^2m}{d}\bigr)\|W'\|_2^2$."
        ),
        tag="V-sec:S1 (interval); U (first-order coefficient, D-forced); D (second-order coefficient)",
        quantities={
            q.name: q
            for q in [
                Quantity("semi_smoothness", c.semi_smoothness, "right-hand side minus F + ⟨∇F, W′⟩", "bound", "U/D"),
                Quantity("first_order", c.first_order_coefficient, "Theorem 4's first-order coefficient", "bound", "U"),
                Quantity("layer_sum", c.layer_sum_coefficient, "L × Lemma 8.7's bound (layer-by-layer sum)", "bound", "D"),
                Quantity("residual_order", sp.Integer(2), "exponent of |R| in ‖W′‖₂ without sign changes", "bound", "D"),
                Quantity("order_tolerance", sp.Float(0.05), "tolerance on that local exponent (r and 10r, r = 1e-5)", "constant", "D"),
                Quantity("omega_min", c.theorem4_omega_min, "lower end of the interval (C = 1)", "radius", "V-sec:S1"),
                Quantity("omega_max", c.theorem4_omega_max, "upper end of the interval (C = 1)", "radius", "V-sec:S1"),
            ]
        },
        hypotheses={"omega_interval": "ω in Theorem 4's interval (C = 1 readings)", "no_flip": "no sign changed (residual_order only)"},
    )
)


def _omega(theta: Mapping[str, Any], bounds: Bounds) -> tuple[float, dict[str, Any]]:
    lo, hi = bounds("omega_min", **numeric(theta)), bounds("omega_max", **numeric(theta))
    omega = float(theta["omega"]) if "omega" in theta else math.sqrt(lo * hi)
    return omega, {"omega_interval": lo <= omega <= hi}


class _Problem:
    """F, ∇F and the residual R(W′) around a point W̆, for one network and fixed data."""

    def __init__(self, param, weights: deep.DeepWeights, X: np.ndarray, Y: np.ndarray):
        self.param, self.weights, self.X, self.Y = param, weights, X, Y
        lg = deep.loss_and_grad(param, weights, X, Y)
        self.F, self.grads, self.out = lg.value, lg.grads, lg.cache.out
        self.grad_factors = hidden_gradient_factors(param, weights, lg.cache, lg.dout @ weights.B)

    def residual(self, deltas: Sequence[np.ndarray]) -> tuple[float, float]:
        """(R, R₁): the residual and its first-order part R − ½Σ‖B(h′_L − h̆_L)‖²."""
        out = deep.forward(self.param, self.weights.perturbed(deltas), self.X).out
        F_new = deep.square_loss(out, self.Y)[0]
        R = F_new - self.F - sum(float(np.sum(G * D)) for G, D in zip(self.grads, deltas))
        return R, R - 0.5 * float(np.sum((out - self.out) ** 2))

    def ascent_objective(self, Ws: list[np.ndarray]):
        point = self.weights.with_Ws(Ws)
        lg = deep.loss_and_grad(self.param, point, self.X, self.Y)
        deltas = [W - W0 for W, W0 in zip(Ws, self.weights.Ws)]
        R = lg.value - self.F - sum(float(np.sum(G * D)) for G, D in zip(self.grads, deltas))
        now = hidden_gradient_factors(self.param, point, lg.cache, lg.dout @ point.B)
        factors = [(np.hstack([P, -P0]), np.hstack([Q, Q0])) for (P, Q), (P0, Q0) in zip(now, self.grad_factors)]
        return R, factors


def _candidates(problem: _Problem, omega: float, rng: np.random.Generator, *, ascent: bool) -> dict[str, list[np.ndarray]]:
    out = {
        "greedy sign flips": greedy_sign_flip(problem.param, problem.weights, problem.X, omega),
        "random rank-one": [rank_one(rng, W.shape, omega) for W in problem.weights.Ws],
    }
    if ascent:
        result = lowrank_ascent(problem.ascent_objective, problem.weights.Ws, omega, 6, rng, restarts=2, max_rank=16,
                                zero_start=False)
        out["projected ascent"] = result.deltas
    return out


def _setup(theta: dict[str, Any], rng: np.random.Generator, omega: float) -> _Problem:
    param, weights, X = network(theta, rng)
    return _Problem(param, random_point(rng, weights, omega), X, labels(theta, X.shape[0]))


# ---- semi-smoothness ---------------------------------------------------------------------------------


def _semi_smoothness(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    omega, held = _omega(theta, bounds)
    problem = _setup(theta, rng, omega)
    best = max(((problem.residual(d)[0], name) for name, d in _candidates(problem, omega, rng, ascent=True).items()))
    return {"hypotheses": held, "derived": {"omega": omega, "r": omega, "F": problem.F}, "value": best[0], "method": best[1]}


def _semi_cases(mode: Mode) -> Sequence[Case]:
    reps = {"test_reps": 6, "calib_reps": 2} if mode is Mode.FULL else {"test_reps": 3, "calib_reps": 1}
    cases = [
        sweep("L", [1, 2, 4], m=256, n=4, d_out=1, data_seed=18, **reps),
        sweep("m", [64, 128, 256, 512], L=2, n=4, d_out=1, data_seed=18, **reps),
        sweep("omega", [1e-5, 3e-5, 1e-4, 2.5e-4], m=256, L=2, n=4, d_out=1, data_seed=18, **reps),
    ]
    return cases[:1] if mode is Mode.QUICK else cases


LEMMA.add(
    Check(
        name="semi_smoothness",
        kind=Kind.EXPONENT,
        claim="max over W′ found of R(W̆, W′) / RHS(‖W′‖₂ = ω): no growth as L, m → ∞ (ω the interval's geometric mean) or as ω → 0",
        cases=_semi_cases,
        trial=scaling_trial(_semi_smoothness, "semi_smoothness"),
        verdict=scaling_verdict("upper", "R = F(W̆+W′) − F(W̆) − ⟨∇F, W′⟩", "semi_smoothness"),
        negative_control={"semi_smoothness": "r**3/L**2/m"},
        confirmed=False,
    )
)


# ---- order of the residual without sign changes ---------------------------------------------------------


def _order_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    """Local exponent log(|R(10r)|/|R(r)|)/log 10 along one random rank-one direction (same network, same direction)."""
    r = float(params["r"])
    param, weights, X = network(params, rng)
    problem = _Problem(param, weights, X, labels(params, X.shape[0]))
    U = [rank_one(rng, W.shape, 1.0) for W in weights.Ws]
    base = deep.forward(param, weights, X)
    flips = sum(int(sign_changes(base, deep.forward(param, weights.perturbed([t * u for u in U]), X)).sum()) for t in (r, 10 * r))
    small, large = (abs(problem.residual([t * u for u in U])[0]) for t in (r, 10 * r))
    exponent = math.log10(large / small)
    out = compare(abs(exponent - bounds("residual_order")), bounds("order_tolerance"))
    return {"hypotheses": {"no_flip": flips == 0}, **out, "local_exponent": exponent, "sign_changes": flips}


LEMMA.add(
    Check(
        name="residual_order",
        kind=Kind.IDENTITY,
        claim="without sign changes R is a polynomial in W′ with no linear term: the local exponent of |R| in ‖W′‖₂ is 2 (±0.05)",
        cases=lambda mode: [Case({"r": 1e-5, "m": 256, "L": 3, "n": 4, "d_out": 1, "data_seed": 19},
                                 trials={Mode.QUICK: 4, Mode.DEFAULT: 10, Mode.FULL: 40}[mode])],
        trial=_order_trial,
        verdict=lambda params, obs, bounds, settings: all_trials_verdict(obs, "|local exponent of |R| − 2|"),
        negative_control={"residual_order": "3"},
        confirmed=False,
    )
)


# ---- the L² vs L³ tension ------------------------------------------------------------------------------------


def _first_order(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    omega, held = _omega(theta, bounds)
    problem = _setup(theta, rng, omega)
    W_breve = problem.weights.perturbed(greedy_sign_flip(problem.param, problem.weights, problem.X, omega))
    problem = _Problem(problem.param, W_breve, problem.X, problem.Y)  # W̆ itself with many flipped signs
    scale = omega * math.sqrt(int(theta["n"]) * problem.F)
    best = max((abs(problem.residual(d)[1]) / scale, name) for name, d in _candidates(problem, omega, rng, ascent=False).items())
    return {"hypotheses": held, "value": best[0], "method": best[1]}


def _tension_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = scaling_verdict("upper", "first-order coefficient |R₁|/(‖W′‖₂√(nF))", "first_order")(params, obs, bounds, settings)
    raw = v.evidence.get("raw_fit")
    if raw is not None:
        v.evidence["tension"] = {"fitted_L_exponent": raw["exponent"], "ci": raw["ci"], "theorem4": 2, "layer_sum_of_lemma8.7": 3}
        v.summary = (f"finding (spec §9): measured first-order coefficient grows like L^{raw['exponent']:.2f} "
                     f"(95% CI [{raw['ci'][0]:.2f}, {raw['ci'][1]:.2f}]) against Theorem 4's L² and the layer sum's L³. " + v.summary)
    return v


LEMMA.add(
    Check(
        name="first_order_tension",
        kind=Kind.EXPONENT,
        claim="the first-order residual coefficient |R₁|/(‖W′‖₂√(nF)) at sign-flip points is O(ω^{1/3}L²√(m log m/d)) (Theorem 4), not only O(L³) (Lemma 8.7 summed)",
        cases=lambda mode: [sweep("L", [1, 2, 4, 8], m=256, n=4, d_out=1, omega=0.01, data_seed=20,
                                  test_reps=6 if mode is Mode.FULL else 3, calib_reps=2 if mode is Mode.FULL else 1)],
        trial=scaling_trial(_first_order, "first_order"),
        verdict=_tension_verdict,
        negative_control={"first_order": "1/L**2"},
        confirmed=False,
    )
)
