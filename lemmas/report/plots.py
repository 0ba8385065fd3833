"""Plots of check results (matplotlib, optional extra ``plots``).

A result gets one figure with one panel per *plot spec*. Specs are plain dicts, built from the stored
result alone:

* exponent checks: log-log scatter of ``evidence["x"]``, ``evidence["y"]``, the fitted line and a reference
  line of the claimed slope through the data's centre;
* other kinds with per-trial margins: the margin of each trial against the zero line (the claim held in a
  trial where its margin is ≥ 0);
* the lemma's own plot: a verdict whose evidence has ``"plot": {"title", "xlabel", "ylabel", "xscale",
  "yscale", "series": [{"label", "x", "y", "style"}]}`` gets that panel too (``style`` is a matplotlib
  format string such as ``"o"``, ``"-"`` or ``"k--"``).

Drawing uses matplotlib's object API with the Agg canvas (no pyplot, no global backend change). Without
matplotlib, :func:`available` is False and reports say so instead of drawing.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

#: Keys a lemma's own plot spec may have (``series`` is required).
PLOT_KEYS = ("title", "xlabel", "ylabel", "xscale", "yscale", "series")


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def missing_reason() -> str:
    return "matplotlib is not installed (install the extra: pip install 'lemmas[plots]'): no plots drawn"


def _finite_pairs(xs: Any, ys: Any, positive: bool = False) -> tuple[list[float], list[float]]:
    keep = [
        (float(x), float(y)) for x, y in zip(xs, ys)
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and math.isfinite(x) and math.isfinite(y)
        and (not positive or (x > 0 and y > 0))
    ]
    return [p[0] for p in keep], [p[1] for p in keep]


def exponent_spec(result: Mapping[str, Any]) -> dict[str, Any] | None:
    verdict = result["verdict"]
    ev = verdict.get("evidence", {})
    xs, ys = _finite_pairs(ev.get("x", []), ev.get("y", []), positive=True)
    fit = ev.get("fit", {})
    if len(xs) < 2 or not isinstance(fit.get("exponent"), (int, float)) or not isinstance(fit.get("constant"), (int, float)):
        return None
    grid = sorted(set(xs))
    slope, const = float(fit["exponent"]), float(fit["constant"])
    series = [
        {"label": "trials", "x": xs, "y": ys, "style": "o"},
        {"label": f"fit: slope {slope:.3f}", "x": grid, "y": [const * x**slope for x in grid], "style": "-"},
    ]
    claimed = verdict.get("bound")
    if isinstance(claimed, (int, float)) and math.isfinite(claimed):
        # reference line of the claimed slope through the geometric centre of the data
        cx = math.exp(sum(math.log(x) for x in xs) / len(xs))
        cy = math.exp(sum(math.log(y) for y in ys) / len(ys))
        series.append({"label": f"claimed slope {claimed:g}", "x": grid, "y": [cy * (x / cx) ** claimed for x in grid],
                       "style": "k--"})
    return {"title": verdict.get("quantity", "exponent"), "xlabel": ev.get("variable", "x"), "ylabel": "value",
            "xscale": "log", "yscale": "log", "series": series}


def margin_spec(result: Mapping[str, Any]) -> dict[str, Any] | None:
    margins = [o.get("margin") for o in result.get("observations", [])]
    idx, vals = _finite_pairs(range(len(margins)), margins)
    if len(vals) < 2:
        return None
    return {"title": f"{result['check']}: margin per trial (≥ 0: the claim held)", "xlabel": "trial", "ylabel": "margin",
            "xscale": "linear", "yscale": "linear",
            "series": [{"label": "margin", "x": idx, "y": vals, "style": "o"},
                       {"label": "0", "x": [idx[0], idx[-1]], "y": [0.0, 0.0], "style": "r-"}]}


def lemma_spec(result: Mapping[str, Any]) -> dict[str, Any] | None:
    """The lemma's own plot spec, validated (ValueError names what is wrong)."""
    spec = result["verdict"].get("evidence", {}).get("plot")
    if spec is None:
        return None
    if not isinstance(spec, dict) or not isinstance(spec.get("series"), list):
        raise ValueError("evidence['plot'] must be a dict with a list 'series'")
    unknown = set(spec) - set(PLOT_KEYS)
    if unknown:
        raise ValueError(f"evidence['plot'] has unknown keys {sorted(unknown)}; allowed: {', '.join(PLOT_KEYS)}")
    for s in spec["series"]:
        if not isinstance(s, dict) or "x" not in s or "y" not in s or len(s["x"]) != len(s["y"]):
            raise ValueError("each series of evidence['plot'] needs 'x' and 'y' of equal length")
    return spec


def plot_specs(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every panel a result's figure shows (possibly none)."""
    generic = exponent_spec(result) if result["kind"] == "exponent" else margin_spec(result)
    return [s for s in (generic, lemma_spec(result)) if s is not None]


def draw(specs: list[Mapping[str, Any]], path: Path) -> Path:
    """Draw ``specs`` side by side into a PNG at ``path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2 * len(specs), 3.8), layout="constrained")
    FigureCanvasAgg(fig)
    for ax, spec in zip(fig.subplots(1, len(specs), squeeze=False)[0], specs):
        positive = spec.get("xscale") == "log" or spec.get("yscale") == "log"
        for s in spec["series"]:
            xs, ys = _finite_pairs(s["x"], s["y"], positive=positive)
            ax.plot(xs, ys, s.get("style", "o-"), label=s.get("label"), markersize=4)
        ax.set_xscale(spec.get("xscale", "linear"))
        ax.set_yscale(spec.get("yscale", "linear"))
        ax.set_title(spec.get("title", ""), fontsize=9)
        ax.set_xlabel(spec.get("xlabel", ""))
        ax.set_ylabel(spec.get("ylabel", ""))
        ax.grid(True, alpha=0.3)
        if any(s.get("label") for s in spec["series"]):
            ax.legend(fontsize=7)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    return path
