"""Du et al. 2018, Figure 1 (§5): GD on random data at several widths.

Setup of the paper [V]: n = 1000 points uniform on the unit sphere of ℝ^{1000}, labels y_i ~ N(0, 1), the
network and initialisation of §1 (first layer trained, a fixed), full-batch GD for 100 epochs (epoch = step),
widths m ∈ {500, 1000, 2000, 4000, 8000}. Panels: (a) log training error, (b) the activation-pattern
difference ratio Σ_i Σ_r 𝕀{sign(w_r(0)ᵀx_i) ≠ sign(w_r(k)ᵀx_i)}/(mn), (c) max_r ‖w_r(k) − w_r(0)‖₂. Trends
reported [V]: larger m converges faster, and changes fewer patterns and moves less.

Step size — the paper says "a fixed step size" and gives no value (spec du2018.md §9, uncertain 2). The rule,
fixed before any run: **η = 1/λ_max(H∞)**, computed from the data alone. Why: it is the largest step for which
I − ηH∞ ⪰ 0, the condition under which the linearised dynamics contract every eigencomponent monotonically (the
stability rule of ADHLW's analysis, spec §6.3); a smaller constant would be an arbitrary choice, and DZPS's own
step λ0(1 − n^{−1/2})/(4n²) (≈ 6·10⁻⁸ at n = 1000) would not move the weights in 100 epochs. With this step the
runs converge within the 100 epochs at most widths, which is what the spec asks for: fit exponents on
converged runs (spec §5). A run counts as converged when its mean squared error fell by a factor 10⁸; the
exponents are fitted on converged runs only and the excluded ones are listed. Consequence: our training-error
curves fall much faster than the paper's (whose η was evidently smaller); the paper's values, read by eye from
its figure (spec §5 table, ±5%), are drawn beside ours for comparison only, never used as thresholds.

"Training error" is taken as the mean squared error (1/n)‖y − u‖² (its log starts at ln 1.5 ≈ 0.41, as the
paper's curves do; the paper does not state its normalisation).

Checks (exploratory: figure trends and [D] predictions, not theorems inside their hypotheses):
* ``training_error``: the convergence rate (ln MSE(0) − ln MSE(100))/100 does not decrease with m (fitted
  exponent of m ≥ 0); negative control: exponent 1/2.
* ``pattern_change``: the final pattern-change ratio decays at least as fast as m^{−1/2} (Lemma 3.2 with
  R′ ∝ m^{−1/2}: the fraction is ≤ P(|z| < R′) ∝ m^{−1/2}); negative control: exponent −2.
* ``max_distance``: the final max_r ‖w_r − w_r(0)‖ decays at least as fast as m^{−1/2} (Corollary 4.1,
  R′ ∝ m^{−1/2}); negative control: exponent −2.

Sizes: the paper's under Mode.FULL; DEFAULT runs n = d = 100, m ∈ {250, …, 4000}.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import exponent_verdict
from lemmas.core.data import sphere
from lemmas.core.twolayer import default_chunk, gram_infinity, init_two_layer, loss_and_grad
from lemmas.papers.du2018 import source
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity

#: Du et al. Figure 1 at epoch 100, read by eye (spec du2018.md §5, ±5%): m -> (log train error, ratio, distance).
PAPER_EPOCH_100 = {
    500: (-1.6, 0.0185, 2.8),
    1000: (-2.1, 0.0152, 2.05),
    2000: (-3.0, 0.0116, 1.35),
    4000: (-4.0, 0.0097, 0.95),
    8000: (-5.7, 0.0066, 0.47),
}
#: A run is converged when its mean squared error fell by this factor.
CONVERGED = 1e-8

LEMMA = register(
    Lemma(
        id="du2018.figure1",
        title="Figure 1: training error, pattern changes and distance from initialisation against width",
        source=source("§5, Figure 1", "du2018.md §5"),
        statement=(
            r"\"As m becomes larger, we have better convergence rate […] as m becomes larger, the percentiles of pattern "
            r"changes and the maximum distance from the initialization become smaller.\" (n = 1000, d = 1000, $y_i\sim N(0,1)$, "
            r"$m\in\{500,\dots,8000\}$, 100 epochs of GD)"
        ),
        tag="V",
        quantities={
            "rate_exponent": Quantity("rate_exponent", sp.Integer(0), "least exponent of m in the convergence rate", "rate", "V",
                                      "'better convergence rate' as m grows: non-decreasing"),
            "pattern_exponent": Quantity("pattern_exponent", sp.Rational(-1, 2), "exponent of m in the pattern-change ratio", "rate", "D",
                                         "ratio ≤ P(|z| < R′) ≈ 2R′/√(2π), R′ ∝ m^{−1/2}"),
            "distance_exponent": Quantity("distance_exponent", sp.Rational(-1, 2), "exponent of m in max_r ‖w_r − w_r(0)‖", "rate", "D",
                                          "Corollary 4.1: R′ = 4√n‖y − u(0)‖/(√m λ0)"),
        },
        hypotheses={"converged": "the runs used in a fit reduced their mean squared error by 10⁸ (spec §5: fit on converged runs)"},
        notes=(
            "Step size η = 1/λ_max(H∞), fixed before the runs (the paper does not report its η); see the module docstring.",
            "Erratum 6 (spec §9): the paper's pattern-change formula sums i = 1..m; it must be n.",
        ),
    )
)


@lru_cache(maxsize=4)
def _data(n: int, d: int, data_seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng([20181005, 5, data_seed])
    X = sphere(rng, n, d)
    y = rng.standard_normal(n)
    eta = 1.0 / float(np.linalg.eigvalsh(gram_infinity(X))[-1])
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y, eta


def run(X: np.ndarray, y: np.ndarray, m: int, eta: float, steps: int, rng: np.random.Generator, record_every: int = 1) -> dict[str, Any]:
    """GD for ``steps`` epochs at width m: per epoch ln((1/n)‖y − u‖²) and max_r ‖w_r − w_r(0)‖, and the
    pattern-change ratio every ``record_every`` epochs (and at the last); width processed in chunks."""
    n, d = X.shape
    W0, a = init_two_layer(rng, m, d)
    chunk = default_chunk(n, m)
    slices = [slice(s, min(m, s + chunk)) for s in range(0, m, chunk)]
    S0 = [W0[sl] @ X.T >= 0.0 for sl in slices]
    W = W0.copy()
    log_error, distance, ratio_epochs, ratio = [], [], [], []
    for k in range(steps + 1):
        loss, grad = loss_and_grad(X, W, a, y, chunk)
        log_error.append(math.log(2.0 * loss / n))
        distance.append(math.sqrt(max(float(np.max(np.einsum("ij,ij->i", W[sl] - W0[sl], W[sl] - W0[sl]))) for sl in slices)))
        if k % record_every == 0 or k == steps:
            flips = sum(int(np.count_nonzero((W[sl] @ X.T >= 0.0) != s0)) for sl, s0 in zip(slices, S0))
            ratio_epochs.append(k)
            ratio.append(flips / (n * m))
        if k < steps:
            W -= eta * grad
    return {"log_error": log_error, "distance": distance, "ratio_epochs": ratio_epochs, "ratio": ratio}


def _cases(mode: Mode) -> Sequence[Case]:
    if mode is Mode.QUICK:
        return [Case({"n": 50, "d": 50, "data_seed": 1, "widths": [100, 400, 1600], "steps": 30, "reps": 1, "record_every": 1}, trials=3)]
    if mode is Mode.FULL:
        return [Case({"n": 1000, "d": 1000, "data_seed": 1, "widths": list(PAPER_EPOCH_100), "steps": 100, "reps": 1, "record_every": 5},
                     trials=5)]
    return [Case({"n": 100, "d": 100, "data_seed": 1, "widths": [250, 500, 1000, 2000, 4000], "steps": 100, "reps": 2, "record_every": 1},
                 trials=10)]


def _trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    X, y, eta = _data(int(params["n"]), int(params["d"]), int(params["data_seed"]))
    m = int(params["widths"][index // int(params["reps"])])
    steps = int(params["steps"])
    curves = run(X, y, m, eta, steps, rng, int(params["record_every"]))
    converged = curves["log_error"][-1] <= curves["log_error"][0] + math.log(CONVERGED)
    return {
        "hypotheses": {"converged": bool(converged)},
        "m": m,
        "eta": eta,
        "converged": bool(converged),
        "rate": (curves["log_error"][0] - curves["log_error"][-1]) / steps,
        "final_ratio": curves["ratio"][-1],
        "final_distance": curves["distance"][-1],
        **curves,
    }


_PANELS = {
    "rate": ("log_error", "(a) ln training error (1/n)‖y − u‖²", "rate_exponent", "lower", "convergence rate (ln MSE(0) − ln MSE(K))/K", 0),
    "final_ratio": ("ratio", "(b) pattern-change ratio", "pattern_exponent", "upper", "pattern-change ratio at the last epoch", 1),
    "final_distance": ("distance", "(c) max_r ‖w_r(k) − w_r(0)‖₂", "distance_exponent", "upper", "max_r ‖w_r − w_r(0)‖ at the last epoch", 2),
}


def _verdict(metric: str) -> Any:
    curve, ylabel, quantity, direction, label, column = _PANELS[metric]

    def verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
        used = [{"hypotheses": {"converged": True}, "x": o["m"], "y": o[metric], "role": "test"} for o in obs if o["converged"]]
        excluded = sorted({o["m"] for o in obs if not o["converged"]})
        if len({u["x"] for u in used}) < 2:   # too few converged widths to fit: fit all, marked outside the hypothesis
            used = [{"hypotheses": {"converged": o["converged"]}, "x": o["m"], "y": o[metric], "role": "test"} for o in obs]
        v = exponent_verdict(used, bounds(quantity), direction, label, "m", settings)
        first = {}
        for o in obs:
            first.setdefault(o["m"], o)
        epochs = {"log_error": list(range(int(params["steps"]) + 1)), "distance": list(range(int(params["steps"]) + 1))}
        series = [{"label": f"ours, m = {m}", "x": epochs.get(curve, o["ratio_epochs"]), "y": o[curve], "style": "-"}
                  for m, o in sorted(first.items())]
        series.append({"label": "Du et al. Fig. 1, epoch 100, m = 500…8000 (read by eye; n = d = 1000)",
                       "x": [100.0] * len(PAPER_EPOCH_100), "y": [vals[column] for vals in PAPER_EPOCH_100.values()], "style": "ks"})
        v.evidence.update({
            "eta": obs[0]["eta"],
            "step_rule": "η = 1/λ_max(H∞), fixed before the runs",
            "excluded_unconverged_widths": excluded,
            "ours_last_epoch": {m: o[metric] if metric != "rate" else o["log_error"][-1] for m, o in sorted(first.items())},
            "paper_epoch_100": {m: vals[column] for m, vals in PAPER_EPOCH_100.items()},
            "plot": {"title": f"Du et al. Figure 1 {ylabel} (n = {params['n']}, d = {params['d']}, η = 1/λ_max(H∞))",
                     "xlabel": "epoch", "ylabel": ylabel, "xscale": "linear", "yscale": "linear" if curve == "log_error" else "log",
                     "series": series},
        })
        return v

    return verdict


for _metric, _name, _claim, _control in (
    ("rate", "training_error", "the convergence rate of the training error does not decrease with m (fitted exponent ≥ 0)",
     {"rate_exponent": "1/2"}),
    ("final_ratio", "pattern_change", "the final pattern-change ratio decays at least as fast as m^{−1/2}", {"pattern_exponent": "-2"}),
    ("final_distance", "max_distance", "the final max_r ‖w_r − w_r(0)‖ decays at least as fast as m^{−1/2}", {"distance_exponent": "-2"}),
):
    LEMMA.add(
        Check(
            name=_name,
            kind=Kind.EXPONENT,
            claim=_claim,
            cases=_cases,
            trial=_trial,
            verdict=_verdict(_metric),
            negative_control=_control,
            confirmed=False,
        )
    )
