"""Counterexample search for a claim about a lemma: every tool its checks' kinds call for, on one budget.

An audit replaces some quantities of a lemma by the user's expressions and tries to break the lemma's checks
with them. Each check is searched by what its kind calls for:

* **probability** claims ("with probability ≥ 1 − δ"): trials one at a time into the anytime-valid
  sequential test of :mod:`lemmas.auditing.sequential`, until it decides or the budget runs out;
* **deterministic** claims (worst-case, certificate, conditional, identity checks whose trials decide alone):
  the check's own adversarial trials, then, for worst-case, conditional and certificate checks, more of them
  as restarts (a trial index beyond the case's count is a fresh restart); one trial inside the hypotheses
  that the check's own verdict fails is a counterexample;
* **aggregate** claims (fitted exponents, moment oracles: only the whole case decides): the check's cases,
  run as the check runs them, judged by the check's verdict;
* **data**: a Hypothesis search over the case parameters (sizes, seeds, δ, ... within the ranges the check's
  cases span, small sizes first), whose shrinking returns a counterexample as small as it can be made. The
  data seed and the trial index are part of the generated example, so shrinking is deterministic.

Trials run exactly as :func:`lemmas.trials.run_trial` runs them (generator from the run seed, the check-case
uid and the index), so every counterexample is a replay file that ``lemmas replay FILE`` reproduces bit for
bit. Hypotheses are checked on every candidate: a trial outside them is never a counterexample, and a
candidate that the check's own input validation refuses, or on which the claim leaves its domain, is
rejected, not counted.

Statistical levels: a deterministic counterexample is exact (up to the check's ambiguity rule). The
sequential tests of the registered cases share α (Bonferroni; α/2 when the data search also tests
probability claims, and then spends the other α/2 over its candidates, α/2 · 6/(π² j²) for the j-th), so a
true probability claim is refuted with chance at most α.

Budget: half of it (time and trials) goes to the registered cases, half to the data search (all of it to the
registered cases when a data-search candidate would not fit). A trial still running at the end of the budget
is stopped (SIGALRM, main thread) a few seconds later.
"""

from __future__ import annotations

import importlib.util
import json
import math
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import sympy as sp

from lemmas.auditing.parse import ClaimError, paper_value_fits, quantity_domain
from lemmas.auditing.sequential import SequentialTest
from lemmas.registry import Case, Check, Kind, Lemma, Settings
from lemmas.result import Outcome, _json_safe
from lemmas.symbolic import SYMBOLS, Bounds, Domain
from lemmas.trials import environment, find_case, trial_replay_record, trial_rng

#: Called with a snapshot of the search (a dict) after every trial; the CLI draws a progress bar from it.
ProgressFn = Callable[[dict], None]

REGISTERED, DATA = "registered case", "data search"
SEQUENTIAL, RESTARTS, AGGREGATE = "sequential", "restarts", "aggregate"
#: A probability case whose first trials are all outside the hypotheses is abandoned after this many.
OUTSIDE_LIMIT = 10
#: Sizes the data search takes down to their domain's lower end; other sizes (widths, depths) go down to a
#: quarter of the smallest value the check's cases use, so that the search stays in the regime the check models.
SMALL_SIZES = frozenset({"n", "d"})
#: Kinds whose trials beyond a case's own count are fresh restarts of the same search.
RESTARTABLE = frozenset({Kind.WORST_CASE, Kind.CONDITIONAL, Kind.CERTIFICATE})
#: Seconds a trial may run past the end of the budget before it is stopped.
GRACE = 2.0
#: A case whose trials raise this many times is abandoned.
ERROR_LIMIT = 5
#: Observations written into a counterexample file for an aggregate refutation, at most.
MAX_RECORDED_OBSERVATIONS = 400


class AuditUsageError(ClaimError):
    """A claim the lemma's checks cannot evaluate (bad usage, exit status 2)."""


class ClaimDomainError(ValueError):
    """A claimed quantity evaluated outside its domain at some case."""


class TrialTimeout(Exception):
    """A trial stopped at its time limit (the end of the budget, or a data-search candidate's share)."""


class BudgetExhausted(Exception):
    """Raised inside the search to unwind when the time or trial budget is spent."""


class _Found(Exception):
    """Carries a counterexample out of a Hypothesis run."""

    def __init__(self, counterexample: "Counterexample") -> None:
        super().__init__("counterexample")
        self.counterexample = counterexample


# ---------------------------------------------------------------------------------------------------------
# Budget, bounds that record what a trial evaluates, and time limits.


@dataclass(frozen=True)
class Limit:
    """The end of one phase of a search: a monotonic time and/or a trial count (None: no such limit)."""

    deadline: float | None = None
    trials: int | None = None


@dataclass
class Budget:
    """Wall-clock seconds and/or a trial count; ``None`` means unlimited for that part."""

    seconds: float | None = 60.0
    trials: int | None = None
    start: float = field(default_factory=time.monotonic)
    used_trials: int = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def remaining(self) -> float:
        return math.inf if self.seconds is None else self.seconds - self.elapsed()

    def exhausted(self, limit: Limit | None = None) -> bool:
        if self.trials is not None and self.used_trials >= self.trials:
            return True
        if limit is not None:
            if limit.deadline is not None and time.monotonic() >= limit.deadline:
                return True
            if limit.trials is not None and self.used_trials >= limit.trials:
                return True
        return self.remaining() <= 0

    def limit(self, fraction: float) -> Limit:
        """The point at which ``fraction`` of what remains (time and trials) is spent."""
        deadline = None if self.seconds is None else time.monotonic() + max(self.remaining(), 0.0) * fraction
        trials = None if self.trials is None else self.used_trials + int(math.ceil((self.trials - self.used_trials) * fraction))
        return Limit(deadline, trials)


