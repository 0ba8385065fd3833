"""Selecting check-cases from the registry and running them, for the CLI's ``check`` and ``report``.

Selectors are ``ID`` (every check of a lemma) or ``ID:check`` (one check); an unknown one raises
:class:`SelectionError` with a message listing what is allowed. A check-case that raises is recorded as a
:class:`RunError` (with its traceback) and the run goes on; an interrupt (Ctrl-C) stops the run and keeps
the results so far.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from lemmas.registry import Case, Check, Lemma, Mode, Settings, all_lemmas, get_lemma
from lemmas.report.progress import ProgressBar
from lemmas.result import CheckResult
from lemmas.trials import run_check


class SelectionError(ValueError):
    """A selector names no lemma, check or case of the registry."""


def resolve_lemma(lemma_id: str) -> Lemma:
    try:
        return get_lemma(lemma_id)
    except KeyError:
        known = ", ".join(lemma.id for lemma in all_lemmas())
        raise SelectionError(f"unknown lemma {lemma_id!r}; known lemmas: {known}") from None


def select(selectors: Sequence[str] | None, mode: Mode, case_label: str | None = None) -> list[tuple[Check, Case]]:
    """The (check, case) pairs of ``mode`` named by ``selectors`` (every registered one when empty),
    restricted to the case whose label is ``case_label`` when given."""
    if selectors:
        checks: list[Check] = []
        for selector in selectors:
            lemma_id, _, check_name = selector.partition(":")
            lemma = resolve_lemma(lemma_id)
            if not check_name:
                checks.extend(lemma.checks)
            elif check_name in {c.name for c in lemma.checks}:
                checks.append(lemma.check(check_name))
            else:
                names = ", ".join(c.name for c in lemma.checks) or "(none)"
                raise SelectionError(f"lemma {lemma.id} has no check {check_name!r}; its checks: {names}")
    else:
        checks = [c for lemma in all_lemmas() for c in lemma.checks]
    seen: set[str] = set()
    pairs = []
    for check in checks:
        if check.id in seen:
            continue
        seen.add(check.id)
        pairs.extend((check, case) for case in check.cases(mode))
    if case_label is not None:
        chosen = [(c, case) for c, case in pairs if case.label == case_label]
        if not chosen:
            labels = "; ".join(sorted({case.label for _, case in pairs})) or "(none)"
            raise SelectionError(f"no case labelled {case_label!r} in mode {mode.value}; cases: {labels}")
        pairs = chosen
    return pairs


def planned_trials(pairs: Sequence[tuple[Check, Case]], settings: Settings) -> int:
    return sum(settings.trials if settings.trials is not None else case.trials for _, case in pairs)


@dataclass
class RunError:
    """A check-case that raised instead of returning a result."""

    uid: str
    lemma: str
    check: str
    message: str
    traceback: str

    def to_dict(self) -> dict[str, Any]:
        return {"uid": self.uid, "lemma": self.lemma, "check": self.check, "message": self.message,
                "traceback": self.traceback}


@dataclass
class Run:
    results: list[CheckResult] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)
    interrupted: bool = False


def run_checks(
    pairs: Sequence[tuple[Check, Case]],
    settings: Settings,
    progress: ProgressBar | None = None,
    on_done: Callable[[CheckResult | RunError], None] | None = None,
) -> Run:
    """Run every pair in order; errors are recorded, an interrupt stops the run and keeps what is done.

    ``on_done`` is called with each result or error as soon as its check-case finishes.
    """
    run = Run()
    try:
        for check, case in pairs:
            uid = check.uid(case)
            planned = settings.trials if settings.trials is not None else case.trials
            callback = progress.task(uid, planned) if progress is not None else None
            done: CheckResult | RunError
            try:
                done = run_check(check, case, settings, progress=callback)
                run.results.append(done)
            except Exception as exc:  # noqa: BLE001 - recorded and reported, the run goes on
                assert check.lemma is not None
                done = RunError(uid, check.lemma.id, check.name, f"{type(exc).__name__}: {exc}", traceback.format_exc())
                run.errors.append(done)
            if on_done is not None:
                if progress is not None:
                    progress.clear()
                on_done(done)
    except KeyboardInterrupt:
        run.interrupted = True
    finally:
        if progress is not None:
            progress.close()
    return run
