"""Du et al. 2018, Lemma 3.2: the Gram matrix is stable inside the perturbation ball.

> If w_1, …, w_m are i.i.d. generated from N(0, I), then with probability at least 1 − δ, the following holds.
> For any set of weight vectors w_1, …, w_m ∈ ℝ^d that satisfy for any r ∈ [m], ‖w_r(0) − w_r‖₂ ≤ cδλ0/n² ≜ R
> for some small positive constant c, then the matrix H ∈ ℝ^{n×n} defined by
> H_ij = (1/m) x_iᵀx_j Σ_r 𝕀{w_rᵀx_i ≥ 0, w_rᵀx_j ≥ 0} satisfies ‖H − H(0)‖₂ < λ0/4 and λ_min(H) > λ0/2.
>                                                            (arXiv 1810.02054v2, §3.1; proof in App. A)

The claim is "with probability ≥ 1 − δ over W(0), for ALL W in the ball". Each trial draws W(0) and decides the
"for all W" event from both sides (spec du2018.md §3.5):

* certified: only pairs with |w_r(0)ᵀx_i| < R can flip, so |H − H(0)| ≤ B entrywise over the whole ball, with
  B_ij = |x_iᵀx_j|·#{r : (r, i) or (r, j) can flip}/m, and sup ‖H − H(0)‖₂ ≤ ‖B‖₂ ≤ U(W(0)) (the proof's
  W-independent quantity). ‖B‖₂ is bounded rigorously; if it is below the bound, the event holds;
* refuted: a worst-case search (:func:`lemmas.search.gram_flips.flip_search`) over explicit W in the ball, each
  realising its flips, with its distance to W(0) checked in float and its H recomputed; a certified violation
  by an explicit W refutes the event;
* neither: the trial is ambiguous (inconclusive), never a pass.

The first trials of one worst_case case also sweep the radius from R*/8 to 8192·R* around the same W(0) (the
report's plot "worst-case λ_min(H) against R"): the worst λ_min(H) found and the certified lower bound per radius,
which bracket how far beyond R* the λ_min conclusion survives (slack evidence, outside the verdict).

c = √(2π)/16 is derived in ``constants`` from the Markov step (4n²R/(√(2π)δ) = λ0/4). Erratum 8 (spec §9): the
λ_min conclusion silently needs Lemma 3.1's event; it is checked jointly with it (widths inside Lemma 3.1,
probability 1 − 2δ) and, as printed, at small widths, where it fails (a documented erratum).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from lemmas.certify import Enclosure, lambda_min_enclosure
from lemmas.checks import probability_verdict, weakest_tier
from lemmas.core.twolayer import gram, gram_rounding_radius, init_two_layer, neuron_distances, pattern_counts
from lemmas.papers.du2018 import constants, source
from lemmas.papers.du2018.inputs import case_inputs, case_lambda0
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Tier, Verdict
from lemmas.search.gram_flips import (
    Flippable,
    MinEigObjective,
    NormObjective,
    SearchResult,
    flip_search,
    flippable_pairs,
    perturbation_bound,
)
from lemmas.spectral import spectral_norm_enclosure
from lemmas.symbolic import Bounds, Quantity, delta, lambda0, n, ref

LEMMA = register(
    Lemma(
        id="du2018.lemma3.2",
        title="Stability of H inside the perturbation ball",
        source=source("§3.1, Lemma 3.2 (proof App. A)", "du2018.md §3.5"),
        statement=(
            r"If $\mathbf w_1,\dots,\mathbf w_m$ are i.i.d. generated from $N(\mathbf 0,\mathbf I)$, then with probability "
            r"at least $1-\delta$, the following holds. For any set of weight vectors $\mathbf w_1,\dots,\mathbf w_m\in\mathbb R^d$ "
            r"that satisfy for any $r\in[m]$, $\|\mathbf w_r(0)-\mathbf w_r\|_2\le\frac{c\delta\lambda_0}{n^2}\triangleq R$ for some "
            r"small positive constant $c$, then the matrix $\mathbf H\in\mathbb R^{n\times n}$ defined by "
            r"$\mathbf H_{ij}=\frac1m\mathbf x_i^\top\mathbf x_j\sum_{r=1}^m\mathbb I\{\mathbf w_r^\top\mathbf x_i\ge0,\mathbf w_r^\top\mathbf x_j\ge0\}$ "
            r"satisfies $\|\mathbf H-\mathbf H(0)\|_2<\frac{\lambda_0}4$ and $\lambda_{\min}(\mathbf H)>\frac{\lambda_0}{2}$."
        ),
        tag="V",
        quantities={
            q.name: q
            for q in [
                Quantity("c", constants.lemma32_c, "the radius constant c", "constant", "D",
                         "4n²R/(√(2π)δ) = λ0/4 solved for R, then c = Rn²/(δλ0)"),
                Quantity("R", ref("c") * delta * lambda0 / n**2, "per-neuron perturbation radius R = cδλ0/n²", "radius", "V"),
                Quantity("markov_bound", constants.lemma32_perturbation_bound,
                         "Markov bound on Σ_ij |H_ij − H_ij(0)| over the ball, 4n²R/(√(2π)δ)", "bound", "D",
                         "E|H_ij − H_ij(0)| ≤ P(A_ir) + P(A_jr) ≤ 4R/√(2π), summed over n² pairs, divided by δ"),
                Quantity("norm_bound", lambda0 / 4, "bound on ‖H − H(0)‖₂ (strict)", "bound", "V"),
                Quantity("min_eig_bound", lambda0 / 2, "lower bound on λ_min(H) (strict)", "bound", "V"),
                Quantity("failure_probability", delta, "probability the conclusion may fail", "probability", "V"),
                Quantity("joint_failure_probability", constants.lemma32_joint_failure_probability,
                         "failure probability with Lemma 3.1's event", "probability", "D",
                         "union bound over Lemma 3.1's event and the Markov step"),
                Quantity("width_paper", constants.lemma31_width_paper, "Lemma 3.1's width, paper's Hoeffding constant", "width", "D"),
                Quantity("width_sharp", constants.lemma31_width_sharp, "Lemma 3.1's width, sharp Hoeffding (ADHLW C.3)", "width", "D"),
            ]
        },
        hypotheses={
            "lambda0_positive": "Assumption 3.1: λ0 = λ_min(H∞) > 0 (certified lower end > 0)",
            "width": "(λ_min part, joint form only) m ≥ Lemma 3.1's width threshold, so that λ_min(H(0)) ≥ 3λ0/4 w.p. 1 − δ",
        },
        notes=(
            "Erratum 8 (spec §9): the λ_min(H) > λ0/2 conclusion needs Lemma 3.1's event (a width condition the "
            "statement does not carry); as printed it fails at small m (at m = 1, H(0) has rank ≤ 1).",
            "Erratum 4 (spec §9): §4.1 restates R = cλ0/n² without δ; the lemma's R = cδλ0/n² is used.",
            "The 'for all W' event is decided per initialisation by a certified bound (‖B‖₂ ≤ U) or an explicit "
            "violator found by a worst-case search; otherwise the trial is inconclusive.",
        ),
    )
)

#: A search stops once its float objective passes the claimed bound by this relative amount (a counterexample,
#: clear of the rounding that the certified re-evaluation of the explicit W then accounts for).
_CLEAR = 1e-6


# ---------------------------------------------------------------------------------------------------------
# One initialisation: the certified bound over the ball, and the worst case found by explicit weights


@dataclass(frozen=True)
class _Draw:
    """One initialisation W(0) on the case's inputs, and what every ball around it shares."""

    X: np.ndarray
    W0: np.ndarray
    counts0: np.ndarray     # S(0)S(0)ᵀ, exact integer counts
    H0: np.ndarray
    rad: float              # rounding radius of the entries of any H(W) formed from exact counts

    @property
    def m(self) -> int:
        return self.W0.shape[0]


