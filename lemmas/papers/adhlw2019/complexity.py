"""ADHLW's data-dependent complexity measure √(2yᵀ(H∞)⁻¹y/n) (eq. (10)) as a function of label noise.

> "[…] our complexity measure almost matches the trend of generalization error as the portion of random
> labels increases" (arXiv 1901.08584v2, §5 and App. A, Figure 2: MNIST ≈ 0.2 at portion 0, ≈ 6.5 at portion 1).

The measure is computable from the data alone and independent of m. The noise model is the paper's: a chosen
portion of the labels is replaced by independent unif{±1} labels. The portions share their randomness (one
permutation π and one vector ξ of random labels per trial: portion p replaces the labels of π's first ⌈pn⌉
indices by ξ), so that within a trial a larger portion means a superset of corrupted labels.

Check ``increases_with_noise`` (exploratory, a trend read off a figure): in most noise draws (probability at
least 1/2, Clopper–Pearson) the measure increases from each portion to the next by at least ``min_increase``
(= 0). "Most draws", not "every draw": between portions ¾ and 1 the labels are already nearly random and the
increase is small against the draw-to-draw spread (the paper's curves are single runs). Negative control: an
increase of 100.

Data: the digits 0 and 1 of :mod:`lemmas.core.realdata` (MNIST's first two classes in the paper), and a
synthetic set that needs no optional package (sphere inputs with the labels sign(x₁), a learnable target).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np
import scipy.linalg
import sympy as sp

from lemmas.checks import compare, probability_verdict
from lemmas.core import realdata
from lemmas.core.data import sphere
from lemmas.core.twolayer import gram_infinity
from lemmas.papers.adhlw2019 import constants, plot, series, source
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity

#: ADHLW Figure 2, MNIST complexity measure read by eye at the two ends (spec du2018.md §6.6); comparison only.
PAPER_MNIST_COMPLEXITY = {0.0: 0.2, 1.0: 6.5}


def quadratic_form(H: np.ndarray, y: np.ndarray) -> float:
    """yᵀH⁻¹y by a Cholesky solve (H symmetric positive definite)."""
    return float(y @ scipy.linalg.cho_solve(scipy.linalg.cho_factor(H), y))


def complexity_measure(H: np.ndarray, y: np.ndarray) -> float:
    """√(2yᵀ(H∞)⁻¹y/n) (ADHLW eq. (10))."""
    return math.sqrt(2.0 * quadratic_form(H, y) / y.size)


def noisy_labels(rng: np.random.Generator, y: np.ndarray, portions: Sequence[float]) -> list[np.ndarray]:
    """For each portion p: y with the labels of the first ⌈p·n⌉ indices of one random permutation replaced by
    one vector of unif{±1} labels (shared across portions, so the corrupted sets are nested)."""
    order = rng.permutation(y.size)
    xi = rng.choice(np.array([-1.0, 1.0]), size=y.size)
    out = []
    for p in portions:
        noisy = y.copy()
        idx = order[: int(math.ceil(float(p) * y.size))]
        noisy[idx] = xi[idx]
        out.append(noisy)
    return out


@dataclass(frozen=True)
class LabelledSet:
    """Training and test inputs (unit rows) with clean ±1 labels, and H∞ of the training inputs."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    H: np.ndarray
    description: str


@lru_cache(maxsize=8)
def _labelled_set(inputs: str, data_seed: int, n: int, d: int) -> LabelledSet:
    if inputs == "digits":
        data = realdata.digits_two_class((0, 1), seed=data_seed)
        Xtr, ytr, Xte, yte = data.X_train, data.y_train, data.X_test, data.y_test
        what = f"digits 0 (+1) / 1 (−1), {data.n} train, {Xte.shape[0]} test, d = {data.d}"
    elif inputs == "sphere_sign":
        X = sphere(np.random.default_rng([19010858, 10, data_seed]), 2 * n, d)
        y = np.where(X[:, 0] >= 0, 1.0, -1.0)
        Xtr, ytr, Xte, yte = X[:n], y[:n], X[n:], y[n:]
        what = f"{n} train + {n} test points uniform on S^{d - 1}, labels sign(x₁)"
    else:
        raise ValueError(f"unknown inputs {inputs!r}")
    H = gram_infinity(Xtr)
    for arr in (Xtr, ytr, Xte, yte, H):
        arr.setflags(write=False)
    return LabelledSet(Xtr, ytr, Xte, yte, H, what)


def labelled_set(params: Mapping[str, Any]) -> LabelledSet:
    """The data of a case: ``inputs`` = "digits" (real, needs scikit-learn) or "sphere_sign" (synthetic)."""
    return _labelled_set(str(params["inputs"]), int(params.get("data_seed", 0)), int(params.get("n", 0)), int(params.get("d", 0)))


