"""Auditing new bounds: a claimed constant, radius, width or rate either survives a counterexample search
or comes back refuted with a reproducible counterexample.

    >>> from lemmas.auditing import audit
    >>> result = audit("du2018.lemma3.2", set={"R": "0.5*delta*lambda0/n**2"}, budget="60s")
    >>> result.verdict, result.summary()

A claim sets quantities of a lemma (:class:`lemmas.symbolic.Quantity`) to expressions over the lemma's symbols,
parsed over a whitelist (:mod:`lemmas.auditing.parse`). The search (:mod:`lemmas.auditing.search`) runs the checks
that evaluate those quantities with every tool their kinds call for: the anytime-valid sequential test of
:mod:`lemmas.auditing.sequential` for probability claims, the checks' own adversarial trials with restarts for
worst-case claims, the checks' verdicts for aggregate claims, and a Hypothesis search over the data.
``critical=NAME`` bisects the factor on a constant at which a counterexample first appears
(:mod:`lemmas.auditing.critical`); :mod:`lemmas.auditing.slack_map` does so for every explicit constant.

Modules: ``parse`` (claims), ``sequential`` (the test), ``search`` (the search and counterexample files),
``critical`` (bisection), ``slack_map`` (the report page), ``cli`` (``lemmas audit``), ``pytest_helpers``
(``assert_survives`` for a user's CI).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from lemmas.auditing.parse import ClaimError, parse_assignments
from lemmas.auditing.search import AuditUsageError, Budget, CaseEffort, Counterexample, ProgressFn, Search, effort_dict, write_counterexample
from lemmas.registry import Lemma, Mode, Settings, all_lemmas, get_lemma
from lemmas.result import _json_safe
from lemmas.trials import environment

if TYPE_CHECKING:
    from lemmas.auditing.critical import CriticalResult

__all__ = ["AuditResult", "AuditUsageError", "ClaimError", "audit", "parse_budget", "resolve"]

SURVIVED, REFUTED = "survived", "refuted"


@dataclass
class AuditResult:
    """What an audit found: the verdict, the effort spent, the smallest margin, and the counterexample."""

    lemma: str
    claim: dict[str, str]
    checks: list[str]
    verdict: str
    interrupted: bool
    seed: int
    mode: str
    alpha: float
    budget_seconds: float | None
    max_trials: int | None
    elapsed: float
    trials: int
    restarts: int
    candidates: int
    smallest_margin: dict[str, Any] | None
    counterexample: Counterexample | None
    efforts: list[CaseEffort]
    skipped: list[str]
    notes: list[str]
    environment: dict[str, Any]
    counterexample_file: str | None = None
    replay_verified: bool | None = None
    critical: "CriticalResult | None" = None

    @property
    def refuted(self) -> bool:
        return self.verdict == REFUTED

    def to_dict(self) -> dict[str, Any]:
        data = {
            "format": "lemmas-audit/1",
            "lemma": self.lemma,
            "claim": self.claim,
            "checks": self.checks,
            "verdict": self.verdict,
            "interrupted": self.interrupted,
            "seed": self.seed,
            "mode": self.mode,
            "alpha": self.alpha,
            "effort": {"budget_seconds": self.budget_seconds, "max_trials": self.max_trials, "elapsed": self.elapsed,
                       "trials": self.trials, "restarts": self.restarts, "data_candidates": self.candidates},
            "smallest_margin": self.smallest_margin,
            "counterexample_file": self.counterexample_file,
            "replay_verified": self.replay_verified,
            "counterexample": None if self.counterexample is None else
            self.counterexample.replay_record(self.claim, self.environment)["audit"] | {"uid": self.counterexample.uid,
                                                                                         "index": self.counterexample.index},
            "searched": [effort_dict(e) for e in self.efforts],
            "not_affected": self.skipped,
            "notes": self.notes,
            "environment": self.environment,
        }
        if self.critical is not None:
            data["critical"] = self.critical.to_dict()
        return _json_safe(data)

    def summary(self) -> str:
        """The human-readable verdict: what was claimed, what was searched, what was found."""
        claim = ", ".join(f"{k} = {v}" for k, v in self.claim.items()) or "the statement as registered"
        lines = [f"audit of {self.lemma}: {claim}"]
        for effort in self.efforts:
            margin = "" if effort.smallest_relative_margin is None else f", smallest relative margin {effort.smallest_relative_margin:.3g}"
            extra = f", {effort.candidates} candidates ({effort.rejected} rejected)" if effort.source == "data search" else ""
            outside = f", {effort.outside} outside hypotheses" if effort.outside else ""
            lines.append(f"  {effort.uid} [{effort.strategy}]: {effort.trials} trials{extra}{outside}{margin}: {effort.decision}")
            lines.extend(f"      {note}" for note in effort.notes)
        if self.skipped:
            lines.append(f"  not affected by the claim: {', '.join(self.skipped)}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        budget = "unlimited" if self.budget_seconds is None else f"{self.budget_seconds:g} s"
        effort = (f"{self.trials} trials ({self.restarts} restarts of adversarial searches, {self.candidates} data candidates) "
                  f"in {self.elapsed:.1f} s of a {budget} budget" + (f", at most {self.max_trials} trials" if self.max_trials else ""))
        if self.refuted:
            cx = self.counterexample
            lines.append(f"REFUTED by {cx.uid}, trial {cx.index} ({cx.refutation}, found by {cx.found_by}): "
                         f"value {_g(cx.value)} against bound {_g(cx.bound)} (margin {_g(cx.margin)})")
            if cx.refutation == "sequential test":
                lines.append(f"  {cx.evidence.get('failures')} failures in {cx.evidence.get('trials')} trials; "
                             f"failure probability in {_interval(cx.evidence.get('failure_probability_cs'))}, "
                             f"δ = {cx.evidence.get('delta')}; e-value {_g(cx.evidence.get('e_value_fails'))} ≥ {_g(cx.evidence.get('threshold'))}")
            elif cx.evidence.get("summary"):
                lines.append(f"  {cx.evidence['summary']}")
            if cx.paper_holds_here is not None and self.claim:
                lines.append(f"  the paper's own statement on this trial: {'holds' if cx.paper_holds_here else 'fails too'}")
            if self.counterexample_file:
                check = "" if self.replay_verified is None else f" (replayed: {'bit for bit' if self.replay_verified else 'DIFFERS'})"
                lines.append(f"  counterexample: {self.counterexample_file}{check}; reproduce with `lemmas replay {self.counterexample_file}`")
            lines.append(f"  effort: {effort}")
        else:
            state = "interrupted; no counterexample so far" if self.interrupted else "no counterexample found"
            lines.append(f"SURVIVED ({state}): {effort}")
            if self.smallest_margin is not None:
                sm = self.smallest_margin
                lines.append(f"  smallest single-trial margin: {_g(sm.get('margin'))} (relative {_g(sm.get('relative_margin'))}) "
                             f"in {sm.get('uid')}" + (f", trial {sm['index']}" if sm.get("index") is not None else ""))
        if self.critical is not None:
            lines.append(self.critical.summary())
        return "\n".join(lines)

    def write(self, out: str | Path) -> list[Path]:
        """Write ``audit.json`` (and the counterexample file, if any and not yet written) into ``out``."""
        import json

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        if self.counterexample is not None and self.counterexample_file is None:
            path, identical = write_counterexample(self.counterexample, self.claim, out / _counterexample_name(self))
            self.counterexample_file, self.replay_verified = str(path), identical
            written.append(path)
        path = out / f"{_safe(self.lemma)}.audit.json"
        path.write_text(json.dumps(self.to_dict(), indent=1, sort_keys=True), encoding="utf-8")
        written.append(path)
        return written


def _g(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, (int, float)) else str(value)


def _interval(pair: Any) -> str:
    return f"[{pair[0]:.3g}, {pair[1]:.3g}]" if isinstance(pair, (list, tuple)) and len(pair) == 2 else "?"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)


def _counterexample_name(result: AuditResult) -> str:
    cx = result.counterexample
    return f"{_safe(result.lemma)}.{_safe(cx.check)}.counterexample.json"


# ---------------------------------------------------------------------------------------------------------
# The API.


def parse_budget(budget: str | float | int | None) -> float | None:
    """Seconds from ``60``, ``"60s"``, ``"2m"``, ``"1h"``, ``"500ms"`` (None: no time limit)."""
    if budget is None:
        return None
    if isinstance(budget, (int, float)) and not isinstance(budget, bool):
        seconds = float(budget)
    else:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s|sec|m|min|h)?\s*", str(budget))
        if not match:
            raise ClaimError(f"budget {budget!r}: expected a duration like 60s, 2m, 1h or 500ms")
        unit = {"ms": 1e-3, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}[match.group(2) or "s"]
        seconds = float(match.group(1)) * unit
    if not math.isfinite(seconds) or seconds <= 0:
        raise ClaimError(f"budget must be a positive duration, got {budget!r}")
    return seconds


def resolve(selector: str) -> tuple[Lemma, list[str] | None]:
    """``ID`` or ``ID:check[,check...]`` -> (lemma, check names or None for all); ClaimError lists what exists."""
    lemma_id, _, names = selector.partition(":")
    try:
        lemma = get_lemma(lemma_id)
    except KeyError:
        raise ClaimError(f"unknown lemma {lemma_id!r}; known lemmas: {', '.join(l.id for l in all_lemmas())}") from None
    if not names:
        return lemma, None
    checks = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in checks if n not in {c.name for c in lemma.checks}]
    if unknown:
        raise ClaimError(f"{lemma.id} has no check {', '.join(map(repr, unknown))}; its checks: {', '.join(c.name for c in lemma.checks)}")
    return lemma, checks


def audit(
    lemma_id: str,
    set: Mapping[str, str] | Sequence[str] | None = None,  # noqa: A002 - the CLI's --set
    budget: str | float | None = 60.0,
    trials: int | None = None,
    critical: str | None = None,
    *,
    seed: int | None = None,
    mode: Mode | str = Mode.DEFAULT,
    checks: Sequence[str] | None = None,
    alpha: float = 0.01,
    data_search: bool = True,
    out: str | Path | None = None,
    progress: ProgressFn | None = None,
) -> AuditResult:
    """Audit a claim about lemma ``lemma_id``: search for a counterexample within ``budget`` / ``trials``.

    ``set``: the claim, NAME -> EXPR (or "NAME=EXPR" strings); empty audits the statement as registered.
    ``budget``: seconds or a duration string ("60s"); ``trials``: a cap on the trials run.
    ``critical``: a quantity name: bisect the factor on it at which a counterexample first appears
    (see :func:`lemmas.auditing.critical.critical_value`); the result's ``critical`` holds the finding.
    ``seed``: the run seed (default: the package's); ``mode``: which cases the checks offer (quick, default, full);
    ``checks``: restrict to these check names (``lemma_id`` may also be ``ID:check``); ``alpha``: the level of
    the statistical refutations; ``data_search``: also search over the inputs with Hypothesis;
    ``out``: write ``<lemma>.audit.json`` and the counterexample file there; ``progress``: a callback.

    Raises :class:`ClaimError` (and its subclass :class:`AuditUsageError`) on bad usage. An interrupt
    (KeyboardInterrupt) ends the search early: the result says ``interrupted`` and keeps what was found.
    """
    lemma, selected = resolve(lemma_id)
    if checks:
        selected = list(checks)
        resolve(f"{lemma.id}:{','.join(selected)}")
    claim = parse_assignments(lemma, set or {})
    if trials is not None and int(trials) < 1:
        raise ClaimError(f"trials must be a positive integer, got {trials!r}")
    if not 0 < alpha < 1:
        raise ClaimError(f"alpha must lie in (0, 1), got {alpha}")
    settings = Settings(seed=Settings().seed if seed is None else int(seed), mode=Mode(mode), alpha=alpha)
    seconds = parse_budget(budget)
    if critical is not None:
        from lemmas.auditing.critical import critical_value

        found = critical_value(lemma, critical, base=claim, budget=seconds, trials=trials, settings=settings,
                               checks=selected, data_search=data_search, progress=progress)
        result = found.final_audit
        result.critical = found
    else:
        result = run_search(lemma, claim, settings, Budget(seconds, trials), checks=selected, data_search=data_search,
                            progress=progress)
    if out is not None:
        result.write(out)
    return result


def run_search(lemma: Lemma, claim: Mapping[str, Any], settings: Settings, budget: Budget, *,
               checks: Sequence[str] | None = None, data_search: bool = True, progress: ProgressFn | None = None) -> AuditResult:
    """One search on parsed overrides ``claim`` (the engine behind :func:`audit` and the bisection)."""
    search = Search(lemma, claim, settings, budget, checks=checks, data_search=data_search, progress=progress)
    interrupted = False
    try:
        search.run()
    except KeyboardInterrupt:
        interrupted = True
        search.notes.append("interrupted: the search stopped early; what it found so far is kept")
    restart_kinds = {"worst-case", "certificate", "conditional"}
    return AuditResult(
        lemma=lemma.id,
        claim=dict(search.claim),
        checks=[c.name for c in search.checks],
        verdict=REFUTED if search.counterexample is not None else SURVIVED,
        interrupted=interrupted,
        seed=settings.seed,
        mode=settings.mode.value,
        alpha=settings.alpha,
        budget_seconds=budget.seconds,
        max_trials=budget.trials,
        elapsed=budget.elapsed(),
        trials=budget.used_trials,
        restarts=sum(e.trials for e in search.efforts if e.kind in restart_kinds),
        candidates=sum(e.candidates for e in search.efforts),
        smallest_margin=search.best,
        counterexample=search.counterexample,
        efforts=search.efforts,
        skipped=search.skipped,
        notes=search.notes,
        environment=environment(),
    )