def _width(params: Mapping[str, Any], bounds: Bounds, n: int, lam_lo: float) -> int:
    if "m" in params:
        return int(params["m"])
    return int(math.ceil(bounds(params["width"], n=n, delta=float(params["delta"]), lambda0=lam_lo)))


def _explicit(draw: _Draw, result: SearchResult, radius: float) -> tuple[np.ndarray, float]:
    """The explicit W of a search result, verified: in the ball (float distances) and with the H the search saw."""
    W = result.explicit_weights(draw.W0)
    moved = np.fromiter(result.weights, dtype=np.int64)
    distance = float(neuron_distances(W[moved], draw.W0[moved]).max()) if moved.size else 0.0
    if not distance <= radius:
        raise RuntimeError(f"explicit W leaves the ball: max ‖w_r − w_r(0)‖ = {distance!r} > R = {radius!r}")
    H = gram(draw.X, W)
    if not np.array_equal(H, result.H):
        raise RuntimeError("the incrementally updated H differs from H(W) recomputed from the explicit W")
    return H, distance / radius if radius > 0 else 0.0


def _search_record(result: SearchResult) -> dict[str, Any]:
    return {"pairs": result.searched_pairs, "flipped": result.flipped_pairs, "evaluations": result.evaluations,
            "restart_values": result.restart_values}


