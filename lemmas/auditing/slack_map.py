"""The slack map: how far each explicit constant of the registry can be pushed before a counterexample appears.

For every explicit constant (a quantity with a numeric factor: Du et al.'s 256, √(2π)/16, 2048/π, ...; Zou et
al.'s explicit constants) :func:`build_slack_map` runs the critical-value bisection of
:mod:`lemmas.auditing.critical` and records the bracket: "refuted at ×f, survived at ×g" (the paper's value can
be strengthened by less than f), or "no counterexample up to ×g". Constants the paper hides in O(·) have no
printed value to strengthen; for them the map shows the implied constant the exponent checks measured
(their calibrated constant, with the fitted exponent).

:func:`build_slack_map` returns data (:class:`SlackMap`); :func:`render_markdown` and :func:`render_html` turn it
into a fragment for the report, :func:`write_slack_map` writes ``slack_map.json``/``.md``/``.html``.
It is meant for ``lemmas report --full``.

The effort per constant is a trial count (shared by the probes of the bisection), so the page is the same on
every machine for the same seed; wall time is only a safety net: a bisection still running after
``budget_per_constant`` seconds is stopped, and its row says so (that bracket is not reproducible).
"""

from __future__ import annotations

import html
import json
import math
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import sympy as sp

from lemmas.auditing.critical import CriticalResult, critical_value
from lemmas.auditing.parse import ClaimError
from lemmas.registry import Kind, Lemma, Mode, Settings, all_lemmas
from lemmas.result import CheckResult, _json_safe

#: Roles of the quantities whose numeric factor is a constant worth a slack factor.
EXPLICIT_ROLES = frozenset({"constant", "radius", "width", "step", "bound", "probability"})
#: Names of check tolerances (numerical, not constants of a paper).
TOLERANCE = re.compile(r"(tolerance|_tol)$")
#: Check kinds whose verdict is an exact identity or a fit: they say nothing about the slack of a constant.
NO_SLACK_KINDS = frozenset({Kind.IDENTITY.value, Kind.EXPONENT.value, Kind.SYMBOLIC.value})


@dataclass
class SlackEntry:
    """The bracket of one explicit constant: ``factor`` is the paper's numeric constant in ``paper``, and
    ``critical`` the range of that constant at which the first counterexample appears (from the bracket)."""

    lemma: str
    quantity: str
    role: str
    meaning: str
    paper: str
    factor: str
    direction: str | None = None
    direction_from: str = ""
    survived: float | None = None
    refuted: float | None = None
    critical: list[float | None] | None = None
    status: str = ""
    probes: int = 0
    trials: int = 0
    elapsed: float = 0.0
    stopped_by_clock: bool = False
    checks: list[str] = field(default_factory=list)
    probe_log: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ImpliedConstant:
    """The constant hidden in an O(·) claim, as an exponent check measured it."""

    lemma: str
    uid: str
    quantity: str
    variable: str
    claimed_exponent: float
    fitted_exponent: float | None
    exponent_ci: list[float] | None
    implied_constant: float | None
    status: str


@dataclass
class SlackMap:
    entries: list[SlackEntry]
    implied: list[ImpliedConstant]
    skipped: list[dict[str, str]]
    seed: int
    mode: str
    trials_per_constant: int
    max_probes: int
    budget_per_constant: float | None
    elapsed: float

    def to_dict(self) -> dict[str, Any]:
        return _json_safe({"format": "lemmas-slack-map/1", **asdict(self)})


def numeric_factor(expr: sp.Expr) -> sp.Expr:
    """The product of the symbol-free factors of ``expr`` (e.g. 256 in 256n²log(n/δ)/λ0², 1/π in 2048n⁵/(πλ0⁴)),
    without its sign (sympy writes 256n²log(n/δ) as −256n²(log δ − log n): the sign belongs to the rest)."""
    expr = sp.factor_terms(sp.sympify(expr))
    factors = sp.Mul.make_args(expr)
    return sp.Abs(sp.Mul(*[f for f in factors if not f.free_symbols]))


