"""The registry of lemmas and their checks: the one mechanism every lemma plugs into.

A :class:`Lemma` states a result (source, statement, hypotheses, quantities) and owns its :class:`Check`s.
A check is split into independent *trials* (each seeded from the run seed and its index alone, so any trial
can be replayed by itself) and a *verdict* step that aggregates the trials' observations into a
:class:`~lemmas.result.Verdict`. A check runs on one or more *cases* (sizes and settings), chosen per mode.

Lemma modules live under :mod:`lemmas.papers` and register themselves on import; :func:`all_lemmas`
imports every module there, so adding a lemma never means editing a central list.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity

Observation = dict[str, Any]


class Mode(str, enum.Enum):
    """How much effort a run spends: ``quick`` for smoke tests, ``default`` for CI, ``full`` for reports."""

    QUICK = "quick"
    DEFAULT = "default"
    FULL = "full"


class Kind(str, enum.Enum):
    """The kind of claim a check tests, which decides the statistical machinery it uses."""

    PROBABILITY = "probability"    # "with probability >= 1 - delta": Clopper–Pearson over trials
    WORST_CASE = "worst-case"      # "for all W in the region": adversarial search + certified bound
    EXPONENT = "exponent"          # O(.)/Omega(.): fitted exponents and implied constants
    CERTIFICATE = "certificate"    # deterministic claim decided by a certified computation
    IDENTITY = "identity"          # exact identity or oracle, to floating-point tolerance
    CONDITIONAL = "conditional"    # deterministic implication checked wherever its hypotheses hold
    SYMBOLIC = "symbolic"          # a derivation reproduced in sympy


@dataclass(frozen=True)
class Source:
    paper: str          # e.g. "Du, Zhai, Póczos, Singh 2018"
    arxiv: str          # e.g. "1810.02054"
    version: str        # e.g. "v2"
    section: str        # e.g. "§3.1, Lemma 3.2"
    spec: str = ""      # e.g. "du2018.md §3.5"

    def cite(self) -> str:
        return f"{self.paper}, arXiv {self.arxiv}{self.version}, {self.section}"


@dataclass(frozen=True)
class Case:
    """One configuration of a check: sizes and settings, plus its trial count."""

    params: Mapping[str, Any]
    trials: int

    @property
    def label(self) -> str:
        return ",".join(f"{k}={_fmt(v)}" for k, v in self.params.items())


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


TrialFn = Callable[[Mapping[str, Any], int, np.random.Generator, Bounds], Observation]
VerdictFn = Callable[[Mapping[str, Any], Sequence[Observation], Bounds, "Settings"], Verdict]


@dataclass(frozen=True)
class Check:
    """One verifiable claim of a lemma.

    ``trial(params, index, rng, bounds)`` runs one independent trial and returns a JSON-able observation
    (it must record the hypotheses it checked under the key ``"hypotheses"``: a dict name -> bool).
    ``verdict(params, observations, bounds, settings)`` aggregates them.
    ``negative_control`` maps quantity names to expressions that make the claim false: the test suite feeds
    them and requires the outcome ``fails`` (a check that cannot fail is a defect).
    ``confirmed`` is False for statements the spec does not confirm ([U]/[R]): their verdicts are exploratory.
    ``erratum`` names the spec's erratum when the statement under test is an as-printed form known to be wrong.
    """

    name: str
    kind: Kind
    claim: str
    cases: Callable[[Mode], Sequence[Case]]
    trial: TrialFn
    verdict: VerdictFn
    negative_control: Mapping[str, str] = field(default_factory=dict)
    confirmed: bool = True
    erratum: str | None = None
    lemma: "Lemma | None" = field(default=None, compare=False, repr=False)

    @property
    def id(self) -> str:
        assert self.lemma is not None, "check not attached to a lemma"
        return f"{self.lemma.id}:{self.name}"

    def uid(self, case: Case) -> str:
        assert self.lemma is not None
        inner = self.name + ("," + case.label if case.params else "")
        return f"{self.lemma.id}[{inner}]"


@dataclass
class Lemma:
    """A result of a paper, stated exactly, with its quantities and checks."""

    id: str                                  # e.g. "du2018.lemma3.2"
    title: str
    source: Source
    statement: str                           # the quoted statement (Markdown with LaTeX)
    tag: str                                 # confidence tag of the statement in the spec: V, D, U, R, ...
    quantities: Mapping[str, Quantity]
    hypotheses: Mapping[str, str]            # name -> description; trials record each as held or not
    checks: list[Check] = field(default_factory=list)
    notes: Sequence[str] = ()                # errata and remarks shown in reports

    def add(self, check: Check) -> Check:
        object.__setattr__(check, "lemma", self)
        if any(c.name == check.name for c in self.checks):
            raise ValueError(f"{self.id} already has a check named {check.name!r}")
        self.checks.append(check)
        return check

    def bounds(self, overrides: Mapping[str, Any] | None = None) -> Bounds:
        return Bounds(self.quantities, dict(overrides or {}))

    def check(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"{self.id} has no check {name!r}; checks: {[c.name for c in self.checks]}")


@dataclass(frozen=True)
class Settings:
    """Run-wide settings that a verdict may depend on (confidence levels) and that a report records."""

    seed: int = 20181005
    mode: Mode = Mode.DEFAULT
    trials: int | None = None        # overrides each case's trial count when set
    alpha: float = 0.05              # family-wise level of the probability claims (split by Bonferroni per check-case)
    jobs: int = 1
    blas_threads: int | None = None  # None: leave as is (recorded); replays pin the recorded value
    scheduler: str | None = None     # Dask scheduler address, or "local" for a LocalCluster; None: local processes


_REGISTRY: dict[str, Lemma] = {}


def register(lemma: Lemma) -> Lemma:
    """Add ``lemma`` to the registry (called at import time by each lemma module)."""
    if lemma.id in _REGISTRY and _REGISTRY[lemma.id] is not lemma:
        raise ValueError(f"duplicate lemma id {lemma.id!r}")
    _REGISTRY[lemma.id] = lemma
    return lemma


def _discover() -> None:
    import lemmas.papers as papers

    for info in pkgutil.walk_packages(papers.__path__, prefix="lemmas.papers."):
        importlib.import_module(info.name)


def all_lemmas() -> list[Lemma]:
    """Every registered lemma, in id order (imports all lemma modules on first call)."""
    _discover()
    return [_REGISTRY[k] for k in sorted(_REGISTRY, key=_natural_key)]


def get_lemma(lemma_id: str) -> Lemma:
    if lemma_id in _REGISTRY:  # already imported: no need to import every lemma module (trial workers, replays)
        return _REGISTRY[lemma_id]
    _discover()
    try:
        return _REGISTRY[lemma_id]
    except KeyError:
        raise KeyError(f"unknown lemma {lemma_id!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def all_checks(mode: Mode = Mode.DEFAULT) -> list[tuple[Check, Case]]:
    """Every (check, case) pair of the registry for ``mode``."""
    return [(c, case) for lemma in all_lemmas() for c in lemma.checks for case in c.cases(mode)]


def _natural_key(text: str) -> list[Any]:
    import re

    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]
