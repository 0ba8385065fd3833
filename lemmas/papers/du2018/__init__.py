"""Du, Zhai, Póczos, Singh, "Gradient Descent Provably Optimizes Over-parameterized Neural Networks",
arXiv 1810.02054v2 (ICLR 2019): two-layer ReLU network, first layer trained, quadratic loss.

Spec: ``shared/spec/du2018.md``. One module per lemma; ``constants`` holds the sympy chain they share.
"""

from lemmas.registry import Source


def source(section: str, spec: str) -> Source:
    return Source(paper="Du, Zhai, Póczos, Singh 2018", arxiv="1810.02054", version="v2", section=section, spec=spec)