def critical_constant(factor: sp.Expr, direction: str | None, survived: float | None,
                      refuted: float | None) -> list[float | None] | None:
    """[low, high]: the values of the paper's constant between the last surviving and the first refuted probe
    (None at an open end), from the bracket of strengthening factors."""
    if direction is None or (survived is None and refuted is None):
        return None
    value = float(factor)
    if direction == "larger":
        return [None if survived is None else value * survived, None if refuted is None else value * refuted]
    return [None if refuted is None else value / refuted, None if survived is None else value / survived]


def explicit_constants(lemmas: Iterable[Lemma]) -> list[tuple[Lemma, str]]:
    """(lemma, quantity) for every explicit constant: role in :data:`EXPLICIT_ROLES`, a numeric factor other
    than 0, ±1 and ∞, no reference to another quantity (whose own constant it would be), and not a numerical
    tolerance of a check (a name ending in "tolerance" or "_tol")."""
    found = []
    for lemma in lemmas:
        for name, quantity in lemma.quantities.items():
            expr = sp.sympify(quantity.expr)
            if quantity.role not in EXPLICIT_ROLES or TOLERANCE.search(name):
                continue
            if {s.name for s in expr.free_symbols} & set(lemma.quantities):
                continue
            factor = numeric_factor(expr)
            if factor.is_finite and factor not in (sp.Integer(0), sp.Integer(1)):
                found.append((lemma, name))
    return found


def build_slack_map(
    lemmas: Sequence[Lemma] | None = None,
    *,
    results: Sequence[CheckResult] | None = None,
    trials_per_constant: int = 120,
    budget_per_constant: float | None = 600.0,
    settings: Settings = Settings(mode=Mode.QUICK),
    max_factor: float = 4096.0,
    max_probes: int = 6,
    data_search: bool = True,
    progress: Callable[[str], None] | None = None,
) -> SlackMap:
    """The slack map of ``lemmas`` (default: the whole registry).

    Each constant gets ``trials_per_constant`` trials, shared equally by up to ``max_probes`` audits of the
    bisection, searched on the checks that bound something (not identities, fits or derivations), in
    ``settings.mode``. ``budget_per_constant``: the wall-clock safety net in seconds (None: none); a
    bisection stopped by it keeps its probes so far and is marked. ``results``: check results of a run (e.g.
    ``lemmas report --full``) to read the implied constants from; without them the exponent checks are run
    here in ``settings.mode``. ``progress`` is called with "lemma:quantity" before each constant.
    """
    start = time.monotonic()
    lemmas = list(lemmas) if lemmas is not None else all_lemmas()
    entries: list[SlackEntry] = []
    skipped: list[dict[str, str]] = []
    for lemma, name in explicit_constants(lemmas):
        if progress is not None:
            progress(f"{lemma.id}:{name}")
        checks = [c.name for c in lemma.checks if c.erratum is None and c.kind.value not in NO_SLACK_KINDS]
        if not checks:
            skipped.append({"lemma": lemma.id, "quantity": name,
                            "reason": "only identity, exponent or symbolic checks (no inequality to strengthen)"})
            continue
        clock = SafetyNet(budget_per_constant)
        try:
            found = critical_value(lemma, name, budget=None, trials=trials_per_constant, settings=settings, checks=checks,
                                   data_search=data_search, max_factor=max_factor, max_probes=max_probes, progress=clock)
        except ClaimError as exc:  # no check bounding something evaluates it in this mode
            skipped.append({"lemma": lemma.id, "quantity": name, "reason": str(exc).split(";")[0]})
            continue
        except Exception as exc:  # noqa: BLE001 - a check that breaks under the search: listed, not fatal to the page
            skipped.append({"lemma": lemma.id, "quantity": name, "reason": f"the search raised {type(exc).__name__}: {exc}"})
            continue
        if found.interrupted and not clock.expired:
            raise KeyboardInterrupt
        entries.append(slack_entry(lemma, name, found, clock))
    implied = implied_constants(results if results is not None else _run_exponent_checks(lemmas, settings))
    return SlackMap(entries, implied, skipped, settings.seed, settings.mode.value, trials_per_constant, max_probes,
                    budget_per_constant, time.monotonic() - start)


