"""Zou, Cao, Zhou, Gu, "Stochastic Gradient Descent Optimizes Over-parameterized Deep ReLU Networks",
arXiv 1811.08888v3: deep ReLU networks (all hidden layers trained, fixed ±1 output), binary classification with
a family of losses, GD and SGD.

Spec: ``shared/spec/zou2018.md``. Shared pieces: ``losses`` (ℓ, ℓ′, ℓ″ and the constants of Assumptions
3.1–3.3 and 4.4), ``data`` (inputs with last coordinate μ, labels, separation φ), ``constants`` (the sympy chain
of spec §4–§5), ``network`` (thin adapter over :mod:`lemmas.core.deep`). One module per group of lemmas.
"""

from lemmas.registry import Source


def source(section: str, spec: str) -> Source:
    return Source(paper="Zou, Cao, Zhou, Gu 2018", arxiv="1811.08888", version="v3", section=section, spec=spec)
