"""lemmas: numerical verification of the convergence theory of over-parameterized ReLU networks.

Stable public API (two-layer network of Du et al. 2018):

* :func:`gram_infinity` — the infinite-width Gram matrix H∞ (closed form, stable angles)
* :func:`gram` — the finite-width Gram matrix H(W) = (XXᵀ)∘(SSᵀ)/m, computed in width chunks
* :func:`loss_and_grad` — the loss ½‖u − y‖² and its gradient in W (indicator ``>= 0``)
* :func:`certified_lambda0` — a rigorous enclosure (lo, hi) of λ_min(H∞) for float inputs

Auditing a claimed bound (any lemma of the registry; :mod:`lemmas.auditing`):

* :func:`audit` — ``lemmas.audit("du2018.lemma3.2", set={"R": "0.5*delta*lambda0/n**2"}, budget="60s")``
  searches for a counterexample and returns an :class:`~lemmas.auditing.AuditResult` (survived / refuted)
"""

__version__ = "0.1.0"

from lemmas.certify import certified_lambda0  # noqa: E402
from lemmas.core.twolayer import gram, gram_infinity, loss_and_grad  # noqa: E402


__all__ = ["gram", "gram_infinity", "loss_and_grad", "certified_lambda0", "audit", "__version__"]


def __getattr__(name: str) -> object:
    # The audit pulls in the registry and Hypothesis: imported on first use, not with ``import lemmas``.
    if name == "audit":
        from lemmas.auditing import audit

        return audit
    raise AttributeError(f"module 'lemmas' has no attribute {name!r}")
