"""Critical values: the factor on a constant at which the counterexample search first succeeds.

``lemmas audit ID --critical NAME`` audits the claims NAME = f·(paper's NAME) for a sequence of strengthening
factors f (f > 1 makes the claim stronger: a larger radius or step, a smaller width, bound or failure
probability, whichever way the lemma's checks are hurt) and brackets the smallest f that is refuted:

1. the direction that strengthens the claim: from the checks' negative controls (the declared false claims
   say which way is false), else from a quantity built from it (a constant c in a radius R = cδλ0/n² moves
   the way that strengthens R), else from the quantity's role (radius, step: larger; width, probability:
   smaller), else by probing both ways;
2. f = 1 (the value as given); if it survives, f = 4, 16, 64, ... until a probe is refuted or ``max_factor``;
   if it is refuted, f = 1/4, 1/16, ... until one survives (the paper's value is then itself refuted);
3. bisection of log f between the last survivor and the first refuted probe, to ``tolerance``.

Every probe is a full audit (:func:`lemmas.auditing.run_search`) with a share of the budget; with a trial
cap and no time budget the bracket is the same on every machine (a probe that survives only because its time
ran out is marked ``time_limited``). A refuted probe is a reproducible counterexample, so the true critical
factor is at most the refuted f (up to the probes' level α for probability claims); a survived probe only
means that search did not break it, so the bracket [survived, refuted] is an estimate that tightens with the
budget. The *slack factor* of the paper's value is
the refuted f (the paper's constant can be strengthened by less than that), reported with the bracket.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import sympy as sp

from lemmas.auditing.parse import ClaimError, parse_claim, vocabulary
from lemmas.auditing.search import Budget, ProgressFn
from lemmas.registry import Lemma, Settings

if TYPE_CHECKING:
    from lemmas.auditing import AuditResult

#: Which way strengthens a claim, by quantity role (when no negative control says).
ROLE_DIRECTIONS = {"radius": "larger", "step": "larger", "width": "smaller", "probability": "smaller"}
#: Typical values of the shared symbols, to compare a negative control with the paper's expression.
TYPICAL = {"n": 8, "m": 1024, "d": 8, "delta": 0.1, "lambda0": 0.1, "R": 0.01, "C": 1.0, "eta": 0.01, "t": 1.0,
           "k": 10, "L": 3, "omega": 0.01, "tau": 0.01, "phi": 0.3, "residual": 1.0, "epsilon": 0.1, "kappa": 0.1,
           "d_out": 1}


@dataclass
class Probe:
    """One audit of the claim at strengthening factor ``factor`` in direction ``way``."""

    factor: float
    way: str
    claim: str
    verdict: str
    trials: int
    elapsed: float
    smallest_relative_margin: float | None
    counterexample: str | None
    time_limited: bool = False          # survived because the time budget ran out before the trial cap
    inside: int = 0                     # trials inside the lemma's hypotheses (only those can refute)

    @property
    def refuted(self) -> bool:
        return self.verdict == "refuted"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CriticalResult:
    """The bracket [survived, refuted] of strengthening factors on quantity ``name``."""

    lemma: str
    name: str
    reference: str
    direction: str | None
    direction_from: str
    max_factor: float
    tolerance: float
    probes: list[Probe] = field(default_factory=list)
    interrupted: bool = False
    final_audit: "AuditResult | None" = None

    def _mine(self) -> list[Probe]:
        return [p for p in self.probes if p.way == self.direction]

    @property
    def refuted(self) -> float | None:
        """The smallest refuted strengthening factor (None: nothing refuted)."""
        return min((p.factor for p in self._mine() if p.refuted), default=None)

    @property
    def survived(self) -> float | None:
        """The largest surviving factor below :attr:`refuted` (or overall, if nothing was refuted)."""
        ceiling = self.refuted if self.refuted is not None else math.inf
        return max((p.factor for p in self._mine() if not p.refuted and p.factor < ceiling), default=None)

    @property
    def given_refuted(self) -> bool:
        """Whether the value as given (factor 1) was refuted."""
        return any(p.factor == 1.0 and p.refuted for p in self.probes)

    @property
    def slack_factor(self) -> float | None:
        """The paper's value can be strengthened by less than this factor (None: no counterexample found)."""
        return self.refuted

    @property
    def time_limited(self) -> bool:
        """Whether a probe survived only because the clock stopped it: the bracket then depends on machine speed."""
        return any(p.time_limited for p in self.probes)

    def status(self) -> str:
        outside = " (no trial was inside the hypotheses)" if self.probes and not any(p.inside for p in self.probes) else ""
        if self.direction is None:
            reach = max((p.factor for p in self.probes), default=1.0)
            return f"no counterexample up to ×{reach:.4g} in either direction{outside}"
        refuted, survived = self.refuted, self.survived
        if refuted is None:
            return f"no counterexample up to ×{(survived or 1.0):.4g}{outside}"
        if refuted <= 1.0:
            return (f"the given value is refuted; survived at ×{survived:.4g}" if survived is not None
                    else f"the given value is refuted, and so is ×{refuted:.4g} (weakened)")
        return f"refuted at ×{refuted:.4g}, survived at ×{(survived or 1.0):.4g}"

    def summary(self) -> str:
        sense = {"larger": "a larger value strengthens the claim", "smaller": "a smaller value strengthens the claim",
                 None: "no direction found"}[self.direction]
        lines = [f"critical value of {self.name} (reference {self.reference}; {sense}, from {self.direction_from}): "
                 f"{self.status()}"]
        for p in self.probes:
            margin = "" if p.smallest_relative_margin is None else f", smallest relative margin {p.smallest_relative_margin:.3g}"
            lines.append(f"  ×{p.factor:<8.4g} {p.claim:<24} {p.verdict:<9} {p.trials} trials, {p.elapsed:.1f} s{margin}")
        if self.interrupted:
            lines.append("  (interrupted: the bracket is what was reached)")
        if self.time_limited:
            lines.append("  (a probe survived because its time budget ran out: set a trial cap for a reproducible bracket)")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lemma": self.lemma, "name": self.name, "reference": self.reference, "direction": self.direction,
            "direction_from": self.direction_from, "max_factor": self.max_factor, "tolerance": self.tolerance,
            "survived": self.survived, "refuted": self.refuted, "slack_factor": self.slack_factor,
            "status": self.status(), "interrupted": self.interrupted, "time_limited": self.time_limited,
            "probes": [p.to_dict() for p in self.probes],
        }