def _certified_sup_norm(draw: _Draw, flips: Flippable) -> tuple[float, float]:
    """(s, U): sup over the ball of ‖H − H(0)‖₂ ≤ ‖B‖₂ ≤ s (rigorous; Perron–Frobenius, |H − H(0)| ≤ B
    entrywise), and the proof's U ≥ ‖B‖₂. No flippable pair: s = 0 exactly."""
    B, B_rad, U = perturbation_bound(draw.X, flips, draw.m)
    sup_norm = -lambda_min_enclosure(-B, entry_radius=B_rad, tier="float").lower if flips.pairs else 0.0
    return sup_norm, U


def _min_eig_search(draw: _Draw, flips: Flippable, radius: float, rng: np.random.Generator, *, restarts: int,
                    max_evals: int, target: float = np.inf) -> tuple[float, float, dict[str, Any]]:
    """The search for explicit W in the ball of ``radius`` that most reduce λ_min(H): (certified upper end of
    λ_min(H(W)) at the best W found, its max ‖w_r − w_r(0)‖/radius, the search's record)."""
    result = flip_search(draw.X, draw.W0, draw.counts0, flips, radius, MinEigObjective(), rng, restarts=restarts,
                         max_evals=max_evals, target=target)
    H, share = _explicit(draw, result, radius)
    return lambda_min_enclosure(H, entry_radius=draw.rad, tier="float").upper, share, _search_record(result)


#: The radius sweep behind the report's plot "worst-case λ_min(H) against R": multiples k of the lemma's R*
#: (R*/8 … 8192·R*; k > 1 is outside the hypotheses: slack evidence, never part of a verdict), and the search
#: there: one restart from W(0), run until a whole pass over the moves improves nothing (a point that reaches
#: the cap first is recorded as not converged).
SWEEP_MULTIPLES = tuple(2.0**k for k in range(-3, 14))
SWEEP_SEARCH = {"restarts": 1, "max_evals": 40000}


