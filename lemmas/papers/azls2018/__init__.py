"""Allen-Zhu, Li, Song, "A Convergence Theory for Deep Learning via Over-Parameterization",
arXiv 1811.03962 (v5 numbering; ICML 2019): deep fully-connected ReLU networks, A and B fixed, W_1..W_L trained.

Spec: ``shared/spec/azls2018.md``. The paper's own text is not confirmed there (§0): its statements rest on
secondary restatements. Pass/fail verdicts are given only for [D] pure mathematics (exact moments, gradient
and PL identities, the Claim 11.2 secant identity, the one-layer sign-flip certificate, the sympy
reconstruction of §5) and for exponents that two independent restatements state alike (spec README);
everything else is exploratory. ``constants`` holds the sympy polynomials, ``scaling`` the O(·)/Ω(·) sweep
machinery, ``networks`` the data and networks of a case, ``adversary`` the worst-case search over the spectral
ball, ``training`` the GD/SGD runs; one module per lemma or coherent group.
"""

from lemmas.registry import Source


def source(section: str, spec: str) -> Source:
    return Source(paper="Allen-Zhu, Li, Song 2018", arxiv="1811.03962", version="v5", section=section, spec=spec)