def scaled_claim(name: str, factor: float, way: str) -> str:
    """The claim at ``factor`` as text (6 significant digits, read back exactly)."""
    f = f"{factor:.6g}"
    return f"{f}*{name}" if way == "larger" else f"{name}/{f}"


def strengthening_direction(lemma: Lemma, name: str, reference: sp.Expr,
                            seen: frozenset[str] = frozenset()) -> tuple[str | None, str]:
    """"larger" or "smaller" (the way that makes a claim about ``name`` stronger) and where that came from:
    a negative control of ``name``; else the direction of a quantity built from ``name`` (a constant c inside a
    radius R = cδλ0/n² strengthens R the way it moves R); else the role of ``name``."""
    for check in lemma.checks:
        if name not in check.negative_control:
            continue
        try:
            wrong = parse_claim(lemma, name, check.negative_control[name])
        except ClaimError:
            continue
        ratio = _typical_ratio(lemma, wrong, reference)
        if ratio is not None and ratio != 1.0:
            return ("smaller" if ratio < 1.0 else "larger"), f"the negative control of check {check.name}"
    found = _direction_through_dependents(lemma, name, seen | {name})
    if found[0] is not None:
        return found
    role = lemma.quantities[name].role
    if role in ROLE_DIRECTIONS:
        return ROLE_DIRECTIONS[role], f"the role '{role}'"
    return None, "probing both ways"


def _direction_through_dependents(lemma: Lemma, name: str, seen: frozenset[str]) -> tuple[str | None, str]:
    """The strengthening direction of a quantity that refers to ``name``, carried back to ``name`` by whether
    that quantity grows or shrinks with it (at typical values)."""
    for dependent, quantity in lemma.quantities.items():
        expr = sp.sympify(quantity.expr)
        symbols = {s: 2 * s for s in expr.free_symbols if s.name == name}
        if dependent in seen or not symbols:
            continue
        way, source = strengthening_direction(lemma, dependent, expr, seen)
        if way is None:
            continue
        ratio = _typical_ratio(lemma, expr.xreplace(symbols), expr)
        if ratio is None or ratio == 1.0:
            continue
        grows = ratio > 1.0
        way = way if grows else {"larger": "smaller", "smaller": "larger"}[way]
        return way, f"{source} on {dependent}, which {'grows' if grows else 'shrinks'} with {name}"
    return None, "probing both ways"


def _typical_ratio(lemma: Lemma, wrong: sp.Expr, reference: sp.Expr) -> float | None:
    bounds = lemma.bounds()
    resolve = {sp.Symbol(q, real=True): bounds.expr(q) for q in lemma.quantities}
    ratio = sp.simplify(wrong.xreplace(resolve) / reference.xreplace(resolve))
    values = {s: TYPICAL.get(s.name, 0.5) for s in ratio.free_symbols}
    try:
        value = complex(sp.N(ratio.subs(values)))
    except (TypeError, ValueError):
        return None
    return value.real if value.imag == 0 and math.isfinite(value.real) and value.real > 0 else None


