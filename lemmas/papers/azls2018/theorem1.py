"""AZLS Theorem 1 (gradient descent converges linearly) and the consistency reconstruction of its polynomials.

> For every ε ∈ (0, 1] and δ ∈ (0, O(1/L)], let m ≥ Ω(n^{24}L^{12} d log⁵m/δ⁸) and η = Θ(dδ/(n⁴L²m)). With
  probability ≥ 1 − e^{−Ω(log²m)}, GD reaches F(W⃗(T)) ≤ ε in T = Θ(n⁶L²/δ² · log(1/ε)) iterations; along the way
  ‖W⃗(t) − W⃗(0)‖_F ≤ O(n³√d log m/(δ√m)) and F(W⃗(t)) ≤ (1 − Ω(ηδm/(dn²)))^t F(W⃗(0)).
                                  (v5 Theorem 1 [V-sec:S1 Theorem 5 and Lemma 4, d = 1]; d-factors [D, τ² ↔ 1/d])

The reconstruction of azls2018.md §5 [D] derives η, T, ω_GD and the width from Theorems 3 and 4 and the initial
loss in sympy (:func:`lemmas.papers.azls2018.constants.reconstruct`) and compares their exponents with the
stated polynomials (pass/fail: it is algebra); it also derives the L-exponent a of Theorem 4's first-order
term that the stated L^{12} forces (a = 2; a = 3, the layer sum of Lemma 8.7, would give L^{18}). GD runs at
feasible widths are slack evidence (:mod:`lemmas.papers.azls2018.training`).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict
from lemmas.papers.azls2018 import constants as c, source
from lemmas.papers.azls2018.networks import numeric
from lemmas.papers.azls2018.scaling import scaling_trial, scaling_verdict, sweep
from lemmas.papers.azls2018.training import train
from lemmas.registry import Case, Check, Kind, Lemma, Mode, register
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="azls2018.theorem1",
        title="Theorem 1: GD linear convergence; width, step and iteration polynomials",
        source=source("§3, Theorem 1", "azls2018.md §2.1, §5, §6.15"),
        statement=(
            r"For $\varepsilon\in(0,1]$, $\delta\in(0,O(1/L)]$, $m\ge\Omega\bigl(\frac{n^{24}L^{12}d\log^5m}{\delta^8}\bigr)$ and "
            r"$\eta=\Theta\bigl(\frac{d\delta}{n^4L^2m}\bigr)$: with probability at least $1-e^{-\Omega(\log^2m)}$, GD reaches "
            r"$F(\vec W^{(T)})\le\varepsilon$ in $T=\Theta\bigl(\frac{n^6L^2}{\delta^2}\log\frac1\varepsilon\bigr)$ steps, with "
            r"$\|\vec W^{(t)}-\vec W^{(0)}\|_F\le O\bigl(\frac{n^3\sqrt d\log m}{\delta\sqrt m}\bigr)$ and "
            r"$F(\vec W^{(t)})\le(1-\Omega(\frac{\eta\delta m}{dn^2}))^tF(\vec W^{(0)})$."
        ),
        tag="V-sec:S1 (d = 1); D (d-factors, reconstruction)",
        quantities={
            q.name: q
            for q in [
                Quantity("width", c.theorem1_width, "width threshold", "width", "V-sec:S1"),
                Quantity("step", c.theorem1_step, "step size η", "step", "V-sec:S1"),
                Quantity("iterations", c.theorem1_iterations, "iterations T", "bound", "V-sec:S1"),
                Quantity("movement", c.theorem1_radius, "ω_GD = max_t ‖W⃗(t) − W⃗(0)‖_F", "radius", "V-sec:S1"),
                Quantity("rate", c.theorem1_rate, "per-step contraction of F", "rate", "V-sec:S1"),
                Quantity("flip_fraction", c.theorem1_flip_fraction, "fraction of flipped signs ∝ ω_GD^{2/3}L (Lemma 8.2 at ω_GD)", "bound", "D"),
                Quantity("first_order_L_exponent", sp.Integer(2), "L-exponent of Theorem 4's first-order coefficient", "constant", "U"),
            ]
        },
        hypotheses={"width": "m ≥ n^{24}L^{12}d log⁵m/δ⁸ (C = 1 reading)"},
        notes=("v1 (Nov 2018) needed m ≳ n^{30}L^{30}log²(1/ε) and T ≳ n⁶L²log(1/ε) [V-sec:S7]; the final width has no ε.",),
    )
)


# ---- the reconstruction ---------------------------------------------------------------------------------


def _reconstruction_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    a_stated = bounds.expr("first_order_L_exponent")
    derived = c.reconstruct(a_stated)
    stated = {
        "eta": bounds.expr("step"),
        "T": bounds.expr("iterations") / sp.log(1 / c.epsilon),
        "omega_gd": bounds.expr("movement"),
        "width": bounds.expr("width"),
    }
    rows, mismatches = {}, 0
    for name, expr in stated.items():
        want, got = c.monomial_exponents(expr), c.monomial_exponents(derived[name])
        bad = sorted(k for k in want if sp.simplify(want[k] - got[k]) != 0)
        mismatches += len(bad)
        rows[name] = {"stated": {k: str(v) for k, v in want.items()}, "derived": {k: str(v) for k, v in got.items()}, "mismatch": bad}
    forced = c.forced_first_order_exponent(stated["width"])
    if sp.simplify(forced - a_stated) != 0:
        mismatches += 1
    width_a3 = c.monomial_exponents(c.reconstruct(3)["width"])["L"]
    return {"hypotheses": {}, "value": float(mismatches), "bound": 0.0, "margin": -float(mismatches), "failed": mismatches > 0,
            "ambiguous": False, "tier": "exact", "comparisons": rows, "forced_first_order_exponent": str(forced),
            "width_L_exponent_if_a_is_3": str(width_a3), "theorem3_over_step6_radius": str(derived["theorem3_over_step6"])}


LEMMA.add(
    Check(
        name="reconstruction",
        kind=Kind.SYMBOLIC,
        claim=("the consistency chain of azls2018.md §5 (Theorems 3, 4 and F(W(0)) ≤ O(n log²m)) reproduces the exponents of "
               "η, T, ω_GD and the width, and the stated L^{12} forces Theorem 4's first-order L-exponent a = 2"),
        cases=lambda mode: [Case({}, trials=1)],
        trial=_reconstruction_trial,
        verdict=lambda params, obs, bounds, settings: all_trials_verdict(obs, "number of exponent mismatches"),
        negative_control={"width": "n**30*L**30*d_out*log(m)**5/delta_sep**8"},
    )
)


# ---- GD runs (slack evidence) ---------------------------------------------------------------------------


def _gd(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds, key: str) -> dict[str, Any]:
    run = train(theta, rng)
    point = {**numeric(theta), "delta_sep": run["delta_sep"], "eta": run["eta"]}
    width = bounds("width", **point)
    return {"hypotheses": {"width": theta["m"] >= width}, "normalized": {"m / width": theta["m"] / width},
            "derived": {"delta_sep": run["delta_sep"], "eta": run["eta"]}, "value": run[key], "run": run}


def _gd_cases(mode: Mode) -> Sequence[Case]:
    reps = {"test_reps": 4, "calib_reps": 2} if mode is Mode.FULL else {"test_reps": 3, "calib_reps": 1}
    values = [64, 128, 256, 512, 1024] if mode is Mode.FULL else [64, 128, 256, 512]
    return [sweep("m", values, n=8, L=2, d_out=1, steps=60, data_seed=24, **reps)]


for _name, _key, _direction, _quantity, _claim, _control in (
    ("gd_movement", "movement", "upper", "movement", "max_t ‖W⃗(t) − W⃗(0)‖_F = O(n³√d log m/(δ√m)) along GD: no upward drift in m",
     "1/m"),
    ("gd_rate", "rate", "lower", "rate", "GD's per-step contraction of F is Ω(ηδm/(dn²)): no downward drift in m", "eta*m**2"),
    ("gd_flips", "flip_fraction", "upper", "flip_fraction",
     "the fraction of flipped signs after GD is O(ω_GD^{2/3}L) ∝ m^{−1/3}: no upward drift in m", "1/m"),
):
    LEMMA.add(
        Check(
            name=_name,
            kind=Kind.EXPONENT,
            claim=_claim + " (feasible widths: outside the hypotheses, slack evidence)",
            cases=_gd_cases,
            trial=scaling_trial(lambda theta, rng, bounds, _k=_key: _gd(theta, rng, bounds, _k), _quantity),
            verdict=scaling_verdict(_direction, _key.replace("_", " "), _quantity),
            negative_control={_quantity: _control},
            confirmed=False,
        )
    )
