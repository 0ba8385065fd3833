"""The losses of Zou et al. as first-class objects: ℓ, ℓ′, ℓ″ and the constants of the loss assumptions.

Assumptions (zou2018.md §1.7, [V p.5, p.8]):
* 3.1: ℓ continuous, ℓ′ ≤ 0, ℓ(x) → 0 and ℓ′(x) → 0 as x → ∞;
* 3.2: −ℓ′(x) ≥ min{α0, α1 ℓ^p(x)} for all x, with 0 < p ≤ 1 (α0 = +∞ allowed);
* 3.3: ℓ is λ-smooth, |ℓ″| ≤ λ (ℓ′ Lipschitz);
* 4.4 (SGD): min{α0, α1 ℓ^p} ≤ |ℓ′| ≤ min{ρ0, ρ1 ℓ^p} with α0 < ρ0, α1 < ρ1 (ρ0 = ∞ iff α0 = ∞).

Each loss is a list of sympy pieces (expression, interval). Its constants are *derived* by sympy
(:func:`constants`, cached): λ as the maximum of |ℓ″| over the pieces (∞ if unbounded, ``None`` if ℓ′ jumps),
α/ρ from the exact ratio −ℓ′/ℓ^p on the pieces where it binds. The ρ's reported are the tight values of the
upper inequality; Assumption 4.4's strict α < ρ is then met by any larger ρ. Spec §2.1 is the reference table.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import sympy as sp
from scipy.special import expit

x = sp.Symbol("x", real=True)
_u = sp.Symbol("u", positive=True)
_t = sp.Symbol("t", positive=True)

Piece = tuple[sp.Expr, sp.Interval]


@dataclass(frozen=True)
class Loss:
    """A margin loss ℓ(y·ŷ) given by sympy pieces, with vectorised ℓ, ℓ′, ℓ″."""

    name: str
    pieces: tuple[Piece, ...]
    description: str
    numeric: tuple[Callable[[np.ndarray], np.ndarray], ...] | None = None  # stable (ℓ, ℓ′, ℓ″) where sympy's overflow

    @property
    def expr(self) -> sp.Expr:
        """ℓ as one sympy Piecewise."""
        return sp.Piecewise(*[(e, iv.as_relational(x)) for e, iv in self.pieces])

    def derivative(self, order: int) -> sp.Expr:
        """ℓ^{(order)} piecewise (the one-sided derivative at a kink is the piece's)."""
        return sp.Piecewise(*[(sp.diff(e, x, order), iv.as_relational(x)) for e, iv in self.pieces])

    @functools.cached_property
    def _fns(self) -> tuple[Callable[[np.ndarray], np.ndarray], ...]:
        if self.numeric is not None:
            return self.numeric
        return tuple(_vectorised(self.expr if k == 0 else self.derivative(k)) for k in range(3))

    def value(self, z: np.ndarray) -> np.ndarray:
        return self._fns[0](np.asarray(z, dtype=np.float64))

    def d1(self, z: np.ndarray) -> np.ndarray:
        return self._fns[1](np.asarray(z, dtype=np.float64))

    def d2(self, z: np.ndarray) -> np.ndarray:
        return self._fns[2](np.asarray(z, dtype=np.float64))

    @property
    def pair(self) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]:
        """(ℓ, ℓ′), the form :func:`lemmas.core.deep.margin_loss` takes."""
        return self.value, self.d1


def _vectorised(expr: sp.Expr) -> Callable[[np.ndarray], np.ndarray]:
    fn = sp.lambdify(x, expr, modules="numpy")
    return lambda z: np.broadcast_to(np.asarray(fn(z), dtype=np.float64), np.shape(z)).copy()


