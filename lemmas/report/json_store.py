"""The per-lemma JSON record: the source of truth of a report, from which Markdown and HTML are rendered.

``reports/<lemma id>.json`` holds (format ``lemmas-report/1``):

* ``lemma``: id, title, source (fields and ``cite``), statement, tag, hypotheses, notes, quantities (name,
  meaning, role, tag, the resolved expression as text and LaTeX, its number when it has no free symbols,
  derivation) and checks (name, kind, claim, confirmed, erratum, negative control);
* ``run``: seed, mode, alpha, trial override, jobs, and the environment (versions) of the run;
* ``results``: every :meth:`~lemmas.result.CheckResult.to_dict` of the lemma;
* ``artifacts``: per result uid, the relative paths of its plot and replay file (and why a plot is missing);
* ``errors``: check-cases that raised instead of returning a result (uid, message, traceback).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import sympy as sp

from lemmas.registry import Lemma, Settings
from lemmas.result import _json_safe

FORMAT = "lemmas-report/1"


def quantity_record(lemma: Lemma, name: str) -> dict[str, Any]:
    """One quantity of ``lemma``, resolved in the shared symbols, with its number if it has no free symbols."""
    q = lemma.quantities[name]
    expr = lemma.bounds().expr(name)
    value = None
    if not expr.free_symbols:
        try:
            value = float(expr)
        except (TypeError, ValueError):  # zoo, nan or complex: no real number to show
            value = None
    return {
        "name": name,
        "meaning": q.meaning,
        "role": q.role,
        "tag": q.tag,
        "expression": sp.sstr(expr),
        "latex": sp.latex(expr),
        "value": value,
        "free_symbols": sorted(s.name for s in expr.free_symbols),
        "derivation": q.derivation,
    }


def lemma_metadata(lemma: Lemma) -> dict[str, Any]:
    """Everything a report says about ``lemma`` itself (not about a run)."""
    src = lemma.source
    return {
        "id": lemma.id,
        "title": lemma.title,
        "source": {"paper": src.paper, "arxiv": src.arxiv, "version": src.version, "section": src.section,
                   "spec": src.spec, "cite": src.cite()},
        "statement": lemma.statement,
        "tag": lemma.tag,
        "hypotheses": dict(lemma.hypotheses),
        "notes": list(lemma.notes),
        "quantities": [quantity_record(lemma, name) for name in lemma.quantities],
        "checks": [
            {"name": c.name, "kind": c.kind.value, "claim": c.claim, "confirmed": c.confirmed, "erratum": c.erratum,
             "negative_control": dict(c.negative_control)}
            for c in lemma.checks
        ],
    }


def unknown_lemma_metadata(lemma_id: str) -> dict[str, Any]:
    """Metadata for results whose lemma is no longer in the registry: the id and nothing invented."""
    return {"id": lemma_id, "title": "(lemma not in the registry)", "source": {"cite": ""}, "statement": "", "tag": "",
            "hypotheses": {}, "notes": [], "quantities": [], "checks": []}


def run_metadata(settings: Settings, environment: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "seed": settings.seed,
        "mode": settings.mode.value,
        "alpha": settings.alpha,
        "trials": settings.trials,
        "jobs": settings.jobs,
        "blas_threads": settings.blas_threads,
        "scheduler": settings.scheduler,
        "environment": dict(environment),
    }


def lemma_record(
    lemma: Mapping[str, Any],
    run: Mapping[str, Any],
    results: Sequence[Mapping[str, Any]],
    artifacts: Mapping[str, Mapping[str, Any]],
    errors: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    return _json_safe({
        "format": FORMAT,
        "lemma": dict(lemma),
        "run": dict(run),
        "results": [dict(r) for r in results],
        "artifacts": {uid: dict(a) for uid, a in artifacts.items()},
        "errors": [dict(e) for e in errors],
    })


def record_path(out: Path, lemma_id: str) -> Path:
    return Path(out) / f"{lemma_id}.json"


def write_record(record: Mapping[str, Any], out: Path) -> Path:
    path = record_path(out, record["lemma"]["id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_record(path: Path) -> dict[str, Any]:
    """A lemma record written by :func:`write_record` (checks the format tag)."""
    record = json.loads(Path(path).read_text(encoding="utf-8"))
    if record.get("format") != FORMAT:
        raise ValueError(f"{path}: not a lemma report record (format {record.get('format')!r}, expected {FORMAT!r})")
    return record
