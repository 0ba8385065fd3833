"""Markdown rendering of one lemma's JSON record (``reports/<id>.md``).

Rendered from the stored record only, so the Markdown never says more than the JSON holds.
"""

from __future__ import annotations

from typing import Any, Mapping

from lemmas.report.text import mapping, number, seconds


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def constants_table(quantities: list[Mapping[str, Any]]) -> list[str]:
    lines = ["| name | meaning | role | tag | expression | value | derivation |", "|---|---|---|---|---|---|---|"]
    for q in quantities:
        lines.append("| " + " | ".join(_cell(v) for v in (
            f"`{q['name']}`", q["meaning"], q["role"], q["tag"], f"${q['latex']}$", number(q["value"], 6), q["derivation"] or "",
        )) + " |")
    return lines


def result_section(result: Mapping[str, Any], artifacts: Mapping[str, Any]) -> list[str]:
    v = result["verdict"]
    lines = [
        f"### `{result['uid']}`",
        "",
        f"**{result['status']}** ({result['kind']}; outcome {v['outcome']}) — {result['claim']}",
        "",
        f"- quantity: {v['quantity']}",
        f"- value {number(v['value'])} vs bound {number(v['bound'])}; margin {number(v['margin'])}",
        f"- tier: {v['tier']}; hypotheses held: {v['hypotheses_held']}",
        f"- summary: {v['summary']}",
    ]
    if v.get("worst_case"):
        lines.append(f"- worst case: {mapping(v['worst_case'])}")
    if result.get("erratum"):
        lines.append(f"- erratum: {result['erratum']}")
    if result.get("overrides"):
        lines.append(f"- overrides: {mapping(result['overrides'])}")
    lines.append(f"- case: {mapping(result['case']) or '—'}")
    lines.append(f"- seed {result['seed']}, {result['n_trials']} trial(s), {seconds(result['elapsed'])}")
    if artifacts.get("replay"):
        lines.append(f"- counterexample: trial {v['counterexample']}, replay with `lemmas replay {artifacts['replay']}`")
    if artifacts.get("plot"):
        lines += ["", f"![{result['uid']}]({artifacts['plot']})"]
    elif artifacts.get("plot_note"):
        lines.append(f"- plot: {artifacts['plot_note']}")
    return lines + [""]


def render_markdown(record: Mapping[str, Any]) -> str:
    """The Markdown page of one lemma record."""
    lemma = record["lemma"]
    run = record["run"]
    lines = [
        f"# {lemma['id']}: {lemma['title']}",
        "",
        f"Source: {lemma['source'].get('cite', '')}" + (f" (spec: {lemma['source']['spec']})" if lemma["source"].get("spec") else ""),
        f"Confidence tag: [{lemma['tag']}]",
        "",
        "> " + lemma["statement"].replace("\n", "\n> "),
        "",
    ]
    if lemma["hypotheses"]:
        lines += ["## Hypotheses", ""] + [f"- `{k}`: {v}" for k, v in lemma["hypotheses"].items()] + [""]
    if lemma["notes"]:
        lines += ["## Notes", ""] + [f"- {note}" for note in lemma["notes"]] + [""]
    if lemma["quantities"]:
        lines += ["## Constants and bounds", ""] + constants_table(lemma["quantities"]) + [""]
    lines += ["## Checks", ""]
    for result in record["results"]:
        lines += result_section(result, record["artifacts"].get(result["uid"], {}))
    if record["errors"]:
        lines += ["## Errors", ""] + [f"- `{e['uid']}`: {e['message']}" for e in record["errors"]] + [""]
    env = run.get("environment", {})
    lines += [
        "## Run",
        "",
        f"mode {run['mode']}, seed {run['seed']}, α = {run['alpha']}, trials override {run['trials']}, jobs {run['jobs']}",
        "",
        "Environment: " + ", ".join(f"{k} {v}" for k, v in env.items()),
        "",
    ]
    return "\n".join(lines)
