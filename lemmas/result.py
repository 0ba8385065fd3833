"""The result model shared by every check: what was compared, what came out, and what it means.

A check compares a *claim* (a bound from a lemma's statement) with *evidence* (trials on random networks).
The raw comparison is an :class:`Outcome`; what the comparison *means* is a :class:`Status`, derived from the
outcome and from three facts about the check: whether the lemma's hypotheses held in the trials, whether the
statement is confirmed against the paper (spec tags [V]/[D]) or only recalled, and whether the statement under
test is an as-printed form that the spec lists as an erratum. :func:`classify` is the only place that mapping lives.
"""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass, field
from typing import Any


class Outcome(str, enum.Enum):
    """The raw comparison of a claim with the evidence."""

    HOLDS = "holds"          # evidence supports the claim at the stated confidence
    FAILS = "fails"          # evidence refutes the claim at the stated confidence
    UNDECIDED = "undecided"  # evidence decides neither way (e.g. interval straddles delta)


class Status(str, enum.Enum):
    """What a check's outcome means for the lemma."""

    HOLDS = "holds"
    VIOLATED = "violated"
    INCONCLUSIVE = "inconclusive"
    SLACK = "slack evidence"            # tested outside the lemma's hypotheses: evidence about slack only
    EXPLORATORY = "exploratory"         # statement not confirmed against the paper ([U]/[R] items)
    ERRATUM = "documented erratum"      # an as-printed statement, listed as an erratum, that fails

    @property
    def is_failure(self) -> bool:
        """Only an unexpected violation fails a run."""
        return self is Status.VIOLATED


class Tier(str, enum.Enum):
    """How trustworthy a number that decides a verdict is (spec numerics.md §2.6)."""

    EXACT = "exact"              # integer counts, exact arithmetic
    INTERVAL = "interval"        # interval arithmetic (mpmath.iv)
    BALL = "ball"                # ball arithmetic (python-flint arb)
    FLOAT = "float-certified"    # floating point with a rigorous rounding-error bound
    ESTIMATED = "estimated"      # plain floating point, no certificate

    @classmethod
    def of_enclosure(cls, name: str) -> "Tier":
        """The tier of a :class:`lemmas.certify.Enclosure` (whose tier names are "interval", "float", …)."""
        return cls.FLOAT if name == "float" else cls(name)


def classify(outcome: Outcome, *, hypotheses_held: bool, confirmed: bool, erratum: bool) -> Status:
    """Map a raw outcome to a status.

    Order matters: a conclusion checked outside its hypotheses is slack evidence whatever it shows; an
    unconfirmed statement is exploratory whatever it shows; an as-printed erratum that fails is a documented
    finding, not a failure of the suite.
    """
    if not hypotheses_held:
        return Status.SLACK
    if not confirmed:
        return Status.EXPLORATORY
    if outcome is Outcome.FAILS:
        return Status.ERRATUM if erratum else Status.VIOLATED
    if outcome is Outcome.HOLDS:
        return Status.HOLDS
    return Status.INCONCLUSIVE


@dataclass
class Verdict:
    """What a check's aggregation step concludes from its trials.

    ``margin`` is signed so that positive means the claim held with room to spare (bound − value for an
    upper bound, value − bound for a lower bound). ``counterexample`` is the index of a trial that by itself
    refutes the claim, so it can be replayed alone.
    """

    outcome: Outcome
    quantity: str
    value: float
    bound: float
    margin: float
    hypotheses_held: bool = True
    tier: Tier = Tier.ESTIMATED
    summary: str = ""
    worst_case: dict[str, Any] | None = None
    counterexample: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckResult:
    """One check run on one case: the verdict, its meaning, and everything needed to reproduce it."""

    uid: str                      # e.g. "du2018.lemma3.2[worst_case,n=10,m=4096]"
    lemma: str
    check: str
    case: dict[str, Any]
    kind: str
    claim: str
    status: Status
    verdict: Verdict
    confirmed: bool
    erratum: str | None
    seed: int
    n_trials: int
    overrides: dict[str, str]
    elapsed: float
    environment: dict[str, Any]
    observations: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["verdict"]["outcome"] = self.verdict.outcome.value
        data["verdict"]["tier"] = self.verdict.tier.value
        return _json_safe(data)


def _json_safe(obj: Any) -> Any:
    """Make floats JSON-safe (inf/nan as strings) and enums plain values, recursively."""
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, float) and not math.isfinite(obj):
        return repr(obj)
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return _json_safe(obj.item())
    return obj