@dataclass(frozen=True)
class Constants:
    """The assumption constants of one loss (sympy numbers; ``sp.oo`` for +∞, ``None`` where none exists)."""

    alpha0: sp.Expr | None
    alpha1: sp.Expr | None
    p: sp.Expr | None
    lam: sp.Expr | None
    rho0: sp.Expr | None
    rho1: sp.Expr | None
    assumption31: bool
    why: Mapping[str, str]

    @property
    def assumption32(self) -> bool:
        return self.alpha1 is not None and self.p is not None and 0 < self.p <= 1

    @property
    def assumption33(self) -> bool:
        return self.lam is not None and self.lam.is_finite

    @property
    def assumption44(self) -> bool:
        """Both ρ's exist, and ρ0 = ∞ exactly when α0 = ∞ (then ℓ is not Lipschitz-bounded by a finite ρ0)."""
        if not self.assumption32 or self.rho0 is None or self.rho1 is None:
            return False
        return (self.alpha0 == sp.oo) == (self.rho0 == sp.oo)

    def as_floats(self) -> dict[str, float | None]:
        return {k: (None if v is None else float(v)) for k, v in
                {"alpha0": self.alpha0, "alpha1": self.alpha1, "p": self.p, "lambda": self.lam,
                 "rho0": self.rho0, "rho1": self.rho1}.items()}


# --------------------------------------------------------------------------------------------------
# The losses of spec §2.1
# --------------------------------------------------------------------------------------------------

_R = sp.Interval(-sp.oo, sp.oo)


def _logistic_numeric() -> tuple[Callable[[np.ndarray], np.ndarray], ...]:
    return (
        lambda z: np.logaddexp(0.0, -np.asarray(z, dtype=np.float64)),
        lambda z: -expit(-np.asarray(z, dtype=np.float64)),
        lambda z: expit(np.asarray(z, dtype=np.float64)) * expit(-np.asarray(z, dtype=np.float64)),
    )


LOGISTIC = Loss("logistic", ((sp.log(1 + sp.exp(-x)), _R),),
                "log(1 + e^{-x}); also the binary cross-entropy of a sigmoid output with ±1 labels",
                numeric=_logistic_numeric())
SQUARED_HINGE = Loss("squared_hinge", (((1 - x) ** 2, sp.Interval.open(-sp.oo, 1)), (sp.Integer(0), sp.Interval(1, sp.oo))),
                     "(1 − x)_+²")
HUBERIZED_HINGE = Loss("huberized_hinge",
                       ((sp.Rational(1, 2) - x, sp.Interval(-sp.oo, 0)), ((1 - x) ** 2 / 2, sp.Interval.open(0, 1)),
                        (sp.Integer(0), sp.Interval(1, sp.oo))),
                       "1/2 − x (x ≤ 0), (1 − x)²/2 (0 < x < 1), 0 (x ≥ 1)")
#: (1 − x)^q on [0, 1] with its tangent line for x < 0; q = 1/(1 − p) = 3 gives p = 2/3 ∈ (1/2, 1).
POLY_TAIL_Q = 3
POLY_TAIL = Loss("poly_tail",
                 ((1 - POLY_TAIL_Q * x, sp.Interval(-sp.oo, 0)), ((1 - x) ** POLY_TAIL_Q, sp.Interval.open(0, 1)),
                  (sp.Integer(0), sp.Interval(1, sp.oo))),
                 f"(1 − x)^{POLY_TAIL_Q} on [0, 1] with a linear tail 1 − {POLY_TAIL_Q}x for x < 0 (p = 1 − 1/q)")
EXPONENTIAL = Loss("exponential", ((sp.exp(-x), _R),), "e^{-x}")
HINGE = Loss("hinge", ((1 - x, sp.Interval.open(-sp.oo, 1)), (sp.Integer(0), sp.Interval(1, sp.oo))), "(1 − x)_+")
SQUARE = Loss("square", (((1 - x) ** 2, _R),), "(1 − x)²")

LOSSES: dict[str, Loss] = {loss.name: loss for loss in
                           (LOGISTIC, SQUARED_HINGE, HUBERIZED_HINGE, POLY_TAIL, EXPONENTIAL, HINGE, SQUARE)}


def get(name: str) -> Loss:
    try:
        return LOSSES[name]
    except KeyError:
        raise KeyError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}") from None


# --------------------------------------------------------------------------------------------------
# Derivations
# --------------------------------------------------------------------------------------------------


