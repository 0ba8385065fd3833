"""The slack map: how far each explicit constant of the registry can be pushed before a counterexample appears.

For every explicit constant (a quantity with a numeric factor: Du et al.'s 256, √(2π)/16, 2048/π, ...; Zou et
al.'s explicit constants) :func:`build_slack_map` runs the critical-value bisection of
:mod:`lemmas.auditing.critical` and records the bracket: "refuted at ×f, survived at ×g" (the paper's value can
be strengthened by less than f), or "no counterexample up to ×g". Constants the paper hides in O(·) have no
printed value to strengthen; for them the map shows the implied constant the exponent checks measured
(their calibrated constant, with the fitted exponent).

:func:`build_slack_map` returns data (:class:`SlackMap`); :func:`render_markdown` and :func:`render_html` turn it
into a fragment for the report, :func:`write_slack_map` writes ``slack_map.json``/``.md``/``.html``.
It is meant for ``lemmas report --full``: minutes per constant at the default budget.
"""

from __future__ import annotations

import html
import json
import math
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import sympy as sp

from lemmas.auditing.critical import critical_value
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
    """The bracket of one explicit constant."""

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
    status: str = ""
    probes: int = 0
    elapsed: float = 0.0
    checks: list[str] = field(default_factory=list)


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
    budget_per_constant: float
    elapsed: float

    def to_dict(self) -> dict[str, Any]:
        return _json_safe({"format": "lemmas-slack-map/1", **asdict(self)})


def numeric_factor(expr: sp.Expr) -> sp.Expr:
    """The product of the symbol-free factors of ``expr`` (e.g. 256 in 256n²log(n/δ)/λ0², 1/π in 2048n⁵/(πλ0⁴))."""
    expr = sp.factor_terms(sp.sympify(expr))
    factors = sp.Mul.make_args(expr)
    return sp.Mul(*[f for f in factors if not f.free_symbols])


def explicit_constants(lemmas: Iterable[Lemma]) -> list[tuple[Lemma, str]]:
    """(lemma, quantity) for every explicit constant: role in :data:`EXPLICIT_ROLES`, a numeric factor other
    than 0 and ±1, no reference to another quantity (whose own constant it would be), and not a numerical
    tolerance of a check (a name ending in "tolerance" or "_tol")."""
    found = []
    for lemma in lemmas:
        for name, quantity in lemma.quantities.items():
            expr = sp.sympify(quantity.expr)
            if quantity.role not in EXPLICIT_ROLES or TOLERANCE.search(name):
                continue
            if {s.name for s in expr.free_symbols} & set(lemma.quantities):
                continue
            if numeric_factor(expr) not in (sp.Integer(0), sp.Integer(1), sp.Integer(-1)):
                found.append((lemma, name))
    return found


def build_slack_map(
    lemmas: Sequence[Lemma] | None = None,
    *,
    results: Sequence[CheckResult] | None = None,
    budget_per_constant: float = 30.0,
    trials_per_constant: int | None = None,
    settings: Settings = Settings(mode=Mode.QUICK),
    max_factor: float = 4096.0,
    max_probes: int = 6,
    data_search: bool = True,
    progress: Callable[[str], None] | None = None,
) -> SlackMap:
    """The slack map of ``lemmas`` (default: the whole registry).

    Each constant gets ``budget_per_constant`` seconds (and at most ``trials_per_constant`` trials) shared by
    up to ``max_probes`` audits of the bisection. ``results``: check results of a run (e.g. ``lemmas report
    --full``) to read the implied constants from; without them the exponent checks are run here in
    ``settings.mode``. ``progress`` is called with "lemma:quantity" before each constant.
    """
    start = time.monotonic()
    lemmas = list(lemmas) if lemmas is not None else all_lemmas()
    entries: list[SlackEntry] = []
    skipped: list[dict[str, str]] = []
    for lemma, name in explicit_constants(lemmas):
        if progress is not None:
            progress(f"{lemma.id}:{name}")
        quantity = lemma.quantities[name]
        entry = SlackEntry(lemma.id, name, quantity.role, quantity.meaning, str(quantity.expr),
                           str(numeric_factor(quantity.expr)))
        try:
            found = critical_value(lemma, name, budget=budget_per_constant, trials=trials_per_constant, settings=settings,
                                   data_search=data_search, max_factor=max_factor, max_probes=max_probes)
        except ClaimError as exc:  # no (non-erratum) check evaluates it in this mode
            skipped.append({"lemma": lemma.id, "quantity": name, "reason": str(exc).split(";")[0]})
            continue
        kinds = {e.kind for e in found.final_audit.efforts}
        if kinds and kinds <= NO_SLACK_KINDS:
            skipped.append({"lemma": lemma.id, "quantity": name,
                            "reason": f"evaluated only by {', '.join(sorted(kinds))} checks (no inequality to strengthen)"})
            continue
        entry.direction, entry.direction_from = found.direction, found.direction_from
        entry.survived, entry.refuted, entry.status = found.survived, found.refuted, found.status()
        entry.probes, entry.elapsed = len(found.probes), sum(p.elapsed for p in found.probes)
        entry.checks = sorted({e.check for e in found.final_audit.efforts})
        entries.append(entry)
    implied = implied_constants(results if results is not None else _run_exponent_checks(lemmas, settings))
    return SlackMap(entries, implied, skipped, settings.seed, settings.mode.value, budget_per_constant,
                    time.monotonic() - start)