def _radius_sweep(draw: _Draw, enc0: Enclosure, radius: float, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Per radius k·``radius``: the worst λ_min(H(W)) the search finds in that ball (a certified upper end: an
    explicit W attains it) and the certified lower bound λ_min(H(0)) − ‖B‖₂ over the whole ball (Weyl; vacuous
    once ≤ 0, as H is a Gram matrix). The true worst case lies between the two."""
    points = []
    for k in SWEEP_MULTIPLES:
        R = k * radius
        flips = flippable_pairs(draw.X, draw.W0, R)
        sup_norm, _ = _certified_sup_norm(draw, flips)
        found, evaluations = enc0.upper, 0
        if flips.pairs:
            upper, _, record = _min_eig_search(draw, flips, R, rng, **SWEEP_SEARCH)
            found, evaluations = min(found, upper), record["evaluations"]
        points.append({"multiple": k, "R": R, "flippable_pairs": flips.pairs, "min_eig_found": found,
                       "certified_lower": enc0.lower - sup_norm, "evaluations": evaluations,
                       "converged": evaluations < SWEEP_SEARCH["max_evals"]})
    return points


def _examine(params: Mapping[str, Any], rng: np.random.Generator, bounds: Bounds, *, parts: Sequence[str],
             always_search: bool, sweep: bool = False) -> dict[str, Any]:
    """Draw W(0) and decide the requested conclusions ("norm", "min_eig") over the whole ball; with ``sweep``
    (and "min_eig"), also record the radius sweep (:func:`_radius_sweep`) around the same W(0)."""
    X = case_inputs(params)
    lam_lo, lam_hi = case_lambda0(params)
    n, d = X.shape
    dlt = float(params["delta"])
    m = _width(params, bounds, n, lam_lo)
    # Explicit violators live in the ball of the smaller radius (inside the true ball); certified bounds use
    # the larger one (containing it): the enclosure of λ0 never decides anything by itself.
    r_lo = bounds("R", n=n, delta=dlt, lambda0=lam_lo)
    r_hi = bounds("R", n=n, delta=dlt, lambda0=lam_hi)
    W0, _ = init_two_layer(rng, m, d)
    counts0 = pattern_counts(X, W0)
    draw = _Draw(X, W0, counts0, (X @ X.T) * counts0 / m, gram_rounding_radius(X))
    flips = flippable_pairs(X, W0, r_hi)
    sup_norm, U = _certified_sup_norm(draw, flips)
    obs: dict[str, Any] = {
        "m": m,
        "R": r_lo,
        "lambda0": [lam_lo, lam_hi],
        "flippable_pairs": flips.pairs,
        "U": U,
        "certified_sup_norm": sup_norm,
        "markov_bound": bounds("markov_bound", n=n, delta=dlt, lambda0=lam_lo),
    }
    restarts, budget = int(params.get("restarts", 3)), int(params.get("max_evals", 2000))
    tiers: list[Tier] = []
    if "norm" in parts:
        b_lo, b_hi = bounds("norm_bound", lambda0=lam_lo), bounds("norm_bound", lambda0=lam_hi)
        held = sup_norm < b_lo
        found, found_lower, share = 0.0, 0.0, 0.0
        if flips.pairs and (always_search or not held):
            result = flip_search(X, W0, counts0, flips, r_lo, NormObjective(), rng, restarts=restarts, max_evals=budget,
                                 target=b_hi * (1 + _CLEAR))
            H, share = _explicit(draw, result, r_lo)
            D = H - draw.H0
            found, found_lower, _, _ = spectral_norm_enclosure(D, 2 * draw.rad + np.spacing(np.abs(D)))
            obs["norm_search"] = _search_record(result)
        failed = found_lower >= b_hi
        tiers.append(Tier.EXACT if not flips.pairs else Tier.FLOAT)
        obs.update({"norm_found": found, "norm_found_lower": found_lower, "norm_bound": b_lo,
                    "norm_max_distance_over_R": share, "norm_held": held, "norm_failed": failed})
    if "min_eig" in parts:
        b_lo, b_hi = bounds("min_eig_bound", lambda0=lam_lo), bounds("min_eig_bound", lambda0=lam_hi)
        enc0 = lambda_min_enclosure(draw.H0, entry_radius=draw.rad, tier="float")
        certified_lower = enc0.lower - sup_norm          # Weyl: λ_min(H) ≥ λ_min(H(0)) − ‖H − H(0)‖₂
        held = certified_lower > b_hi
        found_upper, share = enc0.upper, 0.0
        if flips.pairs and (always_search or not held):
            upper, share, obs["min_eig_search"] = _min_eig_search(draw, flips, r_lo, rng, restarts=restarts, max_evals=budget,
                                                                  target=-b_lo * (1 - _CLEAR))
            found_upper = min(found_upper, upper)
        failed = found_upper <= b_lo
        tiers.append(Tier.of_enclosure(enc0.tier))
        obs.update({"min_eig_H0": float(np.linalg.eigvalsh(draw.H0)[0]), "min_eig_found": found_upper,
                    "min_eig_certified_lower": certified_lower, "min_eig_bound": b_lo,
                    "min_eig_max_distance_over_R": share, "min_eig_held": held, "min_eig_failed": failed})
        if sweep:
            obs["radius_sweep"] = _radius_sweep(draw, enc0, r_lo, rng)
    held = all(obs[f"{p}_held"] for p in parts)
    failed = any(obs[f"{p}_failed"] for p in parts)
    # value/bound/margin of the first part (the claim the check is about); margin > 0 iff certified with room.
    first = parts[0]
    if first == "norm":
        value = obs["norm_found_lower"] if obs["norm_failed"] else sup_norm
        bound, margin = obs["norm_bound"], obs["norm_bound"] - value
    else:
        value = obs["min_eig_found"] if obs["min_eig_failed"] else obs["min_eig_certified_lower"]
        bound, margin = obs["min_eig_bound"], value - obs["min_eig_bound"]
    obs.update({"value": float(value), "bound": float(bound), "margin": float(margin), "failed": bool(failed),
                "ambiguous": bool(not held and not failed), "tier": weakest_tier([{"tier": t.value} for t in tiers]).value})
    return obs


# ---------------------------------------------------------------------------------------------------------
# Checks


def _worst_case_cases(mode: Mode) -> Sequence[Case]:
    if mode is Mode.QUICK:
        return [Case({"inputs": "sphere", "n": 10, "d": 10, "data_seed": 1, "delta": 0.5, "m": 500, "restarts": 2, "max_evals": 300}, trials=20)]
    # The small width carries the radius sweep of the report's plot: the worst case over a ball is, up to
    # O(1/√m) fluctuations, a function of R alone, but one flip moves H by O(1/m), so a search that converges
    # at large R costs O(m·R) evaluations: affordable at m = 250, not at m = 20000.
    cases = [Case({"inputs": "sphere", "n": 10, "d": 10, "data_seed": 1, "delta": 0.5, "m": 250, "sweep_trials": 3}, trials=30),
             Case({"inputs": "sphere", "n": 10, "d": 10, "data_seed": 1, "delta": 0.5, "m": 20000}, trials=30)]
    if mode is Mode.FULL:
        cases.append(Case({"inputs": "sphere", "n": 100, "d": 50, "data_seed": 1, "delta": 0.5, "m": 100000}, trials=20))
    return cases


def _worst_case_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    obs = _examine(params, rng, bounds, parts=("norm", "min_eig"), always_search=True,
                   sweep=index < int(params.get("sweep_trials", 0)))
    # The check decides the norm conclusion (it holds at every width); the λ_min search is evidence here.
    obs.update({"failed": obs["norm_failed"], "ambiguous": not obs["norm_held"] and not obs["norm_failed"]})
    obs["hypotheses"] = {"lambda0_positive": obs["lambda0"][0] > 0}
    return obs


def _norm_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings,
                               "P(sup over the ball of ‖H − H(0)‖₂ ≥ λ0/4)")


def _sweep_summary(obs: Sequence[dict]) -> dict[str, Any]:
    """Per swept trial, the radii (as multiples of R*) that bracket the worst case's crossing of λ0/2: the largest
    k at which the certified bound still proves λ_min(H) > λ0/2 over the whole ball, and the smallest k at which
    the search found an explicit W with λ_min(H(W)) ≤ λ0/2 (None: not within the sweep)."""
    trials = []
    for index, o in enumerate(obs):
        if "radius_sweep" not in o:
            continue
        points, half = o["radius_sweep"], o["min_eig_bound"]
        certified = [p["multiple"] for p in points if p["certified_lower"] > half]
        found = [p["multiple"] for p in points if p["min_eig_found"] <= half]
        trials.append({"trial": index, "min_eig_H0": o["min_eig_H0"],
                       "largest_certified_multiple": max(certified) if certified else None,
                       "first_violating_multiple": min(found) if found else None,
                       "unconverged_multiples": [p["multiple"] for p in points if not p["converged"]]})
    first = next(o for o in obs if "radius_sweep" in o)
    return {"R_star": first["R"], "half_lambda0": first["min_eig_bound"], "multiples": list(SWEEP_MULTIPLES),
            "search": SWEEP_SEARCH, "trials": trials,
            "note": "radii above R* are outside the lemma's hypotheses: slack evidence, not part of the verdict"}


def _sweep_plot(params: Mapping[str, Any], obs: Sequence[dict]) -> dict[str, Any]:
    """The report's panel: worst λ_min(H(W)) found against R, the certified lower bound, λ0/2, λ_min(H(0)), R*."""
    swept = [(index, o) for index, o in enumerate(obs) if "radius_sweep" in o]
    first = swept[0][1]
    radii = [p["R"] for p in first["radius_sweep"]]
    ends = [radii[0], radii[-1]]
    half, r_star = first["min_eig_bound"], first["R"]
    found = [[p["min_eig_found"] for p in o["radius_sweep"]] for _, o in swept]
    certified = [min(o["radius_sweep"][j]["certified_lower"] for _, o in swept) for j in range(len(radii))]
    proved = [j for j, v in enumerate(certified) if v > 0]          # a bound ≤ 0 is vacuous (H is a Gram matrix)
    h0 = [o["min_eig_H0"] for _, o in swept]
    series = [{"label": f"worst W found, trial {index}", "x": radii, "y": ys, "style": f"C{k}o-"}
              for k, ((index, _), ys) in enumerate(zip(swept, found))]
    series += [
        {"label": "certified lower bound (weakest trial)", "x": [radii[j] for j in proved],
         "y": [certified[j] for j in proved], "style": "k:"},
        {"label": "λ_min(H(0)) (lowest trial)", "x": ends, "y": [min(h0)] * 2, "style": "g--"},
        {"label": "λ0/2 (the lemma's bound)", "x": ends, "y": [half] * 2, "style": "r-"},
        {"label": "R* = cδλ0/n²", "x": [r_star] * 2, "y": [min(half, *map(min, found), *(certified[j] for j in proved)), max(h0)],
         "style": "k-."},
    ]
    return {"title": f"worst-case λ_min(H) over the ball of radius R (n = {params['n']}, δ = {params['delta']}, m = {first['m']})\n"
                     "R > R* is outside the hypotheses: slack evidence",
            "xlabel": "R (per-neuron radius)", "ylabel": "λ_min(H(W)), ‖w_r − w_r(0)‖ ≤ R", "xscale": "log", "yscale": "linear",
            "series": series}


def _worst_case_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    verdict = _norm_verdict(params, obs, bounds, settings)
    if any("radius_sweep" in o for o in obs):
        verdict.evidence["radius_sweep"] = _sweep_summary(obs)
        verdict.evidence["plot"] = _sweep_plot(params, obs)
    return verdict


LEMMA.add(
    Check(
        name="worst_case",
        kind=Kind.WORST_CASE,
        claim="with probability ≥ 1 − δ over W(0), ‖H − H(0)‖₂ < λ0/4 for every W in the ball: per initialisation, "
              "the worst case found by a search over explicit W (flips that most increase ‖H − H(0)‖₂; and, as "
              "evidence, most reduce λ_min(H)) against the certified bound ‖B‖₂ ≤ U(W(0)); Clopper–Pearson over W(0). "
              "In the case with sweep_trials, its first trials also sweep R from R*/8 to 8192·R* around their W(0) "
              "(slack evidence, outside the verdict: worst λ_min(H) found and certified against R)",
        cases=_worst_case_cases,
        trial=_worst_case_trial,
        verdict=_worst_case_verdict,
        negative_control={"R": "1/2"},
    )
)


_SMALL = {"inputs": "sphere", "n": 6, "d": 3, "data_seed": 1}


def _norm_cases(mode: Mode) -> Sequence[Case]:
    widths = (10,) if mode is Mode.QUICK else (1, 10, 100, 1000, 10000) + ((100000,) if mode is Mode.FULL else ())
    trials = 50 if mode is Mode.QUICK else 1000 if mode is Mode.FULL else 200
    return [Case({**_SMALL, "delta": 0.1, "m": m}, trials=trials) for m in widths]


def _norm_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    obs = _examine(params, rng, bounds, parts=("norm",), always_search=False)
    obs["hypotheses"] = {"lambda0_positive": obs["lambda0"][0] > 0}
    return obs


LEMMA.add(
    Check(
        name="norm_every_width",
        kind=Kind.PROBABILITY,
        claim="with probability ≥ 1 − δ, ‖H − H(0)‖₂ < λ0/4 for every W in the ball, at every width m "
              "(the norm part needs no width condition: Markov)",
        cases=_norm_cases,
        trial=_norm_trial,
        verdict=_norm_verdict,
        negative_control={"R": "1/2"},
    )
)


def _joint_cases(mode: Mode) -> Sequence[Case]:
    cases = [
        Case({"inputs": "sphere", "n": 4, "d": 8, "data_seed": 1, "delta": 0.1, "width": "width_sharp"}, trials=200),
        Case({"inputs": "sphere", "n": 6, "d": 12, "data_seed": 2, "delta": 0.1, "width": "width_sharp"}, trials=200),
    ]
    if mode is Mode.FULL:
        cases += [
            Case({"inputs": "sphere", "n": 8, "d": 16, "data_seed": 2, "delta": 0.1, "width": "width_sharp"}, trials=500),
            Case({"inputs": "sphere", "n": 4, "d": 8, "data_seed": 1, "delta": 0.1, "width": "width_paper"}, trials=500),
        ]
    if mode is Mode.QUICK:
        cases = [Case(dict(cases[0].params), trials=50)]
    return cases


def _joint_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    obs = _examine(params, rng, bounds, parts=("min_eig", "norm"), always_search=False)
    n = int(params["n"])
    threshold = bounds(params["width"], n=n, delta=float(params["delta"]), lambda0=obs["lambda0"][0])
    obs["hypotheses"] = {"lambda0_positive": obs["lambda0"][0] > 0, "width": obs["m"] >= threshold}
    return obs


def _joint_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return probability_verdict(obs, bounds("joint_failure_probability", delta=params["delta"]), settings,
                               "P(some W in the ball has λ_min(H) ≤ λ0/2 or ‖H − H(0)‖₂ ≥ λ0/4)")


LEMMA.add(
    Check(
        name="min_eig_joint",
        kind=Kind.PROBABILITY,
        claim="at widths inside Lemma 3.1 (m ≥ its threshold), with probability ≥ 1 − 2δ, λ_min(H) > λ0/2 and "
              "‖H − H(0)‖₂ < λ0/4 for every W in the ball (the λ_min part with Lemma 3.1's event, spec §3.5)",
        cases=_joint_cases,
        trial=_joint_trial,
        verdict=_joint_verdict,
        negative_control={"min_eig_bound": "3*lambda0/2"},
    )
)


def _as_printed_cases(mode: Mode) -> Sequence[Case]:
    widths = (1,) if mode is Mode.QUICK else (1, 10)
    # δ = 0.01: the printed claim is for every δ ∈ (0, 1), and the draws refute it at this δ (at m = 10 these
    # inputs give λ_min(H(0)) ≤ λ0/2 in about one draw in seven; at m = 1 in every draw).
    return [Case({**_SMALL, "delta": 0.01, "m": m}, trials=50 if mode is Mode.QUICK else 200) for m in widths]


def _as_printed_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    obs = _examine(params, rng, bounds, parts=("min_eig",), always_search=False)
    obs["hypotheses"] = {"lambda0_positive": obs["lambda0"][0] > 0}
    return obs


def _as_printed_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return probability_verdict(obs, bounds("failure_probability", delta=params["delta"]), settings,
                               "P(some W in the ball has λ_min(H) ≤ λ0/2)")


LEMMA.add(
    Check(
        name="min_eig_as_printed",
        kind=Kind.PROBABILITY,
        claim="as printed (no width hypothesis): with probability ≥ 1 − δ, λ_min(H) > λ0/2 for every W in the ball, "
              "at small widths",
        cases=_as_printed_cases,
        trial=_as_printed_trial,
        verdict=_as_printed_verdict,
        negative_control={"min_eig_bound": "lambda0"},
        erratum="spec du2018 §9 erratum 8: the λ_min conclusion needs Lemma 3.1's event; at small m λ_min(H(0)) ≤ λ0/2 "
                "is common (W = W(0) lies in the ball)",
    )
)
