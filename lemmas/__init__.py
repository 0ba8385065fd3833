"""lemmas: numerical verification of the convergence theory of over-parameterized ReLU networks.

Stable public API (two-layer network of Du et al. 2018):

* :func:`gram_infinity` — the infinite-width Gram matrix H∞ (closed form, stable angles)
* :func:`gram` — the finite-width Gram matrix H(W) = (XXᵀ)∘(SSᵀ)/m, computed in width chunks
* :func:`loss_and_grad` — the loss ½‖u − y‖² and its gradient in W (indicator ``>= 0``)
* :func:`certified_lambda0` — a rigorous enclosure (lo, hi) of λ_min(H∞) for float inputs
"""

__version__ = "0.1.0"

from lemmas.certify import certified_lambda0  # noqa: E402
from lemmas.core.twolayer import gram, gram_infinity, loss_and_grad  # noqa: E402


__all__ = ["gram", "gram_infinity", "loss_and_grad", "certified_lambda0", "__version__"]
