"""The ``index.html`` of a report: one self-contained page (inline CSS, no scripts, no network).

Rendered from the lemma records (the JSON files) only. At the top: counts per status, every verdict
other than "holds", the family-wise statement for the probability checks, and the environment once.
Then per lemma: statement and source, constants (LaTeX as text in $…$, numbers where the expression has
no free symbols), and each check-case's verdict with its evidence, plot and replay file.
"""

from __future__ import annotations

from html import escape
from typing import Any, Mapping, Sequence

from lemmas.report.summary import FamilyWise, non_holds, status_counts
from lemmas.report.text import mapping, number, seconds, uid_safe

#: Colour of each status (background of its badge).
STATUS_COLOURS = {
    "holds": "#2e7d32",
    "violated": "#c62828",
    "inconclusive": "#f9a825",
    "slack evidence": "#607d8b",
    "exploratory": "#6a1b9a",
    "documented erratum": "#ef6c00",
    "error": "#000000",
}

_CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; margin: 2em auto; max-width: 78em; padding: 0 1em; color: #222; }
h1, h2, h3 { font-weight: 600; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .6em 0; font-size: 90%; } td, th { border: 1px solid #ddd; padding: .25em .5em; vertical-align: top; text-align: left; }
th { background: #f4f4f4; } code, .tex { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 92%; }
.tex { color: #333; background: #f7f7fb; padding: 0 .2em; }
.badge { color: #fff; border-radius: .3em; padding: .05em .45em; font-size: 85%; white-space: nowrap; }
.statement { background: #fafafa; border-left: 4px solid #90a4ae; padding: .5em 1em; white-space: pre-wrap; }
.result { border: 1px solid #e0e0e0; border-radius: .4em; padding: .4em .8em; margin: .8em 0; }
.muted { color: #666; font-size: 90%; } img { max-width: 100%; border: 1px solid #eee; }
pre { background: #f7f7f7; padding: .5em; overflow-x: auto; font-size: 85%; }
"""


def badge(status: str) -> str:
    colour = STATUS_COLOURS.get(status, "#455a64")
    text_colour = "#000" if status == "inconclusive" else "#fff"
    return f'<span class="badge" style="background:{colour};color:{text_colour}">{escape(status)}</span>'


def anchor(uid: str) -> str:
    """A unique HTML id for a result uid or lemma id."""
    return "r-" + uid_safe(uid)


def _tex(latex: str) -> str:
    return f'<span class="tex">${escape(latex)}$</span>'


def summary_section(results: Sequence[Mapping[str, Any]], errors: Sequence[Mapping[str, Any]], fw: FamilyWise,
                    notes: Sequence[str]) -> list[str]:
    counts = status_counts(results)
    out = ["<h2>Summary</h2>", "<table><tr>" + "".join(f"<th>{badge(s)}</th>" for s in counts) + "<th>errors</th></tr>",
           "<tr>" + "".join(f"<td>{c}</td>" for c in counts.values()) + f"<td>{len(errors)}</td></tr></table>"]
    rows = non_holds(results)
    if rows or errors:
        out.append("<h3>Verdicts other than “holds”</h3><table><tr><th>status</th><th>check-case</th><th>summary</th></tr>")
        for r in rows:
            erratum = f'<br><span class="muted">erratum: {escape(r["erratum"])}</span>' if r.get("erratum") else ""
            out.append(f'<tr><td>{badge(r["status"])}</td><td><a href="#{anchor(r["uid"])}"><code>{escape(r["uid"])}</code></a></td>'
                       f'<td>{escape(r["summary"])}{erratum}</td></tr>')
        for e in errors:
            out.append(f'<tr><td>{badge("error")}</td><td><code>{escape(e["uid"])}</code></td><td>{escape(e["message"])}</td></tr>')
        out.append("</table>")
    else:
        out.append("<p>Every verdict is “holds”.</p>")
    out.append(f"<h3>Family-wise error (probability checks)</h3><p>{escape(fw.statement())}</p>")
    out += [f'<p class="muted">{escape(n)}</p>' for n in notes]
    return out


def constants_table(quantities: Sequence[Mapping[str, Any]]) -> list[str]:
    out = ["<table><tr><th>name</th><th>meaning</th><th>role</th><th>tag</th><th>expression</th><th>value</th><th>derivation</th></tr>"]
    for q in quantities:
        out.append(
            f"<tr><td><code>{escape(q['name'])}</code></td><td>{escape(q['meaning'])}</td><td>{escape(q['role'])}</td>"
            f"<td>{escape(q['tag'])}</td><td>{_tex(q['latex'])}</td><td>{escape(number(q['value'], 6))}</td>"
            f"<td>{escape(q['derivation'] or '')}</td></tr>"
        )
    return out + ["</table>"]


def result_block(result: Mapping[str, Any], artifacts: Mapping[str, Any]) -> list[str]:
    v = result["verdict"]
    rows = [
        ("claim", escape(result["claim"])),
        ("quantity", escape(v["quantity"])),
        ("value vs bound", f"{escape(number(v['value']))} vs {escape(number(v['bound']))}"),
        ("margin", escape(number(v["margin"]))),
        ("tier", escape(v["tier"])),
        ("hypotheses held", escape(str(v["hypotheses_held"]))),
        ("summary", escape(v["summary"])),
    ]
    if v.get("worst_case"):
        rows.append(("worst case", f"<code>{escape(mapping(v['worst_case']))}</code>"))
    if result.get("erratum"):
        rows.append(("erratum", escape(result["erratum"])))
    if result.get("overrides"):
        rows.append(("overrides", f"<code>{escape(mapping(result['overrides']))}</code>"))
    rows += [
        ("case", f"<code>{escape(mapping(result['case']) or '—')}</code>"),
        ("seed, trials, time", f"{result['seed']}, {result['n_trials']} trial(s), {escape(seconds(result['elapsed']))}"),
    ]
    if artifacts.get("replay"):
        path = escape(artifacts["replay"])
        rows.append(("counterexample", f'trial {v["counterexample"]}: <a href="{path}">{path}</a> '
                                       f"(<code>lemmas replay {path}</code>)"))
    out = [f'<div class="result" id="{anchor(result["uid"])}">',
           f'<h4>{badge(result["status"])} <code>{escape(result["uid"])}</code> <span class="muted">{escape(result["kind"])}</span></h4>',
           "<table>" + "".join(f"<tr><th>{k}</th><td>{val}</td></tr>" for k, val in rows) + "</table>"]
    if artifacts.get("plot"):
        path = escape(artifacts["plot"])
        out.append(f'<a href="{path}"><img src="{path}" alt="plot of {escape(result["uid"])}"></a>')
    elif artifacts.get("plot_note"):
        out.append(f'<p class="muted">plot: {escape(artifacts["plot_note"])}</p>')
    return out + ["</div>"]


def lemma_section(record: Mapping[str, Any]) -> list[str]:
    lemma = record["lemma"]
    src = lemma["source"]
    out = [f'<h2 id="{anchor(lemma["id"])}"><code>{escape(lemma["id"])}</code>: {escape(lemma["title"])}</h2>',
           f"<p>{escape(src.get('cite', ''))}"
           + (f' <span class="muted">(spec: {escape(src["spec"])})</span>' if src.get("spec") else "")
           + f' <span class="muted">confidence tag [{escape(lemma["tag"])}]</span> — '
           f'<a href="{escape(lemma["id"])}.json">JSON</a>, <a href="{escape(lemma["id"])}.md">Markdown</a></p>',
           f'<div class="statement">{escape(lemma["statement"])}</div>']
    if lemma["hypotheses"]:
        out.append("<p><b>Hypotheses</b></p><ul>" + "".join(
            f"<li><code>{escape(k)}</code>: {escape(v)}</li>" for k, v in lemma["hypotheses"].items()) + "</ul>")
    if lemma["notes"]:
        out.append("<p><b>Notes</b></p><ul>" + "".join(f"<li>{escape(n)}</li>" for n in lemma["notes"]) + "</ul>")
    if lemma["quantities"]:
        out += ["<p><b>Constants and bounds</b></p>"] + constants_table(lemma["quantities"])
    for result in record["results"]:
        out += result_block(result, record["artifacts"].get(result["uid"], {}))
    for e in record["errors"]:
        out.append(f'<div class="result">{badge("error")} <code>{escape(e["uid"])}</code>: {escape(e["message"])}'
                   f'<pre>{escape(e["traceback"])}</pre></div>')
    return out


def environment_section(run: Mapping[str, Any]) -> list[str]:
    env = run.get("environment", {})
    settings = f"mode {run.get('mode')}, seed {run.get('seed')}, α = {run.get('alpha')}, trials override {run.get('trials')}, jobs {run.get('jobs')}"
    return ["<h2>Run and environment</h2>", f"<p>{escape(settings)}</p>",
            "<table>" + "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(val))}</td></tr>" for k, val in env.items()) + "</table>"]


def render_index(records: Sequence[Mapping[str, Any]], fw: FamilyWise, notes: Sequence[str] = (),
                 sections: Sequence[tuple[str, str, Sequence[str]]] = ()) -> str:
    """The whole ``index.html`` for ``records`` (one per lemma, all from one run).

    ``sections`` are further sections, (anchor, title, body lines), linked under the summary and placed
    after the lemmas (e.g. :mod:`lemmas.report.large_width`).
    """
    results = [r for rec in records for r in rec["results"]]
    errors = [e for rec in records for e in rec["errors"]]
    body = ["<h1>Lemma verification report</h1>"]
    body += summary_section(results, errors, fw, notes)
    if sections:
        body.append("<p>Also in this report: " + ", ".join(
            f'<a href="#{escape(a)}">{escape(title)}</a>' for a, title, _ in sections) + "</p>")
    body.append("<h2>Lemmas</h2><ul>" + "".join(
        f'<li><a href="#{anchor(rec["lemma"]["id"])}"><code>{escape(rec["lemma"]["id"])}</code></a>: '
        f'{escape(rec["lemma"]["title"])} — ' + " ".join(badge(r["status"]) for r in rec["results"]) + "</li>"
        for rec in records) + "</ul>")
    for rec in records:
        body += lemma_section(rec)
    for a, title, lines in sections:
        body += [f'<h2 id="{escape(a)}">{escape(title)}</h2>', *lines]
    if records:
        body += environment_section(records[0]["run"])
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Lemma verification report</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