def slack_entry(lemma: Lemma, name: str, found: CriticalResult, clock: "SafetyNet") -> SlackEntry:
    """The row of constant ``name`` from its bisection (no critical constant where no trial of any probe was
    inside the lemma's hypotheses: such a bracket says nothing about the constant)."""
    quantity = lemma.quantities[name]
    factor = numeric_factor(quantity.expr)
    inside = any(p.inside for p in found.probes)
    stopped = f" (stopped by the {clock.seconds:g}-s safety net: not reproducible)" if clock.expired else ""
    return SlackEntry(
        lemma.id, name, quantity.role, quantity.meaning, str(quantity.expr), str(factor),
        direction=found.direction, direction_from=found.direction_from, survived=found.survived, refuted=found.refuted,
        critical=critical_constant(factor, found.direction, found.survived, found.refuted) if inside else None,
        status=found.status() + stopped, probes=len(found.probes), trials=sum(p.trials for p in found.probes),
        elapsed=sum(p.elapsed for p in found.probes), stopped_by_clock=clock.expired,
        checks=sorted({e.check for e in found.final_audit.efforts}), probe_log=[p.to_dict() for p in found.probes],
    )


class SafetyNet:
    """A search's progress callback that interrupts it once ``seconds`` of wall time have passed (None: never).
    The effort is the trial count; this only stops a bisection that would take unreasonably long."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.expired = False

    def __call__(self, snapshot: Mapping[str, Any]) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.expired = True
            raise KeyboardInterrupt


def _run_exponent_checks(lemmas: Sequence[Lemma], settings: Settings) -> list[CheckResult]:
    from lemmas.trials import run_check

    return [run_check(c, case, settings) for lemma in lemmas for c in lemma.checks if c.kind is Kind.EXPONENT
            for case in c.cases(settings.mode)]


def implied_constants(results: Iterable[CheckResult]) -> list[ImpliedConstant]:
    """The implied constants measured by the exponent checks among ``results`` (those judged by a fitted
    exponent: an exponent check with another verdict, e.g. a certified slope, has no claimed exponent)."""
    found = []
    for r in results:
        ev = r.verdict.evidence or {}
        if r.kind != Kind.EXPONENT.value or "fit" not in ev:
            continue
        fit = ev["fit"] or {}
        constant = ev.get("calibrated_constant")
        found.append(ImpliedConstant(
            r.lemma, r.uid, r.verdict.quantity, str(ev.get("variable", "")), float(r.verdict.bound),
            fit.get("exponent"), fit.get("ci"),
            float(constant) if isinstance(constant, (int, float)) and math.isfinite(constant) else None,
            r.status.value,
        ))
    return found


# ---------------------------------------------------------------------------------------------------------
# Rendering.


def _factor(value: float | None) -> str:
    return "—" if value is None else f"×{value:.3g}"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def _range(values: list[float | None] | None) -> str:
    """[low, high] of the critical constant as text: "0.25 … 1", "≤ 3", "≥ 0.5"."""
    if not values:
        return "—"
    low, high = values
    if low is not None and high is not None:
        return f"{low:.3g} … {high:.3g}"
    return f"≥ {low:.3g}" if low is not None else f"≤ {high:.3g}"


def _introduction(slack: SlackMap) -> str:
    net = "" if slack.budget_per_constant is None else f"; wall-clock safety net {slack.budget_per_constant:g} s"
    return (f"How far each explicit constant can be strengthened before the counterexample search refutes it "
            f"({slack.trials_per_constant} trials per constant over at most {slack.max_probes} probes, seed "
            f"{slack.seed}, {slack.mode} cases{net}). \"critical constant\": the paper's constant between the last "
            "surviving and the first refuted probe. A refuted factor is a reproducible counterexample; a survived "
            "factor only means the search did not break it.")


def _constant(text: str) -> str:
    """The paper's constant, with its decimal value when it is not a plain number (√(2π)/16 ≈ 0.1567)."""
    value = sp.sympify(text)
    return text if value.is_Rational or value.is_Float else f"{text} ≈ {float(value):.4g}"


