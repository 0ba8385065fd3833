"""Named symbols with declared domains, and lemma quantities as sympy expressions over them.

Registry contract: every bound a check compares against is a :class:`Quantity` of its lemma, a sympy
expression over the shared symbols below (and over other quantities of the same lemma, referenced by name).
Checks never hard-code a bound: they ask a :class:`Bounds` evaluator for it, so that a test (a deliberately
wrong bound) or an audit (a user's claimed constant) can substitute any quantity by another expression.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import sympy as sp

# ---------------------------------------------------------------------------------------------------------
# Shared symbols. The domain is what an audit may substitute; the sympy assumptions mirror it.


@dataclass(frozen=True)
class Domain:
    """A real interval (lo, hi) with open/closed ends, and whether values must be integers."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False
    integer: bool = False

    def contains(self, value: float) -> bool:
        if self.integer and float(value) != int(value):
            return False
        above = value > self.lo if self.lo_open else value >= self.lo
        below = value < self.hi if self.hi_open else value <= self.hi
        return bool(above and below)

    def describe(self) -> str:
        left = "(" if self.lo_open else "["
        right = ")" if self.hi_open else "]"
        kind = "integer in " if self.integer else ""
        return f"{kind}{left}{self.lo:g}, {self.hi:g}{right}"


INF = float("inf")

#: name -> (sympy Symbol, Domain, meaning)
SYMBOLS: dict[str, tuple[sp.Symbol, Domain, str]] = {}


def _declare(name: str, domain: Domain, meaning: str, **assumptions: bool) -> sp.Symbol:
    symbol = sp.Symbol(name, real=True, **assumptions)
    SYMBOLS[name] = (symbol, domain, meaning)
    return symbol


n = _declare("n", Domain(1, INF, integer=True), "number of training inputs", positive=True, integer=True)
m = _declare("m", Domain(1, INF, integer=True), "width (number of hidden neurons)", positive=True, integer=True)
d = _declare("d", Domain(1, INF, integer=True), "input dimension", positive=True, integer=True)
delta = _declare("delta", Domain(0, 1, lo_open=True, hi_open=True), "failure probability", positive=True)
lambda0 = _declare("lambda0", Domain(0, 0.5, lo_open=True), "lambda_min(H^infinity)", positive=True)
R = _declare("R", Domain(0, INF, lo_open=True, hi_open=True), "perturbation radius per neuron", positive=True)
C = _declare("C", Domain(0, INF, lo_open=True, hi_open=True), "label bound |y_i| <= C", positive=True)
eta = _declare("eta", Domain(0, INF, lo_open=True, hi_open=True), "step size", positive=True)
t = _declare("t", Domain(0, INF, hi_open=True), "time (gradient flow) or step", nonnegative=True)
k = _declare("k", Domain(0, INF, integer=True), "iteration", nonnegative=True, integer=True)
L = _declare("L", Domain(1, INF, integer=True), "depth (number of trained hidden layers)", positive=True, integer=True)
omega = _declare("omega", Domain(0, INF, lo_open=True, hi_open=True), "spectral-norm perturbation budget", positive=True)
tau = _declare("tau", Domain(0, INF, lo_open=True, hi_open=True), "perturbation radius (Zou et al.)", positive=True)
phi = _declare("phi", Domain(0, 2, lo_open=True), "data separation (Zou et al.)", positive=True)
residual = _declare("residual", Domain(0, INF, hi_open=True), "initial residual ||y - u(0)||_2", nonnegative=True)
epsilon = _declare("epsilon", Domain(0, INF, lo_open=True, hi_open=True), "accuracy", positive=True)
kappa = _declare("kappa", Domain(0, 1, lo_open=True), "initialisation scale (Arora et al.)", positive=True)
d_out = _declare("d_out", Domain(1, INF, integer=True), "output dimension", positive=True, integer=True)


def symbol(name: str) -> sp.Symbol:
    """The shared symbol called ``name`` (KeyError lists the known names)."""
    try:
        return SYMBOLS[name][0]
    except KeyError:
        raise KeyError(f"unknown symbol {name!r}; known: {', '.join(sorted(SYMBOLS))}") from None


# ---------------------------------------------------------------------------------------------------------
# Quantities and their evaluation.


@dataclass(frozen=True)
class Quantity:
    """A named constant or bound of a lemma: a sympy expression with its provenance.

    ``expr`` may use shared symbols and the names of other quantities of the same lemma (as plain
    ``sympy.Symbol(name)``); :class:`Bounds` resolves those references, so overriding ``c`` changes ``R``.
    ``role`` is one of: constant, radius, width, step, rate, bound, probability.
    """

    name: str
    expr: sp.Expr
    meaning: str
    role: str = "bound"
    tag: str = "D"
    derivation: str = ""

    def latex(self) -> str:
        return sp.latex(self.expr)


def ref(name: str) -> sp.Symbol:
    """A reference to another quantity of the same lemma inside a quantity's expression."""
    return sp.Symbol(name, real=True)


@dataclass
class Bounds:
    """Evaluates a lemma's quantities, with optional overrides (wrong bounds in tests, claims in audits)."""

    quantities: Mapping[str, Quantity]
    overrides: Mapping[str, sp.Expr] = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        unknown = set(self.overrides) - set(self.quantities)
        if unknown:
            raise KeyError(
                f"cannot override {sorted(unknown)}: not quantities of this lemma "
                f"(quantities: {', '.join(sorted(self.quantities))})"
            )

    def expr(self, name: str) -> sp.Expr:
        """The fully resolved expression of quantity ``name`` in shared symbols only."""
        return self._resolve(name, ())

    def _resolve(self, name: str, stack: tuple[str, ...]) -> sp.Expr:
        if name in stack:
            raise ValueError(f"circular quantity reference: {' -> '.join(stack + (name,))}")
        overridden = name in self.overrides
        raw = sp.sympify(self.overrides[name] if overridden else self.quantities[name].expr)
        subs = {}
        for free in raw.free_symbols:
            if overridden and free.name == name:
                # Inside its own override a quantity's name means the paper's expression ("R/4": a quarter of R).
                subs[free] = Bounds(self.quantities, {k: v for k, v in self.overrides.items() if k != name})._resolve(name, ())
            elif free.name in self.quantities:
                subs[free] = self._resolve(free.name, stack + (name,))
            elif free.name in SYMBOLS:
                subs[free] = SYMBOLS[free.name][0]
        return raw.xreplace(subs)

    def __call__(self, name: str, **values: float) -> float:
        """Numeric value of quantity ``name`` at the given symbol values."""
        if name not in self._cache:
            expr = self.expr(name)
            args = sorted(expr.free_symbols, key=lambda s: s.name)
            self._cache[name] = (tuple(s.name for s in args), sp.lambdify(args, expr, modules="mpmath"))
        arg_names, fn = self._cache[name]
        missing = [a for a in arg_names if a not in values]
        if missing:
            raise KeyError(f"quantity {name!r} needs values for {missing}")
        return float(fn(*(values[a] for a in arg_names)))

    def is_overridden(self, name: str) -> bool:
        return name in self.overrides
