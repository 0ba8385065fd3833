"""Arora, Du, Hu, Li, Wang, "Fine-Grained Analysis of Optimization and Generalization for Overparameterized
Two-Layer Neural Networks", arXiv 1901.08584v2 (ICML 2019): the DZPS network with initialisation scale κ
(w_r(0) ~ N(0, κ²I)), first layer trained by GD, the kernel H∞ and its complexity measure √(2yᵀ(H∞)⁻¹y/n).

Spec: ``shared/spec/du2018.md`` §6. One module per result (``lemmaC`` holds Lemmas C.1–C.3, ``figures`` the
experiments of App. A); ``constants`` holds the sympy expressions they share. Shared numerics live with the
result that defines them: ``theorem4_1`` holds the fixed problems of the dynamics checks (inputs, labels, H∞,
certified λ0, step size), ``complexity`` the complexity measure, the label-noise model and the labelled data
sets, ``theorem5_1`` the training protocol of the generalization experiments, ``theorem6_1`` the certified
enclosure of yᵀH⁻¹y.
"""

from __future__ import annotations

from typing import Any, Sequence

from lemmas.registry import Source


def source(section: str, spec: str) -> Source:
    return Source(paper="Arora, Du, Hu, Li, Wang 2019", arxiv="1901.08584", version="v2", section=section, spec=spec)


def plot(title: str, xlabel: str, ylabel: str, series: Sequence[dict[str, Any]], xscale: str = "linear", yscale: str = "linear") -> dict[str, Any]:
    """A figure for the report writer (stored in ``verdict.evidence["plot"]``)."""
    return {"title": title, "xlabel": xlabel, "ylabel": ylabel, "xscale": xscale, "yscale": yscale, "series": list(series)}


#: The report writer draws each series with a matplotlib format string.
_STYLES = {"line": "-", "marker": "o", "dashed": "--"}


def series(label: str, x: Sequence[float], y: Sequence[float], style: str = "line") -> dict[str, Any]:
    """One curve of a :func:`plot`; ``style`` is "line", "marker" or "dashed"."""
    return {"label": label, "x": [float(v) for v in x], "y": [float(v) for v in y], "style": _STYLES[style]}
