"""ADHLW Lemma 5.3 and the auxiliary fact of §5.2: how far GD moves the first layer, in Frobenius norm.

> Lemma 5.3. Let m ≥ κ⁻² poly(n, 1/λ0, 1/δ) and η = O(λ0/n²). With probability at least 1 − δ over the random
> initialization, for all k ≥ 0: ‖w_r(k) − w_r(0)‖₂ = O(n/(√m λ0 √δ)) (∀r) and
> ‖W(k) − W(0)‖_F ≤ √(yᵀ(H∞)⁻¹y) + O(nκ/(λ0δ)) + poly(n, 1/λ0, 1/δ)/(m^{1/4}κ^{1/2}).
>                                                            (arXiv 1901.08584v2, §5.1; proof App. D.1)

> §5.2: for the linear recursion W̃(0) = 0, vec(W̃(k+1)) = vec(W̃(k)) − ηZ(0)(Z(0)ᵀvec(W̃(k)) − y),
> ‖W̃(∞) − W̃(0)‖_F = √(yᵀH(0)⁻¹y).

Checks:

* ``identity`` (confirmed, deterministic): the recursion is run in W-space with the patterns of a random W(0)
  until its step no longer changes W̃ (a float fixed point), and ‖W̃‖_F is compared with √(yᵀH(0)⁻¹y)
  (H(0) = Z(0)ᵀZ(0) from exact pattern counts, Cholesky solve). Why it holds: W̃(k) stays in the range of
  Z(0), so the limit is the minimum-norm solution Z(0)H(0)⁻¹y, whose squared norm is yᵀH(0)⁻¹y. Tolerance:
  64·n·cond(H(0))·u relative (u = 2⁻⁵³), the forward error of a linear solve at condition number cond(H(0)).
* ``frobenius_width`` (exploratory, the constants and the poly are hidden): the excess
  sup_k ‖W(k) − W(0)‖_F − √(yᵀ(H∞)⁻¹y) against m at small fixed κ, where the width term dominates the κ-term;
  the bound's width term decays as m^{−1/4} (claimed exponent −1/4, upper). Trials whose excess is ≤ 0 satisfy
  the bound outright and carry no exponent information; they are counted, and left out of the fit (which can
  only make the fitted decay slower, i.e. the check more severe).

Why no κ-exponent check: at fixed m, κ → 0 leaves the hypothesis m ≥ κ⁻² poly, and the measured excess is a
function of √m·κ alone (movement per neuron ∝ 1/√m against an initial scale κ), so its κ-dependence at fixed
m says nothing the width check does not (spec-level finding, in the report of this module's author).

Step size η = 1/λ_max(H∞) (see :mod:`lemmas.papers.adhlw2019.theorem4_1`), 200 steps: the runs converge.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import scipy.linalg
import sympy as sp

from lemmas.checks import exponent_verdict, max_error_verdict
from lemmas.core.twolayer import default_chunk, gram, init_two_layer, loss_and_grad
from lemmas.papers.adhlw2019 import constants, plot, series, source
from lemmas.papers.adhlw2019.theorem4_1 import Problem, hypotheses, problem
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity, n

#: Local symbol: the condition number λ_max/λ_min of H(0), on which the identity's rounding error depends.
cond = sp.Symbol("cond", positive=True)

LEMMA = register(
    Lemma(
        id="adhlw2019.lemma5.3",
        title="Distance from initialisation in Frobenius norm and √(yᵀ(H∞)⁻¹y)",
        source=source("§5.1, Lemma 5.3 and §5.2 (proof App. D.1)", "du2018.md §6.4"),
        statement=(
            r"Let $m\ge\kappa^{-2}\mathrm{poly}(n,\lambda_0^{-1},\delta^{-1})$ and $\eta=O(\lambda_0/n^2)$. With probability at least "
            r"$1-\delta$, for all $k\ge0$: $\|\mathbf w_r(k)-\mathbf w_r(0)\|_2=O\left(\frac{n}{\sqrt m\lambda_0\sqrt\delta}\right)$ for all $r$, and "
            r"$\|\mathbf W(k)-\mathbf W(0)\|_F\le\sqrt{\mathbf y^\top(\mathbf H^\infty)^{-1}\mathbf y}+O\left(\frac{n\kappa}{\lambda_0\delta}\right)"
            r"+\frac{\mathrm{poly}(n,\lambda_0^{-1},\delta^{-1})}{m^{1/4}\kappa^{1/2}}$. "
            r"§5.2: for $\tilde{\mathbf W}(0)=0$ and $\mathrm{vec}(\tilde{\mathbf W}(k+1))=\mathrm{vec}(\tilde{\mathbf W}(k))-\eta\mathbf Z(0)"
            r"(\mathbf Z(0)^\top\mathrm{vec}(\tilde{\mathbf W}(k))-\mathbf y)$: $\|\tilde{\mathbf W}(\infty)-\tilde{\mathbf W}(0)\|_F="
            r"\sqrt{\mathbf y^\top\mathbf H(0)^{-1}\mathbf y}$."
        ),
        tag="VA",
        quantities={
            q.name: q
            for q in [
                Quantity("identity_factor", sp.Integer(1), "‖W̃(∞)‖_F / √(yᵀH(0)⁻¹y) (exactly 1)", "constant", "VA"),
                Quantity("identity_tolerance", 64 * n * cond * sp.Rational(1, 2**53),
                         "relative tolerance of the identity: 64·n·cond(H(0))·u", "bound", "D",
                         "forward error of a linear solve, γ_n·cond, with a factor 64 for the fixed-point iteration"),
                Quantity("width_exponent", constants.lemma53_width_exponent, "exponent of m in the width term", "rate", "VA",
                         "d log/d log m of 1/(m^{1/4}κ^{1/2})"),
            ]
        },
        hypotheses={
            "lambda0_positive": "λ0 = λ_min(H∞) > 0 (certified lower end > 0)",
            "step_size": "η ≤ 1/λ_max(H∞) (implied by η = O(λ0/n²))",
            "H0_positive": "H(0) is positive definite (the identity needs H(0)⁻¹)",
        },
        notes=(
            "The poly(n, 1/λ0, 1/δ) and the O(·) constants are hidden: the Frobenius bound is checked through exponents, "
            "exploratory.",
            "The per-neuron bound O(n/(√m λ0 √δ)) is checked with its explicit form, Lemma C.1 (adhlw2019.lemmaC.1).",
        ),
    )
)

# --- the identity of §5.2 -------------------------------------------------------------------------------


def linear_recursion_limit(X: np.ndarray, W0: np.ndarray, a: np.ndarray, y: np.ndarray, eta: float, max_steps: int) -> tuple[np.ndarray, int]:
    """W̃ at the float fixed point of W̃ ← W̃ − ηZ(0)(Z(0)ᵀvec(W̃) − y) from W̃ = 0 (or after ``max_steps``).

    Z(0)ᵀvec(W̃) has entries (1/√m) Σ_r a_r 𝕀{w_r(0)ᵀx_i ≥ 0} w̃_rᵀx_i, and the (r)-block of Z(0)v is
    (1/√m) a_r Σ_i 𝕀{w_r(0)ᵀx_i ≥ 0} v_i x_i; the patterns of W(0) are computed once, in width chunks.
    Stops at the first step that leaves W̃ unchanged in floating point. Returns (W̃, steps taken).
    """
    n, m = X.shape[0], W0.shape[0]
    chunk = default_chunk(n, m)
    slices = [slice(s, min(m, s + chunk)) for s in range(0, m, chunk)]
    masks = [(W0[sl] @ X.T >= 0.0) for sl in slices]
    scale = a / math.sqrt(m)
    Wt = np.zeros_like(W0)
    for step in range(1, max_steps + 1):
        out = np.zeros(n)
        for sl, mask in zip(slices, masks):
            out += scale[sl] @ (mask * (Wt[sl] @ X.T))
        r = out - y
        changed = False
        for sl, mask in zip(slices, masks):
            new = Wt[sl] - eta * scale[sl, None] * ((mask * r) @ X)
            changed = changed or not np.array_equal(new, Wt[sl])
            Wt[sl] = new
        if not changed:
            return Wt, step
    return Wt, max_steps


def _identity_cases(mode: Mode) -> Sequence[Case]:
    if mode is Mode.QUICK:
        return [Case({"n": 20, "d": 10, "data_seed": 1, "m": 500}, trials=2)]
    cases = [Case({"n": 20, "d": 10, "data_seed": 1, "m": 2000}, trials=5), Case({"n": 40, "d": 20, "data_seed": 2, "m": 1000}, trials=5)]
    if mode is Mode.FULL:
        cases.append(Case({"n": 100, "d": 50, "data_seed": 3, "m": 20000}, trials=5))
    return cases


def _identity_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    prob = problem(params)
    m = int(params["m"])
    W0, a = init_two_layer(rng, m, prob.d)
    H0 = gram(prob.X, W0)
    eig = np.linalg.eigvalsh(H0)
    positive = bool(eig[0] > 0)
    condition = float(eig[-1] / eig[0]) if positive else math.inf
    eta = 1.0 / eig[-1]
    # Enough steps to contract by u: (1 − ηλ_min)^K ≤ 2⁻⁵³, twice over.
    max_steps = int(min(200_000, 2 * math.ceil(53 * math.log(2) * condition) + 100)) if positive else 1
    Wt, steps = linear_recursion_limit(prob.X, W0, a, prob.y, eta, max_steps)
    rhs = math.sqrt(float(prob.y @ scipy.linalg.cho_solve(scipy.linalg.cho_factor(H0), prob.y))) if positive else math.nan
    lhs = float(np.linalg.norm(Wt))
    error = abs(lhs - bounds("identity_factor") * rhs) / rhs if positive else math.inf
    return {
        "hypotheses": {**hypotheses(prob), "H0_positive": positive},
        "error": error,
        "tolerance": bounds("identity_tolerance", n=prob.n, cond=condition),
        "lhs": lhs,
        "rhs": rhs,
        "cond": condition,
        "steps": steps,
        "stopped_at": "float fixed point" if steps < max_steps else "step budget (contraction below u twice over)",
    }


def _identity_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    # Each trial has its own tolerance (its own cond(H(0))): compare errors in units of their tolerance.
    scaled = [{**o, "error": o["error"] / o["tolerance"]} for o in obs]
    verdict = max_error_verdict(scaled, 1.0, "|‖W̃(∞)‖_F − √(yᵀH(0)⁻¹y)| / √(yᵀH(0)⁻¹y), in units of the tolerance")
    verdict.evidence.update({
        "relative_errors": [o["error"] for o in obs],
        "tolerances": [o["tolerance"] for o in obs],
        "cond_H0": [o["cond"] for o in obs],
        "steps": [o["steps"] for o in obs],
        "stopped_at": [o["stopped_at"] for o in obs],
    })
    return verdict


LEMMA.add(
    Check(
        name="identity",
        kind=Kind.IDENTITY,
        claim="‖W̃(∞) − W̃(0)‖_F = √(yᵀH(0)⁻¹y) for the linear recursion of §5.2, to 64·n·cond(H(0))·u relative",
        cases=_identity_cases,
        trial=_identity_trial,
        verdict=_identity_verdict,
        negative_control={"identity_factor": "1 + 1/10**6"},
    )
)

# --- the Frobenius bound: exponents of its width term -----------------------------------------------------


def frobenius_movement(prob: Problem, m: int, kappa: float, steps: int, rng: np.random.Generator) -> float:
    """sup_{k ≤ steps} ‖W(k) − W(0)‖_F along GD from a fresh initialisation of scale κ."""
    W0, a = init_two_layer(rng, m, prob.d, kappa)
    W = W0.copy()
    sup = 0.0
    for _ in range(steps):
        W -= prob.eta * loss_and_grad(prob.X, W, a, prob.y)[1]
        sup = max(sup, float(np.linalg.norm(W - W0)))
    return sup


def _complexity(prob: Problem) -> float:
    return math.sqrt(float(prob.y @ np.linalg.solve(prob.H, prob.y)))


_REPS, _TEST = 5, 4


def _frobenius_cases(mode: Mode, key: str, grid: list[float], fixed: dict[str, Any]) -> Sequence[Case]:
    base = {"n": 20, "d": 10, "data_seed": 1, **fixed}
    if mode is Mode.QUICK:
        grid = [grid[0], grid[-1]]
        return [Case({**base, key: grid, "steps": 150, "reps": 2, "test": 2}, trials=2 * len(grid))]
    return [Case({**base, key: grid, "steps": 200, "reps": _REPS, "test": _TEST}, trials=_REPS * len(grid))]


def _frobenius_trial(key: str) -> Any:
    def trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
        prob = problem(params)
        reps, test = int(params["reps"]), int(params["test"])
        x = float(params[key][index // reps])
        m = int(x) if key == "widths" else int(params["m"])
        kappa = x if key == "kappas" else float(params["kappa"])
        movement = frobenius_movement(prob, m, kappa, int(params["steps"]), rng)
        excess = movement - _complexity(prob)
        return {"hypotheses": hypotheses(prob), "x": x, "y": excess, "movement": movement,
                "role": "test" if index % reps < test else "calibration"}

    return trial


def _frobenius_verdict(quantity: str, variable: str, direction: str, title: str) -> Any:
    def verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
        claimed = bounds(quantity)
        positive = [o for o in obs if o["y"] > 0]
        v = exponent_verdict(positive, claimed, direction, "sup_k ‖W(k) − W(0)‖_F − √(yᵀ(H∞)⁻¹y)", variable, settings)
        complexity = _complexity(problem(params))
        xs = sorted({o["x"] for o in obs})
        v.evidence.update({
            "complexity_sqrt_yHy": complexity,
            "nonpositive_excess_trials": len(obs) - len(positive),
            "movement": {str(x): [o["movement"] for o in obs if o["x"] == x] for x in xs},
            "plot": plot(title, variable, "sup_k ‖W(k) − W(0)‖_F",
                         [series("GD runs", [o["x"] for o in obs], [o["movement"] for o in obs], "marker"),
                          series("√(yᵀ(H∞)⁻¹y)", xs, [complexity] * len(xs), "dashed")], "log", "linear"),
        })
        return v

    return verdict


LEMMA.add(
    Check(
        name="frobenius_width",
        kind=Kind.EXPONENT,
        claim="sup_k ‖W(k) − W(0)‖_F − √(yᵀ(H∞)⁻¹y) decays at least as fast as m^{−1/4} at small fixed κ (the bound's width term)",
        cases=lambda mode: _frobenius_cases(mode, "widths", [500, 1000, 2000, 4000, 8000] + ([16000, 32000] if mode is Mode.FULL else []),
                                            {"kappa": 0.1}),
        trial=_frobenius_trial("widths"),
        verdict=_frobenius_verdict("width_exponent", "m", "upper", "ADHLW Lemma 5.3: Frobenius movement against m (κ = 0.1)"),
        negative_control={"width_exponent": "-1"},
        confirmed=False,
    )
)