def real_data_cases(make: Any) -> list[Case]:
    """``make(inputs)`` for the digits if scikit-learn is present (else nothing: the reason is in the notes)."""
    return [make("digits")] if realdata.available() else []


# ---------------------------------------------------------------------------------------------------------

LEMMA = register(
    Lemma(
        id="adhlw2019.complexity",
        title="The complexity measure √(2yᵀ(H∞)⁻¹y/n) grows with the portion of random labels",
        source=source("§5, eq. (10); App. A, Figure 2", "du2018.md §6.4, §6.6"),
        statement=(
            r"The complexity measure $\sqrt{2\mathbf y^\top(\mathbf H^\infty)^{-1}\mathbf y/n}$ (eq. (10)) "
            r"\"almost matches the trend of generalization error as the portion of random labels increases\" (Figure 2)."
        ),
        tag="VA",
        quantities={
            "complexity": Quantity("complexity", constants.complexity_measure, "√(2yᵀ(H∞)⁻¹y/n)", "bound", "VA"),
            "min_increase": Quantity("min_increase", sp.Integer(0), "least increase of the measure from one portion to the next",
                                     "constant", "U"),
            "failure_probability": Quantity("failure_probability", sp.Rational(1, 2),
                                            "largest share of draws allowed to break the monotone trend", "probability", "U"),
        },
        hypotheses={"H_positive": "H∞ of the training inputs is positive definite (Cholesky succeeds)"},
        notes=(
            "A trend read off a figure: exploratory.",
            f"Real-data cases need scikit-learn: {realdata.MISSING_REASON}; without it only the synthetic case runs.",
        ),
    )
)

_PORTIONS = [0.0, 0.25, 0.5, 0.75, 1.0]


def _cases(mode: Mode) -> Sequence[Case]:
    synthetic = Case({"inputs": "sphere_sign", "n": 150, "d": 10, "data_seed": 1, "portions": _PORTIONS}, trials=200)
    if mode is Mode.QUICK:
        return [Case(dict(synthetic.params), trials=30)]
    trials = 1000 if mode is Mode.FULL else 200
    return real_data_cases(lambda inputs: Case({"inputs": inputs, "data_seed": 0, "portions": _PORTIONS}, trials=trials)) + [synthetic]


def _trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    data = labelled_set(params)
    measures = []
    positive = True
    for y in noisy_labels(rng, data.y_train, params["portions"]):
        try:
            measures.append(bounds("complexity", yHy=quadratic_form(data.H, y), n=y.size))
        except np.linalg.LinAlgError:
            positive = False
            measures.append(math.nan)
    steps = np.diff(measures)
    worst = int(np.nanargmin(steps)) if positive else 0
    return {
        "hypotheses": {"H_positive": positive},
        **compare(float(steps[worst]), bounds("min_increase"), upper=False),
        "complexity": measures,
    }


def _verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = probability_verdict(obs, bounds("failure_probability"), settings,
                            "P(√(2yᵀ(H∞)⁻¹y/n) fails to increase between some consecutive portions)")
    portions = [float(p) for p in params["portions"]]
    table = np.array([o["complexity"] for o in obs])
    mean = table.mean(axis=0)
    v.evidence.update({
        "data": labelled_set(params).description,
        "portions": portions,
        "complexity_mean": mean.tolist(),
        "share_increasing_per_step": (np.diff(table, axis=1) > 0).mean(axis=0).tolist(),
        "complexity_min": table.min(axis=0).tolist(),
        "complexity_max": table.max(axis=0).tolist(),
        "paper_mnist": PAPER_MNIST_COMPLEXITY,
        "plot": plot(
            f"ADHLW Figure 2 in spirit: complexity measure against label noise ({labelled_set(params).description})",
            "portion of random labels", "√(2yᵀ(H∞)⁻¹y/n)",
            [series("trials", np.repeat([portions], len(obs), axis=0).ravel(), table.ravel(), "marker"),
             series("mean over trials", portions, mean),
             series("ADHLW Fig. 2, MNIST (read by eye, ends only)", list(PAPER_MNIST_COMPLEXITY), list(PAPER_MNIST_COMPLEXITY.values()),
                    "dashed")],
        ),
    })
    return v


LEMMA.add(
    Check(
        name="increases_with_noise",
        kind=Kind.PROBABILITY,
        claim="in most noise draws (probability ≥ 1/2), √(2yᵀ(H∞)⁻¹y/n) increases from each portion of random labels (0, ¼, ½, ¾, 1) to the next",
        cases=_cases,
        trial=_trial,
        verdict=_verdict,
        negative_control={"min_increase": "100"},
        confirmed=False,
    )
)