def _run_exponent_checks(lemmas: Sequence[Lemma], settings: Settings) -> list[CheckResult]:
    from lemmas.trials import run_check

    return [run_check(c, case, settings) for lemma in lemmas for c in lemma.checks if c.kind is Kind.EXPONENT
            for case in c.cases(settings.mode)]


def implied_constants(results: Iterable[CheckResult]) -> list[ImpliedConstant]:
    """The implied constants measured by the exponent checks among ``results``."""
    found = []
    for r in results:
        if r.kind != Kind.EXPONENT.value:
            continue
        ev = r.verdict.evidence or {}
        fit = ev.get("fit") or {}
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


def render_markdown(slack: SlackMap) -> str:
    """The slack map as a Markdown fragment (a section of the report)."""
    lines = [
        "## Slack map",
        "",
        f"How far each explicit constant can be strengthened before the counterexample search (budget "
        f"{slack.budget_per_constant:g} s per constant, seed {slack.seed}, {slack.mode} cases) refutes it. "
        "A refuted factor is a reproducible counterexample; a survived factor only means the search did not break it.",
        "",
        "| lemma | quantity | paper | strengthened by | survived | refuted | status |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in slack.entries:
        lines.append(f"| {e.lemma} | `{e.quantity}` | `{e.paper}` | {e.direction or '?'} value | {_factor(e.survived)} | "
                     f"{_factor(e.refuted)} | {e.status} |")
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
    rows = "".join(
        f"<tr><td>{esc(e.lemma)}</td><td><code>{esc(e.quantity)}</code></td><td><code>{esc(e.paper)}</code></td>"
        f"<td>{esc(e.direction or '?')}</td><td>{esc(_factor(e.survived))}</td><td>{esc(_factor(e.refuted))}</td>"
        f"<td>{esc(e.status)}</td></tr>" for e in slack.entries)
    implied = "".join(
        f"<tr><td>{esc(c.uid)}</td><td>{esc(c.quantity)}</td><td>{esc(c.variable)}</td><td>{c.claimed_exponent:g}</td>"
        f"<td>{esc(_number(c.fitted_exponent))}</td><td>{esc(_number(c.implied_constant))}</td><td>{esc(c.status)}</td></tr>"
        for c in slack.implied)
    skipped = "; ".join(f"{s['lemma']}:{s['quantity']} ({s['reason']})" for s in slack.skipped)
    return (
        '<section id="slack-map"><h2>Slack map</h2>'
        f"<p>How far each explicit constant can be strengthened before the counterexample search (budget "
        f"{slack.budget_per_constant:g} s per constant, seed {slack.seed}, {esc(slack.mode)} cases) refutes it. A refuted "
        "factor is a reproducible counterexample; a survived factor only means the search did not break it.</p>"
        "<table><tr><th>lemma</th><th>quantity</th><th>paper</th><th>stronger when</th><th>survived</th>"
        f"<th>refuted</th><th>status</th></tr>{rows}</table>"
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