def _assumption31(loss: Loss) -> tuple[bool, str]:
    """ℓ continuous at the kinks, every piece non-increasing, ℓ → 0 and ℓ′ → 0 at +∞."""
    for (e1, i1), (e2, i2) in zip(loss.pieces, loss.pieces[1:]):
        if sp.simplify(sp.limit(e1, x, i1.end, "-") - e2.subs(x, i2.start)) != 0:
            return False, f"discontinuous at x = {i1.end}"
    for e, iv in loss.pieces:
        rising = sp.solveset(sp.diff(e, x) > 0, x, iv)
        if rising != sp.S.EmptySet:
            return False, f"ℓ′ > 0 on {rising}"
    last = loss.pieces[-1][0]
    if sp.limit(last, x, sp.oo) != 0 or sp.limit(sp.diff(last, x), x, sp.oo) != 0:
        return False, "ℓ or ℓ′ does not vanish at +∞"
    return True, ""


def _smoothness(loss: Loss) -> tuple[sp.Expr | None, str]:
    """λ = sup |ℓ″| over the pieces, provided ℓ′ is continuous (else no λ exists: ℓ′ is not Lipschitz)."""
    for (e1, i1), (e2, i2) in zip(loss.pieces, loss.pieces[1:]):
        jump = sp.simplify(sp.limit(sp.diff(e1, x), x, i1.end, "-") - sp.diff(e2, x).subs(x, i2.start))
        if jump != 0:
            return None, f"ℓ′ jumps by {jump} at x = {i1.end}: not differentiable, no λ"
    from sympy.calculus.util import maximum

    lam = sp.Max(*[maximum(sp.Abs(sp.diff(e, x, 2)), x, iv) for e, iv in loss.pieces])
    return lam, "" if lam.is_finite else "sup |ℓ″| = ∞"


def _ratio_on_piece(expr: sp.Expr, point: sp.Expr, p: sp.Expr) -> sp.Expr:
    """−ℓ′/ℓ^p on a piece that vanishes at ``point`` from the left (substituting x = point − u, u > 0)."""
    return sp.simplify((-sp.diff(expr, x) / expr**p).subs(x, point - _u))


def _derive(loss: Loss) -> Constants:
    ok31, why31 = _assumption31(loss)
    lam, why33 = _smoothness(loss)
    why = {"3.1": why31, "3.3": why33}
    name = loss.name
    if name == "logistic":
        ell = loss.pieces[0][0]
        # −ℓ′ = 1 − e^{−ℓ} exactly; t ↦ (1 − e^{−t})/min(1, t) is decreasing on (0, 1] and increasing on [1, ∞),
        # so its minimum 1 − e^{−1} is at t = 1 (α0 = α1); its supremum 1 (t → 0 and t → ∞) gives ρ0 = ρ1 = 1.
        assert sp.simplify(-sp.diff(ell, x) - (1 - sp.exp(-ell))) == 0
        # d/dt (1 − e^{−t})/t = N(t)/t² with N(0) = 0 and N′(t) = −t e^{−t} < 0, so N < 0: decreasing.
        numerator = sp.simplify(sp.diff((1 - sp.exp(-_t)) / _t, _t) * _t**2)
        assert numerator.subs(_t, 0) == 0 and sp.simplify(sp.diff(numerator, _t)).is_negative
        alpha = (1 - sp.exp(-_t)).subs(_t, 1)
        rho = sp.Max(sp.limit((1 - sp.exp(-_t)) / _t, _t, 0), sp.limit(1 - sp.exp(-_t), _t, sp.oo))
        return Constants(alpha, alpha, sp.Integer(1), lam, rho, rho, ok31, why)
    if name in ("squared_hinge", "huberized_hinge", "poly_tail"):
        # The piece that ends at the zero x = 1 has −ℓ′ = α1 ℓ^p exactly, p = 1 − 1/(its degree).
        expr, iv = [(e, i) for e, i in loss.pieces if e != 0][-1]
        degree = sp.degree(sp.expand(expr), x)
        p = 1 - sp.Rational(1, degree)
        alpha1 = _ratio_on_piece(expr, sp.Integer(1), p)
        assert alpha1.is_number, f"{name}: −ℓ′/ℓ^p is not constant on the last piece"
        if len(loss.pieces) == 2:          # squared hinge: one polynomial piece on (−∞, 1): α0 = ρ0 = ∞
            return Constants(sp.oo, alpha1, p, lam, sp.oo, alpha1, ok31, why)
        # Linear left piece: −ℓ′ = c there, and α1 ℓ^p ≥ c on it, so min{α0, α1ℓ^p} ≤ c forces α0 = c = ρ0.
        left = loss.pieces[0][0]
        c = -sp.diff(left, x)
        assert sp.minimum(alpha1 * left**p, x, loss.pieces[0][1]) >= c
        return Constants(c, alpha1, p, lam, c, alpha1, ok31, why)
    if name == "exponential":
        ell = loss.pieces[0][0]
        ratio = sp.simplify(-sp.diff(ell, x) / ell)  # = 1: −ℓ′ = ℓ, p = 1, α0 = ρ0 = ∞
        return Constants(sp.oo, ratio, sp.Integer(1), lam, sp.oo, ratio, ok31, why)
    if name == "hinge":
        # −ℓ′ = 1 on x < 1 (where ℓ > 0) and ℓ is unbounded: α0 = 1, and any α1 with p ∈ (0, 1]; no ρ1 exists
        # because |ℓ′| = 1 while ℓ^p → 0 as x → 1⁻.
        rho1_needed = sp.limit(1 / (1 - x) ** sp.Integer(1), x, 1, "-")
        why["4.4"] = f"|ℓ′|/ℓ^p → {rho1_needed} as x → 1⁻: no finite ρ1"
        return Constants(sp.Integer(1), sp.Integer(1), sp.Integer(1), lam, sp.Integer(1), None, ok31, why)
    if name == "square":
        why["3.2"] = "Assumption 3.1 fails (ℓ′ > 0 for x > 1), the others are not considered"
        return Constants(None, None, None, lam, None, None, ok31, why)
    raise KeyError(name)


