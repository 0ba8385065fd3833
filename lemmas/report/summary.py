"""What a report says about a whole run: counts per status, every verdict other than "holds", and the
family-wise statements for the probability and the exponent checks.

Works on result dicts (:meth:`~lemmas.result.CheckResult.to_dict`, as stored in the JSON records), so the
summary of a report is computed from what the report stores, never from internals.

Family-wise error: each probability verdict is decided at its own one-sided level α' (recorded in
``verdict.evidence["alpha"]``; the Bonferroni share of ``Settings.alpha`` over the probability checks of
the registry). Over the K probability results of the run, the chance that any "violated" among them is a
false alarm is at most K·α' (Bonferroni), and Holm's step-down procedure over their exact binomial
p-values (``verdict.evidence["p_value"]``, H0: failure probability ≤ δ) controls it at ``Settings.alpha``.
The exponent verdicts are per-check tests at one-sided level α/2; their p-values (H0: the claimed exponent
holds) get their own Holm procedure at ``Settings.alpha``, reported beside them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from lemmas.result import Status
from lemmas.stats import holm

#: Statuses in the order a summary lists them.
STATUS_ORDER: tuple[str, ...] = tuple(s.value for s in Status)


def status_counts(results: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Count per status, every status listed (zeros included) in :data:`STATUS_ORDER`."""
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def non_holds(results: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every verdict other than "holds", violations first."""
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    rows = [
        {"uid": r["uid"], "lemma": r["lemma"], "status": r["status"], "summary": r["verdict"]["summary"],
         "erratum": r.get("erratum")}
        for r in results if r["status"] != Status.HOLDS.value
    ]
    return sorted(rows, key=lambda row: (rank.get(row["status"], len(rank)), row["uid"]))


def has_violation(results: Iterable[Mapping[str, Any]]) -> bool:
    """True when some verdict is an unexpected violation (the only status that fails a run)."""
    return any(Status(r["status"]).is_failure for r in results)


@dataclass(frozen=True)
class FamilyWise:
    """Multiple-testing statement over the probability results and the exponent results of a run."""

    alpha: float                      # family-wise level (Settings.alpha)
    per_check_alpha: tuple[float, ...]  # the distinct one-sided levels that decided the verdicts
    p_values: dict[str, float]        # uid -> exact binomial p-value
    holm_rejected: tuple[str, ...]    # uids whose H0 (failure probability ≤ δ) Holm rejects at alpha
    exponent_results: int = 0         # exponent verdicts (per-check tests at their own level)
    per_exponent_alpha: tuple[float, ...] = ()  # their distinct one-sided levels
    exponent_p_values: dict[str, float] = field(default_factory=dict)  # uid -> p-value of "the claim holds"
    exponent_holm_rejected: tuple[str, ...] = ()  # uids whose claim Holm rejects at alpha over those p-values

    @property
    def bonferroni_bound(self) -> float:
        """Upper bound on the chance of any false "violated" among these verdicts: K·α'."""
        return min(1.0, len(self.p_values) * max(self.per_check_alpha, default=0.0))

    def statement(self) -> str:
        return " ".join(part for part in (self._probability_statement(), self._exponent_statement()) if part)

    def _exponent_statement(self) -> str:
        if not self.exponent_results:
            return ""
        levels = ", ".join(f"{a:.4g}" for a in self.per_exponent_alpha) or "not recorded"
        bound = min(1.0, self.exponent_results * max(self.per_exponent_alpha, default=0.0))
        k = len(self.exponent_p_values)
        rejected = ", ".join(self.exponent_holm_rejected) if self.exponent_holm_rejected else "none"
        holm_part = (
            f" Holm's step-down procedure over the {k} recorded exponent p-values (H0: the claimed exponent holds; the "
            f"larger of the t-test's and the bootstrap's p-value, matching the union interval) at family-wise level "
            f"α = {self.alpha:g} rejects H0 for: {rejected}." if k else ""
        )
        return (
            f"{self.exponent_results} exponent result(s): each fitted exponent's confidence interval (the union of "
            f"a bootstrap and a least-squares t-interval) has one-sided level α_e = {levels} per side. These are "
            f"per-check tests, not corrected for multiplicity: the chance that any exponent 'violated' is a false "
            f"alarm is bounded only by K·α_e = {bound:.4g} (K = {self.exponent_results}, exploratory ones included), "
            f"so a violated exponent should be confirmed on the larger grids of --full before it is called a finding."
            + holm_part
        )

    def _probability_statement(self) -> str:
        k = len(self.p_values)
        if k == 0:
            return "No probability checks in this run: no family-wise statement needed."
        levels = ", ".join(f"{a:.4g}" for a in self.per_check_alpha) or "not recorded"
        rejected = ", ".join(self.holm_rejected) if self.holm_rejected else "none"
        return (
            f"{k} probability result(s). Each verdict was decided by a one-sided Clopper–Pearson interval at "
            f"per-check level α′ = {levels} (the Bonferroni share of α = {self.alpha:g} over the registry's "
            f"probability checks), so the chance that any 'violated' among them is a false alarm is at most "
            f"K·α′ = {self.bonferroni_bound:.4g}. Holm's step-down procedure over the {k} exact binomial "
            f"p-values (H0: failure probability ≤ δ) at family-wise level α = {self.alpha:g} rejects H0 for: "
            f"{rejected}."
        )

    def to_dict(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "per_check_alpha": list(self.per_check_alpha), "p_values": self.p_values,
                "holm_rejected": list(self.holm_rejected), "bonferroni_bound": self.bonferroni_bound,
                "exponent_results": self.exponent_results, "per_exponent_alpha": list(self.per_exponent_alpha),
                "exponent_p_values": self.exponent_p_values, "exponent_holm_rejected": list(self.exponent_holm_rejected),
                "statement": self.statement()}


def family_wise(results: Sequence[Mapping[str, Any]], alpha: float) -> FamilyWise:
    """Holm at level ``alpha`` over the p-values of every probability-kind result that records one, and separately
    over those of the exponent results (each family at level ``alpha``); the count and levels of the latter."""
    p_values: dict[str, float] = {}
    exponent_p: dict[str, float] = {}
    levels: set[float] = set()
    exponent_levels: set[float] = set()
    exponents = 0
    for r in results:
        if r["kind"] == "exponent":
            exponents += 1
            evidence = r["verdict"].get("evidence", {})
            if isinstance(evidence.get("alpha"), (int, float)):
                exponent_levels.add(float(evidence["alpha"]))
            p = evidence.get("p_value")
            if isinstance(p, (int, float)) and math.isfinite(p):
                exponent_p[r["uid"]] = float(p)
            continue
        if r["kind"] != "probability":
            continue
        evidence = r["verdict"].get("evidence", {})
        p = evidence.get("p_value")
        if isinstance(p, (int, float)) and math.isfinite(p):
            p_values[r["uid"]] = float(p)
        if isinstance(evidence.get("alpha"), (int, float)):
            levels.add(float(evidence["alpha"]))
    return FamilyWise(alpha, tuple(sorted(levels)), p_values, _holm_rejected(p_values, alpha), exponents,
                      tuple(sorted(exponent_levels)), exponent_p, _holm_rejected(exponent_p, alpha))


def _holm_rejected(p_values: Mapping[str, float], alpha: float) -> tuple[str, ...]:
    uids = list(p_values)
    rejected = holm([p_values[u] for u in uids], alpha) if uids else []
    return tuple(u for u, rej in zip(uids, rejected) if rej)