def critical_value(
    lemma: Lemma,
    name: str,
    *,
    base: Mapping[str, sp.Expr] | None = None,
    budget: float | None = 60.0,
    trials: int | None = None,
    settings: Settings = Settings(),
    checks: Sequence[str] | None = None,
    data_search: bool = True,
    progress: ProgressFn | None = None,
    max_factor: float = 4096.0,
    step: float = 4.0,
    tolerance: float = 1.25,
    max_probes: int = 12,
) -> CriticalResult:
    """Bracket the strengthening factor on quantity ``name`` at which the search first refutes the claim.

    ``base``: other claimed quantities (and possibly ``name`` itself: factors then scale that expression).
    ``budget`` and ``trials`` are shared by the probes (each gets ``1/max_probes`` of them).
    """
    from lemmas.auditing import run_search

    if name not in lemma.quantities:
        raise ClaimError(f"unknown quantity {name!r} of {lemma.id}; quantities: {', '.join(lemma.quantities)} "
                         f"(allowed in claims: {vocabulary(lemma).allowed()})")
    base = dict(base or {})
    reference = base.get(name, sp.sympify(lemma.quantities[name].expr))
    direction, source = strengthening_direction(lemma, name, reference)
    result = CriticalResult(lemma.id, name, str(reference), direction, source, max_factor, tolerance)
    audits: dict[tuple[float, str], Any] = {}
    probe_seconds = None if budget is None else budget / max_probes
    probe_trials = None if trials is None else max(1, trials // max_probes)

    def probe(factor: float, way: str) -> bool:
        rational = sp.Rational(f"{factor:.6g}")
        claim = {**base, name: reference * rational if way == "larger" else reference / rational}
        found = run_search(lemma, claim, settings, Budget(probe_seconds, probe_trials), checks=checks,
                           data_search=data_search, progress=progress)
        audits[(factor, way)] = found
        margin = found.smallest_margin["relative_margin"] if found.smallest_margin else None
        time_limited = not found.refuted and found.budget_seconds is not None and found.elapsed >= found.budget_seconds
        result.probes.append(Probe(factor, way, scaled_claim(name, factor, way), found.verdict, found.trials,
                                   found.elapsed, margin, found.counterexample.uid if found.counterexample else None,
                                   time_limited, sum(e.trials - e.outside for e in found.efforts)))
        if found.interrupted:
            raise KeyboardInterrupt
        return found.refuted

    def room() -> bool:
        return len(result.probes) < max_probes

    try:
        if result.direction is None:
            result.direction = _find_direction(probe, room, step, max_factor)
            if result.direction is not None:
                result.direction_from = "probing both ways"
        if result.direction is not None:
            _bracket(probe, room, result, step, max_factor, tolerance)
    except KeyboardInterrupt:
        result.interrupted = True
    key = (result.refuted, result.direction) if result.refuted is not None else (result.survived, result.direction)
    result.final_audit = audits.get(key) or (list(audits.values())[-1] if audits else None)
    if result.final_audit is None:
        raise ClaimError(f"no probe of {name} ran (budget too small?)")
    final = next(p for p in reversed(result.probes) if audits.get((p.factor, p.way)) is result.final_audit)
    result.final_audit.claim[name] = f"{final.claim}  (= {result.final_audit.claim[name]})"
    return result


def _find_direction(probe: Any, room: Any, step: float, max_factor: float) -> str | None:
    """Probe both ways at growing factors; the first way refuted is the strengthening one."""
    factor = step
    while factor <= max_factor and room():
        for way in ("larger", "smaller"):
            if room() and probe(factor, way):
                return way
        factor *= step
    return None


def _bracket(probe: Any, room: Any, result: CriticalResult, step: float, max_factor: float, tolerance: float) -> None:
    """Probe factor 1, expand until the verdict changes, then bisect log f to ``tolerance``."""
    way = result.direction
    if not any(p.factor == 1.0 and p.way == way for p in result.probes) and room():
        probe(1.0, way)
    if result.refuted is None:
        factor = (result.survived or 1.0) * step
        while factor <= max_factor and room() and not probe(factor, way):
            factor *= step
    elif result.survived is None:
        factor = min(result.refuted, 1.0) / step
        while factor >= 1.0 / max_factor and room() and probe(factor, way):
            factor /= step
    while result.refuted is not None and result.survived is not None and room() \
            and result.refuted / result.survived > tolerance:
        probe(math.sqrt(result.survived * result.refuted), way)