@dataclass
class AuditBounds(Bounds):
    """Bounds that record which quantities a trial evaluates (and with which symbols), and refuse values of
    the claimed quantities outside their domains."""

    affected: frozenset[str] = frozenset()
    domains: Mapping[str, Domain] = field(default_factory=dict)
    calls: dict[str, set[str]] = field(default_factory=dict)
    paper: Bounds | None = None

    def __call__(self, name: str, **values: float) -> float:
        self.calls.setdefault(name, set()).update(values)
        if name not in self.affected:
            return super().__call__(name, **values)
        try:
            value = super().__call__(name, **values)
        except TypeError:  # a complex value
            value = math.nan
        domain = self.domains.get(name)
        if math.isfinite(value) and (domain is None or domain.contains(value)):
            return value
        if not self._paper_fits(name, domain, values):
            return value  # the paper's own value leaves the domain here too (e.g. λ0 ≤ 0): the check's business
        where = f" (domain {domain.describe()})" if domain is not None else ""
        raise ClaimDomainError(f"{name} = {value:g} at {_fmt_values(values)}{where}")

    def _paper_fits(self, name: str, domain: Domain | None, values: Mapping[str, float]) -> bool:
        if self.paper is None:
            return True
        try:
            value = self.paper(name, **values)
        except (TypeError, KeyError):
            return False
        return math.isfinite(value) and (domain is None or domain.contains(value))


def _fmt_values(values: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v}" for k, v in sorted(values.items()))


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`TrialTimeout` in the block after ``seconds`` (main thread, POSIX; else no limit).

    The signal is handled between bytecodes, so a long BLAS call finishes first; chunked kernels return often.
    """
    usable = seconds is not None and math.isfinite(seconds) and hasattr(signal, "setitimer") \
        and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        if frame is not None and "hypothesis" in frame.f_code.co_filename:
            # inside Hypothesis' own bookkeeping (e.g. a gc callback, whose exceptions are swallowed): try again soon
            signal.setitimer(signal.ITIMER_REAL, 0.01)
            return
        raise TrialTimeout(f"trial longer than {seconds:.3g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(float(seconds), 1e-3))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def affected_quantities(lemma: Lemma, names: Sequence[str]) -> frozenset[str]:
    """``names`` and every quantity whose expression refers to one of them, transitively."""
    found = set(names)
    changed = True
    while changed:
        changed = False
        for qname, quantity in lemma.quantities.items():
            if qname in found:
                continue
            refs = {s.name for s in sp.sympify(quantity.expr).free_symbols}
            if refs & found:
                found.add(qname)
                changed = True
    return frozenset(found)


# ---------------------------------------------------------------------------------------------------------
# Results.


@dataclass
class Counterexample:
    """A trial (or a whole case) that refutes the claim, with what is needed to reproduce it."""

    lemma: str
    check: str
    kind: str
    uid: str
    case: dict[str, Any]
    seed: int
    index: int
    overrides: dict[str, str]
    observation: dict[str, Any]
    refutation: str                     # "single trial", "sequential test", "aggregate verdict"
    found_by: str                       # REGISTERED or DATA
    value: float | None
    bound: float | None
    margin: float | None
    hypotheses: dict[str, bool]
    evidence: dict[str, Any] = field(default_factory=dict)
    failing_trials: list[int] = field(default_factory=list)
    observations: list[dict[str, Any]] | None = None
    paper_holds_here: bool | None = None  # the paper's own statement on the same trial (single-trial refutations)

    def replay_record(self, claim: Mapping[str, str], env: Mapping[str, Any]) -> dict[str, Any]:
        """The file ``lemmas replay FILE`` reads: the common replay fields plus the audit's own section."""
        common = trial_replay_record(self.lemma, self.check, uid=self.uid, case=self.case, seed=self.seed, index=self.index,
                                     overrides=self.overrides, observation=self.observation, environment=env)
        return _json_safe({
            **common,
            "audit": {
                "claim": dict(claim),
                "kind": self.kind,
                "refutation": self.refutation,
                "found_by": self.found_by,
                "sizes": self.case,
                "two_sides": {"value": self.value, "bound": self.bound, "margin": self.margin},
                "hypotheses": self.hypotheses,
                "evidence": self.evidence,
                "failing_trials": self.failing_trials,
                "paper_statement_holds_on_this_trial": self.paper_holds_here,
                "observations": self.observations,
                "reproduce": "lemmas replay FILE (re-runs trial `index` bit for bit; the overrides are the claim)",
            },
        })


@dataclass
class CaseEffort:
    """The search spent on one check-case (or on one check's data search)."""

    check: str
    kind: str
    case: dict[str, Any]
    source: str
    strategy: str
    uid: str = ""
    trials: int = 0
    outside: int = 0
    rejected: int = 0
    candidates: int = 0
    smallest_margin: float | None = None
    smallest_relative_margin: float | None = None
    worst_trial: dict[str, Any] | None = None
    decision: str = "no counterexample"
    evidence: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def note_margin(self, margin: Any, value: Any, bound: Any, where: dict[str, Any]) -> None:
        if not isinstance(margin, (int, float)) or not math.isfinite(margin):
            return
        scale = max(abs(float(v)) for v in (value, bound, 1e-300) if isinstance(v, (int, float)) and math.isfinite(v))
        relative = float(margin) / scale
        if self.smallest_relative_margin is None or relative < self.smallest_relative_margin:
            self.smallest_margin = float(margin)
            self.smallest_relative_margin = relative
            self.worst_trial = {**where, "value": value, "bound": bound, "margin": float(margin)}


# ---------------------------------------------------------------------------------------------------------
# The search.