@functools.lru_cache(maxsize=None)
def constants(name: str) -> Constants:
    """The derived constants of loss ``name`` (sympy; cached)."""
    return _derive(get(name))


def satisfies(name: str) -> dict[str, bool]:
    """Which of Assumptions 3.1, 3.2, 3.3, 4.4 the loss satisfies (from the derived constants)."""
    c = constants(name)
    return {"3.1": c.assumption31, "3.2": c.assumption31 and c.assumption32, "3.3": c.assumption33,
            "4.4": c.assumption31 and c.assumption44}


def slacks(loss: Loss, z: np.ndarray, c: Mapping[str, float]) -> dict[str, float]:
    """Smallest slack of each inequality on the grid ``z`` for the constants ``c`` (floats, inf allowed).

    Keys: ``monotone`` (−ℓ′), ``lower`` (−ℓ′ − min{α0, α1ℓ^p}), ``smooth`` (λ − |ℓ″|), ``upper``
    (min{ρ0, ρ1ℓ^p} − |ℓ′|). Negative = the inequality fails at some grid point.
    """
    ell, d1, d2 = loss.value(z), loss.d1(z), loss.d2(z)
    lp = np.power(np.maximum(ell, 0.0), c["p"])
    out = {"monotone": float(np.min(-d1)),
           "lower": float(np.min(-d1 - np.minimum(c["alpha0"], c["alpha1"] * lp))),
           "smooth": float(np.min(c["lambda"] - np.abs(d2)))}
    if c.get("rho0") is not None and c.get("rho1") is not None:
        out["upper"] = float(np.min(np.minimum(c["rho0"], c["rho1"] * lp) - np.abs(d1)))
    return out


def grid(lo: float = -40.0, hi: float = 40.0, points: int = 200_001, kinks: Sequence[float] = (0.0, 1.0)) -> np.ndarray:
    """A grid on [lo, hi] refined next to the kinks of the piecewise losses (both sides, down to 1e-12)."""
    near = np.concatenate([[k - e, k + e] for k in kinks for e in np.logspace(-12, -1, 23)])
    return np.unique(np.concatenate([np.linspace(lo, hi, points), near]))


def ell_at_zero(name: str) -> float:
    """ℓ(0), the level below which n·L_S forces zero training error (Corollary 4.3)."""
    return float(get(name).value(np.zeros(1))[0])


def is_finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)
