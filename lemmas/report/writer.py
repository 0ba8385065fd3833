"""Writing a report directory from check results.

Layout of ``out/``:
  ``<lemma id>.json``          the record of each lemma (source of truth, see :mod:`lemmas.report.json_store`)
  ``<lemma id>.md``            Markdown rendered from that JSON
  ``index.html``               one self-contained page for every lemma of the run
  ``plots/<uid-safe>.png``     one figure per result that has something to plot (matplotlib optional)
  ``replays/<uid-safe>.json``  one replay file per result with a counterexample (``lemmas replay FILE``)
  ``large_width.md``           rendered from ``large_width.json`` when that file is there (written by
                               ``benchmarks/large_width.py``, kept as it is; see :mod:`lemmas.report.large_width`)

The JSON is written first; Markdown and HTML are rendered from the JSON read back from disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from lemmas.registry import Lemma, Settings, get_lemma
from lemmas.report import html, json_store, large_width, markdown, plots
from lemmas.report.runner import RunError
from lemmas.report.summary import family_wise
from lemmas.report.text import uid_safe
from lemmas.result import CheckResult
from lemmas.trials import environment, write_replay


@dataclass
class ReportFiles:
    """The files a report wrote."""

    out: Path
    json: list[Path] = field(default_factory=list)
    markdown: list[Path] = field(default_factory=list)
    index: Path | None = None
    plots: list[Path] = field(default_factory=list)
    replays: list[Path] = field(default_factory=list)


def _artifacts(result: CheckResult, data: Mapping[str, Any], out: Path, draw_plots: bool, files: ReportFiles) -> dict[str, Any]:
    """Write the replay file and plot of one result; returns their paths relative to ``out``."""
    found: dict[str, Any] = {}
    stem = uid_safe(result.uid)
    if result.verdict.counterexample is not None:
        path = write_replay(result, result.verdict.counterexample, out / "replays" / f"{stem}.json")
        files.replays.append(path)
        found["replay"] = path.relative_to(out).as_posix()
    if not draw_plots:
        return found
    try:
        specs = plots.plot_specs(data)
    except ValueError as exc:
        found["plot_note"] = f"lemma plot not drawn: {exc}"
        return found
    if not specs:
        return found
    if not plots.available():
        found["plot_note"] = plots.missing_reason()
        return found
    path = plots.draw(specs, out / "plots" / f"{stem}.png")
    files.plots.append(path)
    found["plot"] = path.relative_to(out).as_posix()
    return found


def _lemma_order(results: Sequence[CheckResult], errors: Sequence[RunError], lemmas: Sequence[Lemma]) -> list[str]:
    ids = [lemma.id for lemma in lemmas]
    for lemma_id in [r.lemma for r in results] + [e.lemma for e in errors]:
        if lemma_id not in ids:
            ids.append(lemma_id)
    return ids


def _metadata(lemma_id: str, known: Mapping[str, Lemma]) -> dict[str, Any]:
    lemma = known.get(lemma_id)
    if lemma is None:
        try:
            lemma = get_lemma(lemma_id)
        except KeyError:
            return json_store.unknown_lemma_metadata(lemma_id)
    return json_store.lemma_metadata(lemma)


def run_environment(results: Sequence[CheckResult]) -> dict[str, Any]:
    env = dict(results[0].environment) if results else environment()
    try:
        import matplotlib

        env["matplotlib"] = matplotlib.__version__
    except ImportError:
        env["matplotlib"] = "not installed"
    return env


def write_report(
    results: Sequence[CheckResult],
    out: str | Path,
    *,
    settings: Settings,
    errors: Sequence[RunError] = (),
    lemmas: Sequence[Lemma] = (),
    documents: bool = True,
    draw_plots: bool = True,
    notes: Sequence[str] = (),
) -> ReportFiles:
    """Write the report of ``results`` (and ``errors``) into ``out``.

    ``lemmas`` are included even without results (and give the metadata of results whose lemma is no longer
    registered); ``documents=False`` writes only the JSON records and replay files (``lemmas check --out``);
    ``draw_plots=False`` skips the plots; ``notes`` are shown in the HTML summary (e.g. "interrupted").
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(out=out)
    known = {lemma.id: lemma for lemma in lemmas}
    run = json_store.run_metadata(settings, run_environment(results))
    notes = list(notes)
    if documents and draw_plots and not plots.available():
        notes.append(plots.missing_reason())
    for lemma_id in _lemma_order(results, errors, lemmas):
        mine = [r for r in results if r.lemma == lemma_id]
        dicts = [r.to_dict() for r in mine]
        artifacts = {r.uid: _artifacts(r, d, out, documents and draw_plots, files) for r, d in zip(mine, dicts)}
        record = json_store.lemma_record(_metadata(lemma_id, known), run, dicts, artifacts,
                                         [e.to_dict() for e in errors if e.lemma == lemma_id])
        files.json.append(json_store.write_record(record, out))
    if not documents:
        return files
    records = [json_store.read_record(path) for path in files.json]
    for record, path in zip(records, files.json):
        md = path.with_suffix(".md")
        md.write_text(markdown.render_markdown(record), encoding="utf-8")
        files.markdown.append(md)
    page, sections, problem = large_width.write_page(out)
    if page is not None:
        files.markdown.append(page)
    if problem is not None:
        notes.append(problem)
    fw = family_wise([r for rec in records for r in rec["results"]], settings.alpha)
    files.index = out / "index.html"
    files.index.write_text(html.render_index(records, fw, notes, sections), encoding="utf-8")
    return files
