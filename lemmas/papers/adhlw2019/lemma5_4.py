"""ADHLW Lemma 5.4: the Rademacher complexity of the networks near their initialisation.

> Lemma 5.4. Given R > 0, with probability at least 1 − δ over the random initialization (W(0), a),
> simultaneously for every B > 0, the function class F_{R,B} = {f_{W,a} : ‖w_r − w_r(0)‖₂ ≤ R (∀r),
> ‖W − W(0)‖_F ≤ B} has empirical Rademacher complexity bounded as
> R_S(F_{R,B}) ≤ (B/√(2n))(1 + (2 log(2/δ)/m)^{1/4}) + 2R²√m/κ + R√(2 log(2/δ)).
>                                                          (arXiv 1901.08584v2, §5.1; proof App. D.2)

R_S(F) = E_ε sup_{f∈F} (1/n) Σ_i ε_i f(x_i) is a supremum over a non-convex class, so it is not computed; a
*lower* estimate is: for each Rademacher vector ε, the member W = W(0) + Δ with Δ = B·Z(0)ε/‖Z(0)ε‖_F (the
maximiser of the linearised objective over the Frobenius ball), each row clipped to norm R (so Δ stays in
the class), evaluated exactly; averaged over ε. A lower estimate above the bound would refute it; below it,
it shows how much of the bound is attained. Since E‖Z(0)ε‖² = tr H(0) ≈ n/2, the linear part of the estimate
is ≈ B/√(2n): the bound's leading term is attained, its other terms are slack.

Check ``bound`` (exploratory: the lemma is [VA], but the quantity compared is a Monte-Carlo lower estimate of
R_S, not R_S): the estimate (its mean over ε minus three standard errors, a lower confidence bound) against the
bound at δ = 0.1, with R = 2B/√m (the linearised maximiser moves each neuron by about B/√m). Negative control:
the bound replaced by 0.8·B/√(2n), which the estimate exceeds.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from lemmas.checks import all_trials_verdict, compare
from lemmas.core.twolayer import default_chunk, init_two_layer, predictions
from lemmas.papers.adhlw2019 import constants, plot, series, source
from lemmas.papers.adhlw2019.theorem4_1 import problem
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="adhlw2019.lemma5.4",
        title="Rademacher complexity of F_{R,B}",
        source=source("§5.1, Lemma 5.4 (proof App. D.2)", "du2018.md §6.4"),
        statement=(
            r"Given $R>0$, with probability at least $1-\delta$ over the random initialization $(\mathbf W(0),\mathbf a)$, simultaneously for "
            r"every $B>0$, the class $\mathcal F_{R,B}=\{f_{\mathbf W,\mathbf a}:\|\mathbf w_r-\mathbf w_r(0)\|_2\le R\ (\forall r),\ "
            r"\|\mathbf W-\mathbf W(0)\|_F\le B\}$ has $\mathcal R_S(\mathcal F_{R,B})\le\frac{B}{\sqrt{2n}}\left(1+\left(\frac{2\log\frac2\delta}{m}\right)^{1/4}\right)"
            r"+\frac{2R^2\sqrt m}{\kappa}+R\sqrt{2\log\frac2\delta}$."
        ),
        tag="VA",
        quantities={
            "rademacher_bound": Quantity("rademacher_bound", constants.lemma54_bound, "the bound of Lemma 5.4 as stated", "bound", "VA"),
            "rademacher_bound_sharp": Quantity("rademacher_bound_sharp", constants.lemma54_bound_sharp,
                                               "the same with the proof's sharper middle term 2√2R²√m/(√πκ)", "bound", "VA"),
            "leading_term": Quantity("leading_term", constants.lemma54_leading, "(B/√(2n))(1 + (2 log(2/δ)/m)^{1/4})", "bound", "VA"),
        },
        hypotheses={"radius": "the per-neuron radius R is fixed before W(0) is drawn (here R = 2B/√m)"},
        notes=("Exploratory: a Monte-Carlo lower estimate of R_S is compared, which can refute the bound but not confirm it.",),
    )
)


def rademacher_lower_estimate(X: np.ndarray, W0: np.ndarray, a: np.ndarray, R: float, B: float, draws: int,
                              rng: np.random.Generator) -> np.ndarray:
    """For each of ``draws`` Rademacher vectors ε: (1/n) εᵀ(f_{W(0)+Δ}(X) − f_{W(0)}(X)) with Δ = B·Z(0)ε/‖Z(0)ε‖_F, rows
    clipped to R. Subtracting f_{W(0)} changes no expectation (E_ε εᵀf_{W(0)}(X) = 0, and it does not depend on W)
    but removes its variance. The (r)-row of Z(0)ε is (a_r/√m) Σ_i 𝕀{w_r(0)ᵀx_i ≥ 0} ε_i x_i, in width chunks."""
    n, m = X.shape[0], W0.shape[0]
    chunk = default_chunk(n, m)
    slices = [slice(s, min(m, s + chunk)) for s in range(0, m, chunk)]
    masks = [W0[sl] @ X.T >= 0.0 for sl in slices]
    values = np.empty(draws)
    u0 = predictions(X, W0, a)
    G = np.empty_like(W0)
    for j in range(draws):
        eps = rng.choice(np.array([-1.0, 1.0]), size=n)
        for sl, mask in zip(slices, masks):
            G[sl] = (a[sl, None] / math.sqrt(m)) * ((mask * eps) @ X)
        delta = G * (B / np.linalg.norm(G))
        rows = np.linalg.norm(delta, axis=1)
        delta *= np.minimum(1.0, R / np.maximum(rows, 1e-300))[:, None]
        values[j] = float(eps @ (predictions(X, W0 + delta, a) - u0)) / n
    return values


def _cases(mode: Mode) -> Sequence[Case]:
    base = {"n": 50, "d": 20, "data_seed": 4, "B": 1.0, "delta": 0.1}
    if mode is Mode.QUICK:
        return [Case({**base, "m": 500, "kappa": 1.0, "draws": 30}, trials=2)]
    cases = [Case({**base, "m": 2000, "kappa": kappa, "draws": 100}, trials=3) for kappa in (1.0, 0.1)]
    if mode is Mode.FULL:
        cases += [Case({**base, "m": 20000, "kappa": kappa, "B": B, "draws": 200}, trials=3) for kappa in (1.0, 0.1) for B in (1.0, 5.0)]
    return cases


def _trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    X = problem(params).X
    n, m, B, kappa, dlt = X.shape[0], int(params["m"]), float(params["B"]), float(params["kappa"]), float(params["delta"])
    R = 2.0 * B / math.sqrt(m)
    W0, a = init_two_layer(rng, m, X.shape[1], kappa)
    values = rademacher_lower_estimate(X, W0, a, R, B, int(params["draws"]), rng)
    # A lower confidence bound on E_ε(·) ≤ R_S: only an estimate this low may refute the bound.
    estimate = float(values.mean() - 3.0 * values.std(ddof=1) / math.sqrt(values.size))
    args = {"B": B, "n": n, "m": m, "delta": dlt, "R": R, "kappa": kappa}
    return {
        "hypotheses": {"radius": True},
        **compare(estimate, bounds("rademacher_bound", **args)),
        "estimate_mean": float(values.mean()),
        "leading_term": bounds("leading_term", **args),
        "sharp_bound": bounds("rademacher_bound_sharp", **args),
        "B_over_sqrt_2n": B / math.sqrt(2 * n),
    }


def _verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, "Monte-Carlo lower estimate of R_S(F_{R,B}) (mean − 3 s.e.) against the bound")
    v.evidence.update({
        "estimate_mean": [o["estimate_mean"] for o in obs],
        "B_over_sqrt_2n": obs[0]["B_over_sqrt_2n"],
        "leading_term": obs[0]["leading_term"],
        "bound": obs[0]["bound"],
        "sharp_bound": obs[0]["sharp_bound"],
        "share_of_bound_attained": [o["estimate_mean"] / o["bound"] for o in obs],
        "plot": plot(f"ADHLW Lemma 5.4: Rademacher lower estimate against the bound (m = {params['m']}, κ = {params['kappa']})",
                     "trial", "value",
                     [series("lower estimate of R_S (mean over ε)", range(len(obs)), [o["estimate_mean"] for o in obs], "marker"),
                      series("B/√(2n)", [0, len(obs) - 1], [obs[0]["B_over_sqrt_2n"]] * 2, "dashed"),
                      series("bound of Lemma 5.4", [0, len(obs) - 1], [obs[0]["bound"]] * 2)], "linear", "log"),
    })
    return v


LEMMA.add(
    Check(
        name="bound",
        kind=Kind.CONDITIONAL,
        claim="a Monte-Carlo lower estimate of R_S(F_{R,B}) (linearised maximiser, clipped to the class) stays below the bound of Lemma 5.4",
        cases=_cases,
        trial=_trial,
        verdict=_verdict,
        negative_control={"rademacher_bound": "4*B/(5*sqrt(2*n))"},
        confirmed=False,
    )
)
