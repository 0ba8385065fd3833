"""The page "Largest widths on this machine": one check per paper at the largest width the machine holds.

``benchmarks/large_width.py`` runs the checks (each in its own process, for its own peak memory) and writes
``large_width.json`` (format ``lemmas-large-width/1``) into the report directory: the machine, and per paper
the check, its sizes, the width with the memory formula and budget that chose it, the values against their
bounds, wall time, maxrss, the date it finished and the full :meth:`~lemmas.result.CheckResult.to_dict`.
A report renders that file, whenever it is in the report's directory, as ``large_width.md`` and a section
of ``index.html``; the JSON itself is never rewritten or removed by a report.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any, Mapping, Sequence

from lemmas.report.html import badge
from lemmas.report.text import mapping, number, seconds

FORMAT = "lemmas-large-width/1"
DATA = "large_width.json"
PAGE = "large_width.md"
ANCHOR = "large-width"
TITLE = "Largest widths on this machine"
#: Significant digits of the values (λ_min(H(0)) and λ0 agree to about 5 digits at the widths shown).
VALUE_DIGITS = 6
#: Keys every run of the file has (``date``: when the run finished, UTC).
RUN_KEYS = ("paper", "lemma", "check", "claim", "computed", "sizes", "trials", "seed", "width", "overrides", "status",
            "values", "wall_s", "maxrss_gib", "date", "result")
_INTRO = ("One check per paper at the largest width this machine holds, each run through the registered check (its own "
          "trial and verdict functions, lemmas.trials.run_check) in a process of its own, so that the peak memory "
          "(maxrss) is its own. Few trials: the point is the width, so a probability verdict is inconclusive and the "
          "values are shown against their bounds. A width limited by memory is the largest whose arrays (formula per run) "
          "fit the run's memory budget, set below the machine's RAM because the machine is shared with other sessions "
          "(benchmarks/large_width.py --memory-gib; before a run it waits for that memory rather than lower the width); "
          "a width limited by time is one that runs in minutes. Written by python benchmarks/large_width.py.")


def read(out: str | Path) -> dict[str, Any] | None:
    """The large-width results in the report directory ``out``; None when there are none.

    Raises ValueError when the file is not such a record (not JSON, another format, a run missing keys).
    """
    path = Path(out) / DATA
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise ValueError(f"{path}: not a large-width record (format {found!r}, expected {FORMAT!r})")
    for paper, run in data.get("runs", {}).items():
        missing = [k for k in RUN_KEYS if k not in run]
        if missing:
            raise ValueError(f"{path}: run {paper!r} lacks {', '.join(missing)}")
    return data


def _size(sizes: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} = {v:,}" if isinstance(v, int) else f"{k} = {v}" for k, v in sizes.items())


def summary_table(data: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and one row per run: the measured table of the page."""
    header = ["paper", "check", "size", "trials", "status", "width limited by", "time", "maxrss"]
    rows = [[run["paper"], f"{run['lemma']}:{run['check']}", _size(run["sizes"]), str(run["trials"]), run["status"],
             f"{run['width']['limit']} (budget {number(run['width']['budget_gib'])} GiB)", seconds(run["wall_s"]),
             f"{run['maxrss_gib']:.2f} GiB"] for run in data.get("runs", {}).values()]
    return header, rows


def run_facts(run: Mapping[str, Any], ram_gib: Any = None) -> list[tuple[str, str]]:
    """What a run states besides its values, as (label, text) pairs (``ram_gib``: the machine's RAM)."""
    width = run["width"]
    verdict = run["result"]["verdict"]
    of_ram = f" of the machine's {number(ram_gib, 3)} GiB" if ram_gib is not None else ""
    facts = [
        ("claim", run["claim"]),
        ("computed", run["computed"]),
        ("width", f"m = {width['m']:,}, limited by {width['limit']}; budget {number(width['budget_gib'])} GiB{of_ram}; "
                  f"memory {width['formula']}; {width['why']}"),
    ]
    if run["overrides"]:
        facts.append(("overrides", mapping(run["overrides"])))
    facts += [
        ("verdict", f"{run['status']}: {verdict['summary']}"),
        ("time, memory", f"{seconds(run['wall_s'])} wall, maxrss {run['maxrss_gib']:.2f} GiB"
                         + (f"; {number(run['available_gib_at_start'], 3)} GiB available at start" if "available_gib_at_start" in run else "")
                         + (f", load average {number(run['load_at_start'], 3)}" if "load_at_start" in run else "")),
        ("seed, trials, finished", f"{run['seed']}, {run['trials']} trial(s), {run['date']}"),
        ("result", run["result"]["uid"]),
    ]
    return facts


def machine_line(data: Mapping[str, Any]) -> str:
    m = data.get("machine", {})
    return f"Machine (as stated at the start of the latest run): {m.get('statement', 'not recorded')}."


def _md_cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(data: Mapping[str, Any]) -> str:
    """``large_width.md`` from the large-width record."""
    header, rows = summary_table(data)
    lines = [f"# {TITLE}", "", _INTRO + f" Data: [{DATA}]({DATA}).", "", machine_line(data), "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    for run in data.get("runs", {}).values():
        lines += ["", f"## `{run['lemma']}:{run['check']}`", ""]
        lines += [f"- {label}: {text}" for label, text in run_facts(run, data.get("machine", {}).get("ram_gib"))]
        lines += ["", "| quantity | value |", "|---|---|"]
        lines += [f"| {_md_cell(k)} | {_md_cell(number(v, VALUE_DIGITS))} |" for k, v in run["values"].items()]
    return "\n".join(lines) + "\n"


def html_section(data: Mapping[str, Any]) -> list[str]:
    """The body of the section of ``index.html`` (its heading is added by the index)."""
    header, rows = summary_table(data)
    status_column = header.index("status")
    out = [f"<p>{escape(_INTRO)} Also as <a href=\"{PAGE}\">Markdown</a>, data: <a href=\"{DATA}\">{DATA}</a>.</p>",
           f"<p>{escape(machine_line(data))}</p>",
           "<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{badge(c) if i == status_column else escape(c)}</td>" for i, c in enumerate(row)) + "</tr>"
            for row in rows]
    out.append("</table>")
    for run in data.get("runs", {}).values():
        facts = run_facts(run, data.get("machine", {}).get("ram_gib")) + [(k, number(v, VALUE_DIGITS)) for k, v in run["values"].items()]
        out += [f'<div class="result"><h4>{badge(run["status"])} <code>{escape(run["lemma"])}:{escape(run["check"])}</code> '
                f'<span class="muted">{escape(_size(run["sizes"]))}</span></h4>',
                "<table>" + "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts) + "</table></div>"]
    return out


def write_page(out: str | Path) -> tuple[Path | None, list[tuple[str, str, Sequence[str]]], str | None]:
    """Render the large-width record of ``out``, if any: (Markdown path, index sections, a note on a bad file).

    The index sections are (anchor, title, body lines) for :func:`lemmas.report.html.render_index`.
    """
    try:
        data = read(out)
    except ValueError as exc:
        return None, [], f"{TITLE}: not rendered: {exc}"
    if data is None:
        return None, [], None
    page = Path(out) / PAGE
    page.write_text(render_markdown(data), encoding="utf-8")
    return page, [(ANCHOR, TITLE, html_section(data))], None