@dataclass
class _Plan:
    """What the pilot trial of a check-case found: whether the claim touches it, and how to search it."""

    check: Check
    case: Case
    strategy: str
    delta: float | None = None
    effort: CaseEffort | None = None
    test: SequentialTest | None = None
    next_index: int = 0
    done: bool = False
    observations: list[dict[str, Any]] = field(default_factory=list)


class Search:
    """One audit's search: registered cases first, then the data search, until refuted or out of budget.

    The state (efforts, counterexample, smallest margin) lives on the object, so an interrupt keeps it.
    """

    def __init__(
        self,
        lemma: Lemma,
        overrides: Mapping[str, sp.Expr],
        settings: Settings,
        budget: Budget,
        *,
        checks: Sequence[str] | None = None,
        data_search: bool = True,
        progress: ProgressFn | None = None,
    ) -> None:
        self.lemma = lemma
        self.overrides = dict(overrides)
        self.claim = {k: str(v) for k, v in self.overrides.items()}
        self.settings = settings
        self.budget = budget
        self.data_search = data_search
        self.progress = progress
        # As-printed statements the spec lists as errata are known to be false: audited only when named.
        self.checks = [lemma.check(name) for name in checks] if checks else [c for c in lemma.checks if c.erratum is None]
        self.affected = affected_quantities(lemma, list(self.overrides))
        domains = {}
        for name in self.affected:
            domain = quantity_domain(lemma, name)
            if domain is not None and paper_value_fits(lemma, name, domain):
                domains[name] = domain
        self.bounds = AuditBounds(lemma.quantities, self.overrides, affected=self.affected, domains=domains,
                                  paper=lemma.bounds())
        self.efforts: list[CaseEffort] = []
        self.skipped: list[str] = []
        self.notes: list[str] = []
        self.counterexample: Counterexample | None = None
        self.phase = "pilot"
        self.label = ""
        self.best: dict[str, Any] | None = None
        self._trial_seconds: dict[str, list[float]] = {}
        self._touched_cases: dict[str, list[Case]] = {}
        self._data_tests = 0

    # -- trials --------------------------------------------------------------------------------------

    def run_trial(self, check: Check, case: Case, index: int, timeout: float | None = None) -> tuple[dict, frozenset[str]]:
        """One trial as :func:`lemmas.trials.run_trial` runs it; returns (observation, quantities evaluated)."""
        if self.budget.trials is not None and self.budget.used_trials >= self.budget.trials:
            raise BudgetExhausted
        self.bounds.calls = {}
        rng = trial_rng(self.settings.seed, check.uid(case), index)
        start = time.perf_counter()
        if timeout is None and self.budget.seconds is not None:
            timeout = max(self.budget.remaining(), 0.0) + GRACE
        try:
            with time_limit(timeout):
                obs = check.trial(case.params, index, rng, self.bounds)
        finally:
            self.budget.used_trials += 1
        self._trial_seconds.setdefault(check.name, []).append(time.perf_counter() - start)
        return _json_safe(obs), frozenset(self.bounds.calls)

    def single_verdict(self, check: Check, case: Case, obs: dict) -> tuple[Any, frozenset[str]]:
        """The check's own verdict on this one observation (None if it cannot judge one trial)."""
        self.bounds.calls = {}
        try:
            verdict = check.verdict(case.params, [obs], self.bounds, self.settings)
        except (ClaimDomainError, KeyError):
            raise
        except Exception:  # noqa: BLE001 - e.g. a fit that needs several points: no single-trial verdict
            verdict = None
        return verdict, frozenset(self.bounds.calls)

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "label": self.label,
            "elapsed": self.budget.elapsed(),
            "budget": self.budget.seconds,
            "trials": self.budget.used_trials,
            "max_trials": self.budget.trials,
            "smallest_relative_margin": None if self.best is None else self.best["relative_margin"],
            "refuted": self.counterexample is not None,
        }

    def _note_best(self, effort: CaseEffort) -> None:
        if effort.smallest_relative_margin is None:
            return
        if self.best is None or effort.smallest_relative_margin < self.best["relative_margin"]:
            self.best = {"relative_margin": effort.smallest_relative_margin, "margin": effort.smallest_margin,
                         "check": effort.check, "uid": effort.uid, "source": effort.source, **(effort.worst_trial or {})}

    # -- orchestration -------------------------------------------------------------------------------

    def run(self) -> None:
        """Search until a counterexample is found or the budget is spent (raises KeyboardInterrupt through)."""
        try:
            plans = self._pilot()
            if self.counterexample is not None:
                return
            data_checks = self._data_checks(plans) if self.data_search and self._hypothesis_available() else []
            probability = [p for p in plans if p.strategy == SEQUENTIAL]
            share = 0.5 if data_checks and any(p.strategy == SEQUENTIAL for p in data_checks) else 1.0
            for plan in probability:
                plan.test = SequentialTest(plan.delta, self.settings.alpha * share / len(probability))
                plan.effort.evidence["alpha"] = plan.test.alpha
                self._feed_sequential(plan, plan.observations[0], 0)
            self.phase = "registered cases"
            self._registered(plans, self.budget.limit(0.5 if data_checks else 1.0))
            data_checks = [p for p in data_checks if self._affordable(p, len(data_checks))]
            if self.counterexample is None and data_checks:
                self.phase = "data search"
                self._data(data_checks, self.settings.alpha * (1 - share) if share < 1 else self.settings.alpha / 2)
            elif self.counterexample is None and not self.budget.exhausted():
                self._registered(plans, self.budget.limit(1.0))  # the data search cannot afford a candidate
            cx = self.counterexample
            if cx is not None and cx.refutation == "single trial":
                self.phase = "checking the paper's statement on the counterexample"
                check = self.lemma.check(cx.check)
                cx.paper_holds_here = self._paper_holds(check, replayable_case(check, cx.case), cx.index)
        except BudgetExhausted:
            pass
        finally:
            for effort in self.efforts:
                self._note_best(effort)

    def _pilot(self) -> list[_Plan]:
        """Trial 0 of every check-case: which quantities it evaluates, and so whether the claim touches it."""
        plans: list[_Plan] = []
        errors: list[str] = []
        for check in self.checks:
            for case in check.cases(self.settings.mode):
                if self.budget.exhausted():
                    self.notes.append(f"budget spent during the pilot trials; {check.uid(case)} and later cases not searched")
                    return plans
                self.label = check.uid(case)
                self._tick()
                try:
                    obs, used = self.run_trial(check, case, 0)
                    verdict, verdict_used = self.single_verdict(check, case, obs)
                except ClaimDomainError as exc:
                    raise AuditUsageError(f"the claim leaves its domain in {check.uid(case)}: {exc}") from None
                except KeyError as exc:
                    raise AuditUsageError(self._missing_values_message(check, case, exc)) from None
                except BudgetExhausted:
                    raise
                except TrialTimeout:
                    self.notes.append(f"{check.uid(case)} not searched: its first trial outlasted the budget (raise it)")
                    continue
                except Exception as exc:  # noqa: BLE001 - the case cannot run under the claim: reported, skipped
                    errors.append(f"{check.uid(case)}: {type(exc).__name__}: {exc}")
                    continue
                used = used | verdict_used
                if self.overrides and used and not used & self.affected:
                    continue  # the claim does not touch this case
                plan = _Plan(check, case, _strategy(check, obs, verdict), next_index=1, observations=[obs])
                strategy = plan.strategy
                if strategy == SEQUENTIAL:
                    plan.delta = _delta_of(verdict)
                    if plan.delta is None or not 0 < plan.delta < 1:
                        plan.strategy = AGGREGATE
                plan.effort = CaseEffort(check.name, check.kind.value, dict(case.params), REGISTERED, plan.strategy, uid=check.uid(case))
                self.efforts.append(plan.effort)
                plans.append(plan)
                if plan.strategy == RESTARTS:
                    self._judge_alone(plan, case, 0, obs, verdict, REGISTERED)
                    if self.counterexample is not None:
                        return plans
        touched = {p.check.name for p in plans}
        self.skipped = [c.name for c in self.checks if c.name not in touched]
        self.notes.extend(f"case not searched, it raised under the claim: {e}" for e in errors)
        if not plans and (self.overrides or errors):
            raise AuditUsageError(
                f"no check of {self.lemma.id} can be searched for {', '.join(sorted(self.overrides)) or 'the statement'} "
                f"in mode {self.settings.mode.value} (checks: {', '.join(c.name for c in self.checks)})"
                + (f"; errors: {'; '.join(errors)}" if errors else "")
                + (f"; {'; '.join(self.notes)}" if self.notes else "")
            )
        return plans

    def _missing_values_message(self, check: Check, case: Case, exc: KeyError) -> str:
        calls = self.bounds.calls
        passed = "; ".join(f"{q} with {', '.join(sorted(s)) or 'no symbols'}" for q, s in calls.items() if q in self.affected)
        return (f"{check.uid(case)} cannot evaluate the claim: {exc.args[0] if exc.args else exc}. "
                f"The check evaluates {passed or 'the claimed quantities'}: use only those symbols")

    def _registered(self, plans: list[_Plan], limit: Limit) -> None:
        """The check's own cases: one trial per case in turn up to each case's own trial count; then the
        aggregate cases as the check runs them; then more trials (restarts, longer streams) until the budget."""
        active = [p for p in plans if p.strategy in (SEQUENTIAL, RESTARTS)]
        self._round_robin(active, limit, registered_only=True)
        for plan in plans:
            if plan.strategy == AGGREGATE and self.counterexample is None and not self.budget.exhausted(limit):
                self._aggregate(plan, limit)
        self._round_robin(active, limit, registered_only=False)

    def _round_robin(self, plans: list[_Plan], limit: Limit, *, registered_only: bool) -> None:
        while self.counterexample is None:
            runnable = [p for p in plans if not p.done and (p.next_index < p.case.trials or (not registered_only and _extendable(p)))]
            if not runnable:
                return
            for plan in runnable:
                if self.budget.exhausted(limit):
                    return
                self._step(plan)
                if self.counterexample is not None:
                    return

    def _step(self, plan: _Plan) -> None:
        index = plan.next_index
        plan.next_index += 1
        self.label = f"{plan.check.uid(plan.case)} #{index}"
        try:
            obs, _ = self.run_trial(plan.check, plan.case, index)
        except BudgetExhausted:
            raise
        except TrialTimeout:
            plan.done = True
            plan.effort.notes.append(f"trial {index} stopped at the end of the budget")
            return
        except Exception as exc:  # noqa: BLE001 - recorded; a case that keeps raising is abandoned
            if index >= plan.case.trials:  # the check's trial indices name positions in its case, not restarts
                plan.done = True
                plan.effort.notes.append(f"no trials beyond the case's {plan.case.trials}: trial {index} raised {type(exc).__name__}")
                return
            plan.effort.rejected += 1
            plan.effort.notes.append(f"trial {index} raised {type(exc).__name__}: {exc}")
            plan.done = plan.effort.rejected >= ERROR_LIMIT
            return
        if plan.strategy == SEQUENTIAL:
            self._feed_sequential(plan, obs, index)
        else:
            verdict, _ = self.single_verdict(plan.check, plan.case, obs)
            self._judge_alone(plan, plan.case, index, obs, verdict, REGISTERED)
        self._tick()

    # -- deterministic claims: one trial decides --------------------------------------------------------

    def _judge_alone(self, plan: _Plan, case: Case, index: int, obs: dict, verdict: Any, source: str) -> bool:
        """Record one trial of a deterministic check; returns whether it is a counterexample."""
        effort = plan.effort
        effort.trials += 1
        inside = _inside(obs)
        if not inside:
            effort.outside += 1
            return False
        if verdict is not None:
            refutes = verdict.outcome is Outcome.FAILS and verdict.hypotheses_held
        else:
            refutes = bool(obs.get("failed")) and not obs.get("ambiguous")
        margin, value, bound = _sides(obs, verdict)
        if not obs.get("ambiguous"):
            effort.note_margin(margin, value, bound, {"case": dict(case.params), "index": index})
        self._note_best(effort)
        if refutes:
            effort.decision = "refuted"
            self.counterexample = Counterexample(
                self.lemma.id, plan.check.name, plan.check.kind.value, plan.check.uid(case), dict(case.params),
                self.settings.seed, index, dict(self.claim), obs, "single trial", source, _num(value), _num(bound), _num(margin),
                dict(obs.get("hypotheses", {})), evidence={"summary": getattr(verdict, "summary", "")},
                failing_trials=[index],
            )
        return refutes

    def _paper_holds(self, check: Check, case: Case, index: int) -> bool | None:
        """Whether the paper's own statement (no overrides) holds on the same trial: tells a refuted claim
        from a refuted lemma."""
        if not self.overrides:
            return False
        try:
            paper = self.lemma.bounds()
            with time_limit(self.trial_time_limit(check, Limit())):
                obs = _json_safe(check.trial(case.params, index, trial_rng(self.settings.seed, check.uid(case), index), paper))
            if not _inside(obs):
                return None
            verdict = check.verdict(case.params, [obs], paper, self.settings)
            return verdict.outcome is not Outcome.FAILS
        except Exception:  # noqa: BLE001 - a diagnostic only (TrialTimeout included)
            return None

    # -- probability claims: sequential test ---------------------------------------------------------------

    def _feed_sequential(self, plan: _Plan, obs: dict, index: int) -> None:
        effort, test = plan.effort, plan.test
        effort.trials += 1
        if not _inside(obs):
            effort.outside += 1
            if effort.trials >= OUTSIDE_LIMIT and effort.outside == effort.trials:
                plan.done = True
                effort.decision = "outside hypotheses"
            return
        if not obs.get("ambiguous"):
            effort.note_margin(obs.get("margin"), obs.get("value"), obs.get("bound"), {"case": dict(plan.case.params), "index": index})
        failed = bool(obs.get("failed")) and not obs.get("ambiguous")
        if failed:
            effort.evidence.setdefault("failing_trials", []).append(index)
            effort.evidence.setdefault("first_failure", {"index": index, "observation": obs})
        outcome = test.add(failed, bool(obs.get("ambiguous")))
        effort.evidence.update(test.state().as_dict())
        if outcome is Outcome.HOLDS:
            plan.done = True
            effort.decision = f"holds (decided at level {test.alpha:.3g})"
        elif outcome is Outcome.FAILS:
            plan.done = True
            effort.decision = "refuted"
            first = effort.evidence["first_failure"]
            self.counterexample = Counterexample(
                self.lemma.id, plan.check.name, plan.check.kind.value, plan.check.uid(plan.case), dict(plan.case.params),
                self.settings.seed, first["index"], dict(self.claim), first["observation"], "sequential test", effort.source,
                _num(first["observation"].get("value")), _num(first["observation"].get("bound")),
                _num(first["observation"].get("margin")), dict(first["observation"].get("hypotheses", {})),
                evidence={k: v for k, v in effort.evidence.items() if k not in ("first_failure", "failing_trials")},
                failing_trials=list(effort.evidence["failing_trials"]),
            )
        else:
            effort.decision = "undecided"

    # -- aggregate claims: the whole case decides ---------------------------------------------------------

    def _aggregate(self, plan: _Plan, limit: Limit) -> None:
        effort = plan.effort
        planned = plan.case.trials
        while plan.next_index < planned:
            if self.budget.exhausted(limit):
                effort.notes.append(f"budget spent after {plan.next_index} of {planned} trials: verdict on those")
                break
            self.label = f"{plan.check.uid(plan.case)} #{plan.next_index}"
            try:
                obs, _ = self.run_trial(plan.check, plan.case, plan.next_index)
            except TrialTimeout:
                effort.notes.append(f"trial {plan.next_index} stopped at the end of the budget: verdict on the trials before it")
                break
            plan.observations.append(obs)
            plan.next_index += 1
            self._tick()
        effort.trials = len(plan.observations)
        effort.outside = sum(1 for o in plan.observations if not _inside(o))
        try:
            verdict = plan.check.verdict(plan.case.params, plan.observations, self.bounds, self.settings)
        except (ClaimDomainError, KeyError):
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. too few points for a fit after a budget cut
            effort.decision = "undecided"
            effort.notes.append(f"no verdict: {type(exc).__name__}: {exc}")
            return
        plan.done = True
        effort.note_margin(verdict.margin, verdict.value, verdict.bound, {"case": dict(plan.case.params)})
        effort.evidence = {"summary": verdict.summary, "outcome": verdict.outcome.value}
        if not verdict.hypotheses_held:
            effort.decision = "outside hypotheses"
        elif verdict.outcome is Outcome.FAILS:
            effort.decision = "refuted"
            index = verdict.counterexample if verdict.counterexample is not None else _worst_index(plan.observations)
            obs = plan.observations[index]
            small = len(plan.observations) <= MAX_RECORDED_OBSERVATIONS
            self.counterexample = Counterexample(
                self.lemma.id, plan.check.name, plan.check.kind.value, plan.check.uid(plan.case), dict(plan.case.params),
                self.settings.seed, index, dict(self.claim), obs, "aggregate verdict", REGISTERED,
                _num(verdict.value), _num(verdict.bound), _num(verdict.margin), _all_hypotheses(plan.observations),
                evidence={"summary": verdict.summary, "quantity": verdict.quantity, **_json_safe(verdict.evidence)},
                failing_trials=list(range(len(plan.observations))),
                observations=plan.observations if small else None,
            )
        else:
            effort.decision = "holds" if verdict.outcome is Outcome.HOLDS else "undecided"

    # -- data search -------------------------------------------------------------------------------------

    def _data_checks(self, plans: Sequence[_Plan]) -> list[_Plan]:
        """One representative plan per check that trials can decide (sequentially or alone); the data search
        varies the cases of that check the claim touches."""
        chosen: dict[str, _Plan] = {}
        for plan in plans:
            if plan.strategy in (SEQUENTIAL, RESTARTS):
                chosen.setdefault(plan.check.name, plan)
        self._touched_cases = {name: [p.case for p in plans if p.check.name == name] for name in chosen}
        return list(chosen.values())

    def _hypothesis_available(self) -> bool:
        if importlib.util.find_spec("hypothesis") is not None:
            return True
        self.notes.append("no data search: the hypothesis package is not installed (pip install 'lemmas[test]')")
        return False

    def _data(self, plans: Sequence[_Plan], alpha: float) -> None:
        for position, plan in enumerate(plans):
            if self.counterexample is not None or self.budget.exhausted():
                return
            limit = self.budget.limit(1.0 / (len(plans) - position))
            effort = CaseEffort(plan.check.name, plan.check.kind.value, {}, DATA, plan.strategy, uid=f"{self.lemma.id}[{plan.check.name},*]")
            self.efforts.append(effort)
            self._data_search(plan, effort, limit, alpha)
            self._note_best(effort)

    def _data_search(self, plan: _Plan, effort: CaseEffort, limit: Limit, alpha: float) -> None:
        """Hypothesis over the check's case parameters (and the trial index), targeting small margins.

        Each distinct candidate is evaluated once (memoised), so a shrink never sees two answers for one
        candidate, and a candidate first met after the budget is spent simply passes.
        """
        from hypothesis import HealthCheck, Phase, Verbosity, given, reject, seed, settings, target
        from hypothesis.errors import HypothesisException

        strategy = candidate_strategy(self._touched_cases[plan.check.name], with_index=plan.strategy == RESTARTS)
        memo: dict[str, tuple[str, Any]] = {}

        def probe(candidate: dict) -> None:
            key = json.dumps(candidate, sort_keys=True, default=str)
            if key not in memo:
                if self.budget.exhausted(limit):
                    return
                memo[key] = self._candidate(plan, effort, candidate, limit, alpha)
                self._tick()
            status, payload = memo[key]
            if status == "rejected":
                reject()
            if status == "counterexample":
                raise _Found(payload)
            if status == "score":
                target(payload, label="closeness to failure")

        rounds = 0
        while not self.budget.exhausted(limit) and rounds < 50:
            evaluated = len(memo)
            examples = self._examples_per_round(plan.check, limit)
            runner = seed(self.settings.seed + rounds)(settings(
                max_examples=examples, deadline=None, database=None, derandomize=False,
                phases=[Phase.generate, Phase.target, Phase.shrink], suppress_health_check=list(HealthCheck),
                verbosity=Verbosity.quiet, report_multiple_bugs=False, print_blob=False,
            )(given(strategy)(probe)))
            try:
                runner()
            except _Found as found:
                self.counterexample = found.counterexample
                effort.decision = "refuted"
                effort.evidence["shrunk"] = True
                return
            except HypothesisException as exc:  # e.g. every candidate rejected
                effort.notes.append(f"Hypothesis stopped: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
                return
            rounds += 1
            if len(memo) == evaluated:
                return
        effort.evidence["rounds"] = rounds

    def _examples_per_round(self, check: Check, limit: Limit) -> int:
        times = sorted(self._trial_seconds.get(check.name, [0.1]))
        per = max(times[len(times) // 2], 1e-3)
        left = self.budget.remaining() if limit.deadline is None else limit.deadline - time.monotonic()
        examples = min(max(left / per, 20), 300)
        if limit.trials is not None:
            examples = min(examples, max(limit.trials - self.budget.used_trials, 1))
        return int(examples)

    def _candidate(self, plan: _Plan, effort: CaseEffort, candidate: dict, limit: Limit,
                   alpha: float) -> tuple[str, Any]:
        """Evaluate one data-search candidate: ("counterexample", cx), ("score", float), ("outside", None)
        or ("rejected", reason)."""
        check = plan.check
        case = replayable_case(check, candidate["params"])
        effort.candidates += 1
        self.label = f"{check.uid(case)}" + (f" #{candidate['index']}" if "index" in candidate else "")
        timeout = self.trial_time_limit(check, limit)
        try:
            if plan.strategy == RESTARTS:
                return self._candidate_alone(plan, effort, case, int(candidate["index"]), timeout)
            return self._candidate_sequential(plan, effort, case, limit, alpha, timeout)
        except BudgetExhausted:
            return "outside", None
        except (ClaimDomainError, TrialTimeout) as exc:
            return self._reject(effort, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - the check's own input validation refused the candidate
            return self._reject(effort, f"{type(exc).__name__}: {exc}")

    def _reject(self, effort: CaseEffort, reason: str) -> tuple[str, Any]:
        effort.rejected += 1
        if len(effort.notes) < 3:
            effort.notes.append(f"candidate rejected: {reason}")
        return "rejected", reason

    def _touches_claim(self, used: frozenset[str]) -> bool:
        return not self.overrides or bool(used & self.affected)

    def _candidate_alone(self, plan: _Plan, effort: CaseEffort, case: Case, index: int, timeout: float | None) -> tuple[str, Any]:
        obs, used = self.run_trial(plan.check, case, index, timeout=timeout)
        verdict, verdict_used = self.single_verdict(plan.check, case, obs)
        if not self._touches_claim(used | verdict_used):
            return self._reject(effort, "the claim is not evaluated on this candidate")
        if self._judge_alone(_Plan(plan.check, case, RESTARTS, effort=effort), case, index, obs, verdict, DATA):
            return "counterexample", self.counterexample_and_clear()
        if not _inside(obs):
            return "outside", None
        relative = None if obs.get("ambiguous") else _relative(*_sides(obs, verdict))
        return ("score", -relative) if relative is not None else ("outside", None)

    def _candidate_sequential(self, plan: _Plan, effort: CaseEffort, case: Case, limit: Limit, alpha: float,
                              timeout: float | None) -> tuple[str, Any]:
        sub = _Plan(plan.check, case, SEQUENTIAL, effort=CaseEffort(
            plan.check.name, plan.check.kind.value, dict(case.params), DATA, SEQUENTIAL, uid=plan.check.uid(case)))
        cap = self._sequential_cap(plan)
        for index in range(cap):
            if index and self.budget.exhausted(limit):
                break
            obs, used = self.run_trial(plan.check, case, index, timeout=timeout)
            if index == 0:
                verdict, verdict_used = self.single_verdict(plan.check, case, obs)
                if not self._touches_claim(used | verdict_used):
                    return self._reject(effort, "the claim is not evaluated on this candidate")
                sub.delta = _delta_of(verdict)
                if sub.delta is None or not 0 < sub.delta < 1:
                    return self._reject(effort, "no δ in (0, 1) for this candidate")
                sub.test = SequentialTest(sub.delta, self.next_data_alpha(alpha))
            sub.next_index = index + 1
            self._feed_sequential(sub, obs, index)
            effort.trials += 1
            effort.outside += 0 if _inside(obs) else 1
            if sub.done:
                break
        if sub.effort.smallest_relative_margin is not None:
            effort.note_margin(sub.effort.smallest_margin, sub.effort.worst_trial.get("value"),
                               sub.effort.worst_trial.get("bound"), {"case": dict(case.params), "index": sub.effort.worst_trial.get("index")})
        if self.counterexample is not None:
            return "counterexample", self.counterexample_and_clear()
        if sub.effort.decision == "outside hypotheses" or sub.test is None or sub.test.trials == sub.effort.outside:
            return "outside", None
        state = sub.test.state()
        return "score", max(min(state.log_e_fails, 700.0), -700.0)

    def _sequential_cap(self, plan: _Plan) -> int:
        """Trials per data-search candidate of a probability check: the registered case's count, capped."""
        cap = min(max(plan.case.trials, 30), 300)
        if self.budget.trials is not None:
            cap = max(1, min(cap, (self.budget.trials - self.budget.used_trials) // 2))
        return cap

    def counterexample_and_clear(self) -> "Counterexample":
        """Hand the counterexample to Hypothesis (which shrinks it and raises the smallest one at the end)."""
        found, self.counterexample = self.counterexample, None
        return found

    def _affordable(self, plan: _Plan, checks: int) -> bool:
        """Whether this check's share of the remaining time buys a few data-search candidates (trials are
        timed on the registered cases; a sequential candidate needs several)."""
        times = sorted(self._trial_seconds.get(plan.check.name, [0.0]))
        per_candidate = times[len(times) // 2] * (5 if plan.strategy == SEQUENTIAL else 1)
        return self.budget.remaining() / checks >= 3 * per_candidate

    def trial_time_limit(self, check: Check, limit: Limit) -> float | None:
        """A data-search candidate may take 20× the check's median trial time (at least 2 s), within the budget;
        without a time budget, no limit (the effort is then a trial count, the same on every machine)."""
        if self.budget.seconds is None:
            return None
        times = sorted(self._trial_seconds.get(check.name, [1.0]))
        seconds = max(2.0, 20.0 * times[len(times) // 2])
        if limit.deadline is not None:
            seconds = min(seconds, max(limit.deadline - time.monotonic(), 0.05))
        return seconds

    def next_data_alpha(self, alpha: float) -> float:
        """α spent on the next data-search sequential test: α · 6/(π² j²), summing to at most α."""
        self._data_tests += 1
        return alpha * 6.0 / (math.pi**2 * self._data_tests**2)


def _sides(obs: Mapping[str, Any], verdict: Any) -> tuple[Any, Any, Any]:
    """(margin, value, bound) of one trial: its own record, else its single-trial verdict's (identities)."""
    if "margin" in obs:
        return obs.get("margin"), obs.get("value"), obs.get("bound")
    if verdict is not None:
        return verdict.margin, verdict.value, verdict.bound
    return None, None, None


def _relative(margin: Any, value: Any, bound: Any) -> float | None:
    if not isinstance(margin, (int, float)) or not math.isfinite(margin):
        return None
    scale = max(abs(float(v)) for v in (value, bound, 1e-300) if isinstance(v, (int, float)) and math.isfinite(v))
    return float(margin) / scale


# ---------------------------------------------------------------------------------------------------------
# The space of data-search candidates, derived from a check's own cases.


def candidate_strategy(cases: Sequence[Case], *, with_index: bool) -> Any:
    """Hypothesis strategy of candidates {"params": ..., ["index": ...]} around a check's ``cases``.

    A registered case is picked (shrinking prefers the first), the trial index among those the case uses,
    and each parameter is varied: seeds (any key containing "seed") over all 32-bit values; n and d from their
    domain's lower end, other shared integer symbols (m, L, ...) from a quarter of the smallest value the cases
    use, up to the largest; shared real symbols (δ, C, φ, ...) from a tenth of the smallest value used up to the largest, or to near the end of a bounded domain ("extreme δ");
    other real parameters (angles, μ, ...) between a tenth of the smallest and the largest value used; effort
    parameters (other integers: draws, steps, repetitions), strings, flags and lists stay as the case has them.
    Every candidate's hypotheses are still checked by its trial.
    """
    from hypothesis import strategies as st

    cases = _unique_cases(cases)
    seen: dict[str, list[Any]] = {}
    for case in cases:
        for key, value in case.params.items():
            seen.setdefault(key, []).append(value)

    def vary(key: str, value: Any) -> Any:
        numbers = [v for v in seen[key] if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return st.just(value)
        if "seed" in key.lower() and isinstance(value, int):
            return st.integers(0, 2**32 - 1)
        domain = SYMBOLS[key][1] if key in SYMBOLS else None
        if isinstance(value, int) and all(isinstance(v, int) for v in numbers):
            if domain is None:
                return st.just(value)
            lo = max(int(math.ceil(domain.lo)) + (1 if domain.lo_open and domain.lo == int(domain.lo) else 0), 0)
            if key not in SMALL_SIZES:
                lo = max(lo, min(numbers) // 4)
            return st.integers(min(lo, max(numbers)), max(numbers))
        lo, hi = min(numbers), max(numbers)
        lo = lo / 10 if lo > 0 else lo
        if domain is not None:
            lo = max(lo, domain.lo)
            if math.isfinite(domain.hi):
                hi = max(hi, domain.hi - 0.01 * (domain.hi - domain.lo))
            hi = min(hi, domain.hi)
        exclude = domain is not None and domain.lo_open and lo <= domain.lo
        if hi <= lo:
            return st.just(value)
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False, exclude_min=exclude,
                         exclude_max=domain is not None and domain.hi_open and hi >= domain.hi)

    def candidate(case: Case) -> Any:
        params = st.fixed_dictionaries({key: vary(key, value) for key, value in case.params.items()})
        if with_index:  # an index the check's own case uses (some checks enumerate items by index)
            return st.fixed_dictionaries({"params": params, "index": st.integers(0, max(case.trials - 1, 0))})
        return st.fixed_dictionaries({"params": params})

    return st.sampled_from(cases).flatmap(candidate)


def replayable_case(check: Check, params: Mapping[str, Any]) -> Case:
    """The case a replay file of these params will name: the registered case with equal params, else the
    params as JSON gives them back (keys sorted), so the trial's uid, and so its generator, are the same."""
    return find_case(check, json.loads(json.dumps(dict(params), sort_keys=True)))


def _unique_cases(cases: Sequence[Case]) -> list[Case]:
    """The cases with distinct params (the larger trial count where two modes share params), in order."""
    found: dict[str, Case] = {}
    for case in cases:
        key = json.dumps(dict(case.params), sort_keys=True, default=str)
        if key not in found or case.trials > found[key].trials:
            found[key] = case
    return list(found.values())


def _extendable(plan: _Plan) -> bool:
    """Whether trials beyond the case's own count are meaningful: independent draws of a probability claim, or
    restarts of an adversarial search. Identity and symbolic checks enumerate fixed items by trial index."""
    return plan.strategy == SEQUENTIAL or plan.check.kind in RESTARTABLE


def _strategy(check: Check, obs: Mapping[str, Any], verdict: Any) -> str:
    """How trials of this check are searched: a probability claim (by kind, or a verdict that reports δ)
    whose trials record ``failed`` goes to the sequential test; a deterministic one whose trials decide alone
    gets restarts; anything else (fits, moment oracles) is judged by the check's verdict on whole cases."""
    if check.kind is Kind.EXPONENT:
        return AGGREGATE
    probability = check.kind is Kind.PROBABILITY or _delta_of(verdict) is not None
    if probability:
        return SEQUENTIAL if "failed" in obs else AGGREGATE
    return RESTARTS if ("failed" in obs or "error" in obs) else AGGREGATE


def _delta_of(verdict: Any) -> float | None:
    """The δ of a probability claim, read from the check's own verdict (probability_verdict records it)."""
    evidence = getattr(verdict, "evidence", None)
    if not isinstance(evidence, dict) or "delta" not in evidence:
        return None
    delta = evidence["delta"]
    return float(delta) if isinstance(delta, (int, float)) and not isinstance(delta, bool) else None


def _inside(obs: Mapping[str, Any]) -> bool:
    return all(bool(v) for v in obs.get("hypotheses", {}).values())


def _all_hypotheses(observations: Sequence[Mapping[str, Any]]) -> dict[str, bool]:
    held: dict[str, bool] = {}
    for obs in observations:
        for name, value in obs.get("hypotheses", {}).items():
            held[name] = held.get(name, True) and bool(value)
    return held


def _worst_index(observations: Sequence[Mapping[str, Any]]) -> int:
    margins = [(o.get("margin"), i) for i, o in enumerate(observations) if isinstance(o.get("margin"), (int, float))]
    return min(margins)[1] if margins else 0


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


# ---------------------------------------------------------------------------------------------------------
# Counterexample files.


def write_counterexample(counterexample: Counterexample, claim: Mapping[str, str], path: str | Path,
                         *, verify: bool = True) -> tuple[Path, bool | None]:
    """Write the replay file of ``counterexample``; with ``verify``, replay it at once and record whether the
    replay is bit for bit. Returns (path, replay identical or None if not verified)."""
    from lemmas.trials import replay

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = counterexample.replay_record(claim, environment())
    path.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
    if not verify:
        return path, None
    fresh, recorded = replay(path)
    identical = json.dumps(fresh, sort_keys=True) == json.dumps(recorded, sort_keys=True)
    record["audit"]["replay_verified"] = identical
    path.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
    return path, identical


def effort_dict(effort: CaseEffort) -> dict[str, Any]:
    return _json_safe(asdict(effort))
