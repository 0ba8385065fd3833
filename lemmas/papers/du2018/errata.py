"""The errata of Du et al. 2018 (arXiv 1810.02054v2), spec du2018.md §9, each as a visible item of the report.

Every erratum gets a SYMBOLIC check reproducing it in sympy: the as-printed form (labelled with the erratum,
expected outcome "fails", status "documented erratum") and, beside it, the corrected form (expected "holds").
Where a numerical check exposes the same erratum, the claim names it. The expressions under test are
quantities of this pseudo-lemma, so a negative control can substitute a wrong one: for a corrected item the
control is the printed expression, which must fail.

| erratum | printed | corrected | exposed numerically by |
|---|---|---|---|
| 1 | R′ = √n‖y − u(0)‖/(√mλ0) | 2√n‖y − u(0)‖/(√mλ0) | du2018.lemma3.3:worst_case_printed |
| 2 | δ′ = n²δ (union over n² entries) | δ′ = δ/n² | — |
| 3 | E‖y − u(0)‖² = Σ(y_i² + y_iE f + E f²), E f² = 1 | ‖y‖² + n/2 | du2018.oracles:residual_printed |
| 4 | R = cλ0/n² in §4.1 | R = cδλ0/n² | — |
| 5 | \\|a² − 1\\| ≤ 2R_a; log(m/δ); R_a < R′_a; "probability at least δ"; G without Σ_r | 2R_a + R_a²; log(mn/δ); R′_a < R_a; 1 − δ; eqs. (13)–(14) | — |
| 6 | pattern ratio Σ_{i=1}^{m}; Corollary 4.1's chain | Σ_{i=1}^{n}; Σ(1 − x)^{k/2} ≤ 2/x | — |
| 7 | three (four) events each at δ, claim 1 − δ | δ/3 (δ/4) each | — |
| 8 | Lemma 3.2: λ_min(H) > λ0/2 with no width | needs Lemma 3.1's event | this module (exact rank) and Lemma 3.2's checks |

Not in spec §9, a project finding without a symbolic form: Lemma 3.3's hypothesis λ_min(H(s)) ≥ λ0/2 with H of
eq. (6) does not give its loss bound where neurons slide along w_rᵀx_i = 0 (eq. (7) fails there; the hypothesis
must be on H_eff), exposed numerically by du2018.lemma3.3:conditional_printed (see that module).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict
from lemmas.papers.du2018 import constants, source
from lemmas.papers.du2018 import constants_dynamics as cd
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Tier, Verdict
from lemmas.symbolic import Bounds, Quantity, delta, eta, lambda0, m, n

# Local symbols of the derivations.
y_i, f_mean, f_square = sp.symbols("y_i f_mean f_square", real=True)
x = cd.x
q = sp.Symbol("q", positive=True)

LEMMA = register(
    Lemma(
        id="du2018.errata",
        title="Errata of DZPS v2 (spec §9), each reproduced in sympy",
        source=source("§3, §4, §5, App. A–B (errata)", "du2018.md §9"),
        statement="Each item states the printed form and the corrected form; see the table in the module docstring.",
        tag="D",
        quantities={
            q_.name: q_
            for q_ in [
                Quantity("lemma33_radius_printed", cd.gf_radius_printed, "Lemma 3.3's R′ as printed", "radius", "V"),
                Quantity("lemma33_radius", cd.gf_radius, "Lemma 3.3's R′ corrected", "radius", "D"),
                Quantity("entry_failure_printed", n**2 * delta, "per-entry failure δ′ of Lemma 3.1's proof as printed", "probability", "V"),
                Quantity("entry_failure", delta / n**2, "per-entry failure δ′ corrected", "probability", "D"),
                Quantity("residual_expansion_printed", y_i**2 + y_i * f_mean + 1, "E(y_i − f)² as printed (E f² = 1)", "bound", "V"),
                Quantity("residual_expansion", y_i**2 - 2 * y_i * f_mean + cd.relu_second_moment, "E(y_i − f)² corrected", "bound", "D"),
                Quantity("section41_R_printed", constants.lemma32_c * lambda0 / n**2, "§4.1's R as printed (no δ)", "radius", "V"),
                Quantity("section41_R", constants.lemma32_c * delta * lambda0 / n**2, "§4.1's R with δ", "radius", "D"),
                Quantity("a_square_printed", 2 * cd.R_a, "Lemma A.3: bound on |a² − 1| as printed", "bound", "V"),
                Quantity("a_square", cd.a_square_deviation, "Lemma A.3: bound on |a² − 1| corrected", "bound", "D"),
                Quantity("tail_log_printed", sp.log(m / delta), "Theorem 3.3's log argument as printed", "bound", "V"),
                Quantity("tail_log", sp.log(m * n / delta), "the proof's log argument", "bound", "D"),
                Quantity("markov_probability_printed", delta, "end of App. A.1: 'with probability at least δ'", "probability", "V"),
                Quantity("markov_probability", 1 - delta, "Markov's guarantee", "probability", "D"),
                Quantity("pattern_ratio_terms_printed", m * m, "§5: number of terms of Σ_{i=1}^{m}Σ_{r=1}^{m}", "bound", "V"),
                Quantity("pattern_ratio_terms", m * n, "number of (i, r) pairs, Σ_{i=1}^{n}Σ_{r=1}^{m}", "bound", "D"),
                Quantity("geometric_bound", cd.geometric_sum_bound, "Corollary 4.1: Σ_k (1 − x)^{k/2} ≤ this", "bound", "V"),
                Quantity("events_failure_printed", 3 * delta, "Theorem 3.2: total failure of three events, each given the whole δ", "probability", "V"),
                Quantity("events_failure", 3 * (delta / 3), "total failure with δ/3 each", "probability", "D"),
                Quantity("lemma32_eig_bound", lambda0 / 2, "Lemma 3.2's λ_min conclusion", "bound", "V"),
                Quantity("joint_G_prefactor", 1 / m, "eq. (14): G_ij = (1/m) Σ_r σ(w_rᵀx_i)σ(w_rᵀx_j) (printed without Σ_r)", "constant", "D"),
            ]
        },
        hypotheses={},
        notes=("Outcome 'fails' on a printed item is a documented erratum; on a corrected item it would be a finding.",),
    )
)


def _symbolic(value: float, bound: float, holds: bool, **detail: Any) -> dict[str, Any]:
    """Observation of an exact (sympy) comparison: ``value`` against ``bound``, decided by ``holds``."""
    margin = abs(float(bound) - float(value)) if holds else -max(abs(float(bound) - float(value)), 1e-300)
    return {"hypotheses": {}, "value": float(value), "bound": float(bound), "margin": margin, "failed": not holds,
            "ambiguous": False, "tier": Tier.EXACT.value, **{k: str(v) for k, v in detail.items()}}


#: Local symbols by name, so that an override (sympified without assumptions) means the same symbol.
_LOCALS = {sym.name: sym for sym in (y_i, f_mean, x, cd.R_a)}


def _expr(bounds: Bounds, name: str) -> sp.Expr:
    """The resolved expression of quantity ``name`` with local symbols identified by name."""
    expr = bounds.expr(name)
    return expr.xreplace({sym: _LOCALS[sym.name] for sym in expr.free_symbols if sym.name in _LOCALS})


# ---------------------------------------------------------------------------------------------------------
# The items: each returns an observation.


def _radius(bounds: Bounds, name: str) -> dict[str, Any]:
    derived = sp.integrate(cd.gf_speed, (cd.s, 0, sp.oo))               # ∫ (√n/√m) e^{−λ0 s/2}‖y − u(0)‖ ds
    ratio = sp.simplify(_expr(bounds, name) / derived)
    return _symbolic(float(ratio), 1.0, ratio == 1, tested=_expr(bounds, name), derived=derived, ratio=ratio)


def _entry_failure(bounds: Bounds, name: str) -> dict[str, Any]:
    total = sp.simplify(n**2 * _expr(bounds, name))                        # union bound over the n² entries
    ratio = sp.simplify(total / delta)
    return _symbolic(float(ratio.subs(n, 2)), 1.0, ratio == 1, union_bound=total, ratio=ratio)


def _expansion(bounds: Bounds, name: str) -> dict[str, Any]:
    f = sp.Symbol("f", real=True)
    derived = sp.expand((y_i - f) ** 2)                                  # then E[f] = f_mean, E[f²] = E[relu(z)²]
    derived = derived.subs(f**2, f_square).subs(f, f_mean).subs(f_square, cd.relu_second_moment)
    diff = sp.expand(_expr(bounds, name) - derived)
    at_zero_mean = diff.subs(f_mean, 0)                                  # E[f] = 0: the difference per coordinate
    return _symbolic(float(abs(at_zero_mean.subs(y_i, 1))), 0.0, diff == 0, difference=diff, derived=derived)


def _section41(bounds: Bounds, name: str) -> dict[str, Any]:
    # The perturbation term 2Cηn²R/δ must be ≤ ηλ0/4 for every δ ∈ (0, 1).
    term = sp.simplify(2 * cd.lemma41_C * eta * n**2 * _expr(bounds, name) / delta / (eta * lambda0 / 4))
    worst = sp.limit(term, delta, 0, "+")
    return _symbolic(float(min(worst, 1e300)) if worst.is_finite else 1e300, 1.0, bool(worst <= 1), ratio_to_target=term, as_delta_to_0=worst)


def _a_square(bounds: Bounds, name: str) -> dict[str, Any]:
    Ra = cd.R_a
    sup = sp.Max(*[sp.Abs(v**2 - 1) for v in (1 - Ra, 1 + Ra)])        # |a² − 1| is convex in a: sup at the ends
    sup = sp.simplify(sup.subs(Ra, sp.Rational(1, 10)))
    tested = _expr(bounds, name).subs(Ra, sp.Rational(1, 10))
    return _symbolic(float(sup), float(tested), bool(sup <= tested), sup_at_R_a_0_1=sup, tested_at_R_a_0_1=tested)


def _tail_log(bounds: Bounds, name: str) -> dict[str, Any]:
    # Union bound over the mn pairs with P(|z| > τ) ≤ 2e^{−τ²/2}, τ = 3√(log argument): mn·2·e^{−9L/2} ≤ δ?
    failure = m * n * 2 * sp.exp(-sp.Rational(9, 2) * _expr(bounds, name))
    point = {m: 1, n: 2, delta: sp.Rational(9, 10)}                      # a small case where the printed form breaks
    value = failure.subs(point) / point[delta]
    return _symbolic(float(value), 1.0, bool(value <= 1), union_bound=sp.simplify(failure), at_m1_n2_delta09=value)


def _markov(bounds: Bounds, name: str) -> dict[str, Any]:
    guarantee = 1 - delta                                                # P(X ≤ E X/δ) ≥ 1 − δ
    tested = _expr(bounds, name)
    return _symbolic(float(tested.subs(delta, sp.Rational(1, 10))), float(guarantee.subs(delta, sp.Rational(1, 10))),
                     sp.simplify(tested - guarantee) == 0, tested=tested, markov=guarantee)


def _pattern_terms(bounds: Bounds, name: str) -> dict[str, Any]:
    # The ratio Σ_i Σ_r 𝕀{…}/(mn) must be a fraction: with every indicator 1 it must equal 1.
    ratio = sp.simplify(_expr(bounds, name) / (m * n))
    return _symbolic(float(ratio.subs({m: 8, n: 2})), 1.0, ratio == 1, all_ones_ratio=ratio)


def _geometric(bounds: Bounds, name: str) -> dict[str, Any]:
    # Σ_k (1 − x)^{k/2} = 1/(1 − √(1 − x)) ≤ bound for x ∈ (0, 1]; with 1 − x = q², q ∈ [0, 1).
    gap = sp.simplify((_expr(bounds, name) - cd.geometric_sum).subs(x, 1 - q**2))
    worst = sp.minimum(gap, q, sp.Interval.Ropen(0, 1))
    return _symbolic(float(-worst), 0.0, bool(worst >= 0), gap_in_q=gap, min_gap=worst)


def _events(bounds: Bounds, name: str) -> dict[str, Any]:
    total = sp.simplify(_expr(bounds, name))
    ratio = sp.simplify(total / delta)
    return _symbolic(float(ratio), 1.0, bool(ratio <= 1), total_failure=total)


def _lemma32_rank(bounds: Bounds, name: str) -> dict[str, Any]:
    """At m = 1 (W = W(0) lies in every ball), H(0) = D X Xᵀ D with D = diag(patterns) has rank ≤ d. With n = 3
    rational unit inputs in ℝ², no two parallel, λ0 > 0 (Theorem 3.1) but det H(0) = 0 for all 8 patterns, so
    λ_min(H(0)) = 0 exactly for every initialisation, below any positive λ0/2."""
    from lemmas.certify import certified_lambda0

    X = sp.Matrix([[1, 0], [sp.Rational(3, 5), sp.Rational(4, 5)], [sp.Rational(-5, 13), sp.Rational(12, 13)]])
    dets = [sp.simplify((D * X * X.T * D).det()) for D in (sp.diag(*[(p >> i) & 1 for i in range(3)]) for p in range(8))]
    lo, _ = certified_lambda0(np.array(X.evalf(), dtype=float))
    bound = bounds(name, lambda0=lo)
    lam_min = 0.0 if all(det == 0 for det in dets) else float("nan")   # PSD with zero determinant: λ_min = 0
    return _symbolic(lam_min, bound, bool(lam_min > bound), determinants=dets, lambda0_lower=lo)


def _joint_dynamics(bounds: Bounds, name: str) -> dict[str, Any]:
    """du/dt = (H + G)(y − u) under gradient flow on both layers (eqs. 12–14), derived by the chain rule for a
    symbolic network with m = 2, n = 2, d = 2 in the region where every pre-activation is positive."""
    M = 2
    W = sp.Matrix(2, 2, sp.symbols("w11 w12 w21 w22", real=True))
    A = sp.Matrix(sp.symbols("a1 a2", real=True))
    Xs = sp.Matrix(2, 2, sp.symbols("x11 x12 x21 x22", real=True))
    Y = sp.Matrix(sp.symbols("y1 y2", real=True))
    Z = W * Xs.T                                                        # z_ri = w_rᵀx_i, all > 0 here
    U = (Z.T * A) / sp.sqrt(M)
    loss = sum((U[i] - Y[i]) ** 2 for i in range(2)) / 2
    dW = -sp.Matrix(2, 2, lambda r, k: sp.diff(loss, W[r, k]))
    dA = -sp.Matrix([sp.diff(loss, A[r]) for r in range(2)])
    dU = sp.Matrix([sum(sp.diff(U[i], W[r, k]) * dW[r, k] for r in range(2) for k in range(2))
                    + sum(sp.diff(U[i], A[r]) * dA[r] for r in range(2)) for i in range(2)])
    H = sp.Matrix(2, 2, lambda i, j: (Xs[i, :] * Xs[j, :].T)[0] * sum(A[r] ** 2 for r in range(2)) / M)
    prefactor = _expr(bounds, name).subs(m, M)
    G = sp.Matrix(2, 2, lambda i, j: prefactor * sum(Z[r, i] * Z[r, j] for r in range(2)))
    residual = sp.expand(dU - (H + G) * (Y - U))                     # a polynomial identity: expand decides it
    holds = residual == sp.zeros(2, 1)
    return _symbolic(0.0 if holds else 1.0, 0.0, bool(holds), residual=residual)


_ITEMS: list[tuple[str, str, Callable[[Bounds, str], dict], str, str | None, str]] = [
    # (check name, quantity, evaluator, claim, erratum id or None, negative control expression)
    ("erratum1_printed", "lemma33_radius_printed", _radius,
     "Lemma 3.3's printed R′ equals the integral of the proof's speed bound with ‖y − u(s)‖ ≤ e^{−λ0s/2}‖y − u(0)‖ "
     "(exposed numerically by du2018.lemma3.3:worst_case_printed)",
     "spec §9 erratum 1: R′ lacks the factor 2", "3*sqrt(n)*residual/(sqrt(m)*lambda0)"),
    ("erratum1_corrected", "lemma33_radius", _radius, "the corrected R′ = 2√n‖y − u(0)‖/(√mλ0) equals that integral", None,
     "sqrt(n)*residual/(sqrt(m)*lambda0)"),
    ("erratum2_printed", "entry_failure_printed", _entry_failure, "Lemma 3.1's proof: δ′ = n²δ per entry gives total failure δ over n² entries",
     "spec §9 erratum 2: δ′ = n²δ should be δ/n²", "n**3*delta"),
    ("erratum2_corrected", "entry_failure", _entry_failure, "δ′ = δ/n² per entry gives total failure δ", None, "n**2*delta"),
    ("erratum3_printed", "residual_expansion_printed", _expansion,
     "Theorem 3.2's proof: E(y_i − f)² = y_i² + y_iE[f] + E[f²] with E[f²] = 1 (exposed numerically by du2018.oracles:residual_printed)",
     "spec §9 erratum 3: the sign of the cross term and E[f²] = 1/2", "y_i**2 + 2*y_i*f_mean + 1"),
    ("erratum3_corrected", "residual_expansion", _expansion, "E(y_i − f)² = y_i² − 2y_iE[f] + E[f²], E[f²] = E[relu(z)²] = 1/2", None,
     "y_i**2 + y_i*f_mean + 1"),
    ("erratum4_printed", "section41_R_printed", _section41, "§4.1 with R = cλ0/n²: 2Cηn²R/δ ≤ ηλ0/4 for every δ ∈ (0, 1)",
     "spec §9 erratum 4: R must contain δ", "sqrt(2*pi)*lambda0/(8*n**2)"),
    ("erratum4_corrected", "section41_R", _section41, "with R = cδλ0/n²: 2Cηn²R/δ = ηλ0/4 exactly", None, "sqrt(2*pi)*lambda0/(16*n**2)"),
    ("erratum5_a_square_printed", "a_square_printed", _a_square, "Lemma A.3: |a_r² − 1| ≤ 2R_a when |a_r − a_r(0)| ≤ R_a",
     "spec §9 erratum 5: |a_r² − 1| ≤ 2R_a + R_a²", "R_a"),
    ("erratum5_a_square_corrected", "a_square", _a_square, "|a_r² − 1| ≤ 2R_a + R_a² (sup at a = ±(1 + R_a))", None, "2*R_a"),
    ("erratum5_log_printed", "tail_log_printed", _tail_log,
     "Theorem 3.3's log(m/δ): the union bound mn·2e^{−(9/2)log(m/δ)} ≤ δ (checked at m = 1, n = 2, δ = 0.9)",
     "spec §9 erratum 5: log(m/δ) should be log(mn/δ)", "log(m/delta)/2"),
    ("erratum5_log_corrected", "tail_log", _tail_log, "with log(mn/δ) the union bound is ≤ δ", None, "log(m/delta)"),
    ("erratum5_joint_dynamics", "joint_G_prefactor", _joint_dynamics,
     "eqs. (13)–(14) with Σ_r restored (v2 prints G without Σ_r, the a-ODE as dw_r/dt, H′ without x_iᵀx_j): "
     "du/dt = (H + G)(y − u) by the chain rule", None, "1/m**2"),
    ("erratum5_markov_printed", "markov_probability_printed", _markov,
     "end of App. A.1: 'with probability at least δ, ‖y − u(0)‖₂ ≤ C√n/δ' (Markov gives 1 − δ and C√(n/δ))",
     "spec §9 erratum 5: 'probability at least δ' should be 1 − δ", "delta**2"),
    ("erratum5_markov_corrected", "markov_probability", _markov, "Markov: P(‖y − u(0)‖² ≤ E‖y − u(0)‖²/δ) ≥ 1 − δ", None, "delta"),
    ("erratum6_pattern_printed", "pattern_ratio_terms_printed", _pattern_terms,
     "§5's pattern-change ratio Σ_{i=1}^{m}Σ_{r=1}^{m} 𝕀{…}/(mn) is a fraction (= 1 when every pattern changed)",
     "spec §9 erratum 6: the sum runs over i = 1..n", "m**3"),
    ("erratum6_pattern_corrected", "pattern_ratio_terms", _pattern_terms, "Σ_{i=1}^{n}Σ_{r=1}^{m} has mn terms: the ratio is a fraction", None,
     "m**2"),
    ("erratum6_corollary_chain", "geometric_bound", _geometric,
     "Corollary 4.1's chain, intended form: Σ_{k≥0}(1 − x)^{k/2} = 1/(1 − √(1 − x)) ≤ 2/x on (0, 1], giving 4√n‖y − u(0)‖/(√mλ0)",
     None, "1/x"),
    ("erratum7_printed", "events_failure_printed", _events, "Theorem 3.2's proof: three events each failing w.p. δ fail together w.p. ≤ δ",
     "spec §9 erratum 7: failure probabilities are not split", "4*delta"),
    ("erratum7_corrected", "events_failure", _events, "with δ/3 for each event the total failure is ≤ δ (the widths of constants_dynamics)", None,
     "3*delta"),
    ("erratum8_printed", "lemma32_eig_bound", _lemma32_rank,
     "Lemma 3.2 as printed (no width): λ_min(H) > λ0/2 for W = W(0) at m = 1 (exact: n = 3 rational unit inputs in ℝ²)",
     "spec §9 erratum 8: the λ_min conclusion needs Lemma 3.1's event", "lambda0"),
]


def _cases(mode: Mode) -> Sequence[Case]:
    return [Case({}, trials=1)]


def _trial_for(evaluate: Callable[[Bounds, str], dict], quantity: str):
    def trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
        return evaluate(bounds, quantity)

    return trial


def _verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return all_trials_verdict(obs, "the sympy derivation against the expression under test")


for _name, _quantity, _evaluate, _claim, _erratum, _control in _ITEMS:
    LEMMA.add(
        Check(
            name=_name,
            kind=Kind.SYMBOLIC if _name != "erratum8_printed" else Kind.CERTIFICATE,
            claim=_claim,
            cases=_cases,
            trial=_trial_for(_evaluate, _quantity),
            verdict=_verdict,
            negative_control={_quantity: _control},
            erratum=_erratum,
        )
    )