def _columns(e: SlackEntry) -> list[str]:
    return [e.lemma, e.quantity, e.paper, _constant(e.factor), f"{e.direction or '?'} value", _factor(e.survived), _factor(e.refuted),
            _range(e.critical), e.status]


HEADERS = ["lemma", "quantity", "paper", "constant", "stronger when", "survived", "refuted", "critical constant", "status"]


def render_markdown(slack: SlackMap) -> str:
    """The slack map as a Markdown fragment (a section of the report)."""
    lines = ["## Slack map", "", _introduction(slack), "", "| " + " | ".join(HEADERS) + " |", "|---" * len(HEADERS) + "|"]
    for e in slack.entries:
        cells = _columns(e)
        cells[1], cells[2], cells[3] = f"`{cells[1]}`", f"`{cells[2]}`", f"`{cells[3]}`"
        lines.append("| " + " | ".join(cells) + " |")
    if slack.implied:
        lines += ["", "### Constants hidden in O(·): implied constants measured", "",
                  "| check | quantity | variable | claimed exponent | fitted exponent (95% CI) | implied constant | status |",
                  "|---|---|---|---|---|---|---|"]
        for c in slack.implied:
            ci = f" [{c.exponent_ci[0]:.3g}, {c.exponent_ci[1]:.3g}]" if c.exponent_ci else ""
            lines.append(f"| {c.uid} | {c.quantity} | {c.variable} | {c.claimed_exponent:g} | "
                         f"{_number(c.fitted_exponent)}{ci} | {_number(c.implied_constant)} | {c.status} |")
    if slack.skipped:
        lines += ["", "Not mapped: " + "; ".join(f"{s['lemma']}:{s['quantity']} ({s['reason']})" for s in slack.skipped)]
    return "\n".join(lines) + "\n"


def render_html(slack: SlackMap) -> str:
    """The slack map as an HTML fragment (``<section id="slack-map">``) for the report's index page."""
    esc = html.escape
    code = {1, 2, 3}
    rows = "".join(
        "<tr>" + "".join(f"<td><code>{esc(c)}</code></td>" if i in code else f"<td>{esc(c)}</td>"
                         for i, c in enumerate(_columns(e))) + "</tr>" for e in slack.entries)
    implied = "".join(
        f"<tr><td>{esc(c.uid)}</td><td>{esc(c.quantity)}</td><td>{esc(c.variable)}</td><td>{c.claimed_exponent:g}</td>"
        f"<td>{esc(_number(c.fitted_exponent))}</td><td>{esc(_number(c.implied_constant))}</td><td>{esc(c.status)}</td></tr>"
        for c in slack.implied)
    skipped = "; ".join(f"{s['lemma']}:{s['quantity']} ({s['reason']})" for s in slack.skipped)
    return (
        '<section id="slack-map"><h2>Slack map</h2>'
        f"<p>{esc(_introduction(slack))}</p>"
        "<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in HEADERS) + f"</tr>{rows}</table>"
        + (f"<h3>Constants hidden in O(·): implied constants measured</h3><table><tr><th>check</th><th>quantity</th>"
           f"<th>variable</th><th>claimed exponent</th><th>fitted exponent</th><th>implied constant</th><th>status</th></tr>"
           f"{implied}</table>" if slack.implied else "")
        + (f"<p>Not mapped: {esc(skipped)}</p>" if skipped else "")
        + "</section>"
    )


def write_slack_map(slack: SlackMap, out: str | Path) -> list[Path]:
    """Write ``slack_map.json`` (the data), ``slack_map.md`` and a standalone ``slack_map.html`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "slack_map.json", out / "slack_map.md", out / "slack_map.html"]
    paths[0].write_text(json.dumps(slack.to_dict(), indent=1, sort_keys=True), encoding="utf-8")
    paths[1].write_text(render_markdown(slack), encoding="utf-8")
    paths[2].write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>Slack map</title></head><body>"
                        f"{render_html(slack)}</body></html>", encoding="utf-8")
    return paths
