"""The page "Largest widths on this machine": benchmarks/large_width.py writes the record, a report renders it."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from lemmas.registry import Settings
from lemmas.report import large_width, write_report

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture()
def script(monkeypatch):
    """benchmarks/large_width.py as a module (it imports run_all from its own directory)."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("large_width_script", BENCHMARKS / "large_width.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "MARGIN_GIB", 0.0)  # tiny runs: do not wait for the margin of the real ones
    return module


def _tiny_plans(script):
    """The three papers' plans at widths that run in a second: budgets sized to give m = 256 and m = 1024."""
    return [script.plan_du2018(2048, budget_gib=0.001, n=8, d=16),
            script.plan_azls2018(8 * 2 * 256**2 / script.GIB),
            script.plan_zou2018(24 * 8 * 3 * 1024 / script.GIB)]


def _fake_run(paper: str, status: str = "holds") -> dict:
    return {"paper": paper, "lemma": f"{paper}.lemmaX", "check": "c", "claim": "x ≤ b", "computed": "x", "sizes": {"m": 4096},
            "trials": 1, "seed": 1, "width": {"m": 4096, "limit": "memory", "budget_gib": 1.0, "formula": "m float64", "why": "fits"},
            "overrides": {}, "status": status, "values": {"x": 0.5, "b": 1.0}, "wall_s": 1.5, "maxrss_gib": 0.1,
            "date": "2026-01-01T00:00:00+00:00", "machine": "two cores", "result": {"uid": f"{paper}.lemmaX[c]", "verdict": {"summary": "x below b"}}}


def _write(out: Path, data: dict) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / large_width.DATA
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_script_record_of_each_paper_is_rendered_in_the_report_and_kept(script, tmp_path):
    path = tmp_path / large_width.DATA
    for plan in _tiny_plans(script):
        script.merge(script.run(plan, wait_minutes=0), path)
    before = path.read_bytes()
    files = write_report([], tmp_path, settings=Settings(), draw_plots=False)
    assert path.read_bytes() == before
    data = large_width.read(tmp_path)
    assert list(data["runs"]) == ["du2018", "azls2018", "zou2018"]
    du, azls, zou = data["runs"].values()
    assert du["sizes"] == {"n": 8, "d": 16, "m": 2048} and du["overrides"] == {"width_sharp": "2048"}
    assert du["result"]["observations"][0]["m"] == 2048  # the registered trial ran at the overridden width
    assert du["values"]["width threshold, sharp Hoeffding: 8n²log(2n²/δ)/λ0²"] > 2048
    assert azls["sizes"]["m"] == 256 and zou["sizes"]["m"] == 1024
    assert all(run["maxrss_gib"] > 0 and run["wall_s"] > 0 for run in data["runs"].values())
    page = (tmp_path / large_width.PAGE).read_text(encoding="utf-8")
    assert page.startswith(f"# {large_width.TITLE}") and "| du2018 | du2018.lemma3.1:probability | n = 8, d = 16, m = 2,048 |" in page
    assert tmp_path / large_width.PAGE in files.markdown
    index = files.index.read_text(encoding="utf-8")
    assert f'<a href="#{large_width.ANCHOR}">{large_width.TITLE}</a>' in index
    assert f'<h2 id="{large_width.ANCHOR}">' in index and "azls2018.lemma7.1:moments" in index
    assert f'href="{large_width.PAGE}"' in index and f'href="{large_width.DATA}"' in index


def test_report_without_the_record_has_no_large_width_page(tmp_path):
    files = write_report([], tmp_path, settings=Settings(), draw_plots=False)
    assert not (tmp_path / large_width.PAGE).exists()
    assert large_width.ANCHOR not in files.index.read_text(encoding="utf-8")


def test_a_foreign_record_is_noted_in_the_index_and_left_alone(tmp_path):
    path = _write(tmp_path, {"format": "something else"})
    files = write_report([], tmp_path, settings=Settings(), draw_plots=False)
    index = files.index.read_text(encoding="utf-8")
    assert "not rendered" in index and "something else" in index
    assert not (tmp_path / large_width.PAGE).exists()
    assert json.loads(path.read_text(encoding="utf-8")) == {"format": "something else"}


def test_a_run_missing_keys_is_rejected_by_name(tmp_path):
    run = _fake_run("du2018")
    del run["maxrss_gib"]
    _write(tmp_path, {"format": large_width.FORMAT, "runs": {"du2018": run}})
    with pytest.raises(ValueError, match="'du2018' lacks maxrss_gib"):
        large_width.read(tmp_path)


def test_page_escapes_html_and_markdown_table_cells(tmp_path):
    run = _fake_run("zou2018", status="inconclusive")
    run["claim"] = "a <b> c"
    run["values"] = {"x | y": 1.0}
    data = {"format": large_width.FORMAT, "machine": {"statement": "two cores"}, "runs": {"zou2018": run}}
    html = "\n".join(large_width.html_section(data))
    assert "a &lt;b&gt; c" in html and "<b>" not in html and "two cores." in html
    assert "| x \\| y | 1 |" in large_width.render_markdown(data)


def test_merge_replaces_the_same_papers_run_and_keeps_the_others(script, tmp_path):
    path = tmp_path / "sub" / large_width.DATA
    script.merge(_fake_run("du2018"), path)
    script.merge(_fake_run("zou2018"), path)
    script.merge(_fake_run("du2018", status="violated"), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == large_width.FORMAT and data["machine"]["cores"] >= 1
    assert list(data["runs"]) == ["du2018", "zou2018"] and data["runs"]["du2018"]["status"] == "violated"


def test_merge_refuses_to_overwrite_another_file(script, tmp_path):
    path = _write(tmp_path, {"format": "lemmas-report/1"})
    with pytest.raises(SystemExit, match="not a large-width file"):
        script.merge(_fake_run("du2018"), path)
    assert json.loads(path.read_text(encoding="utf-8")) == {"format": "lemmas-report/1"}
