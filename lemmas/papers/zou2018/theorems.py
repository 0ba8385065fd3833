"""Zou et al. Theorems 4.1 (GD) and 4.5 (SGD), Corollaries 4.3 and 4.6 (zero training error): slack evidence only.

No theorem is checkable inside its hypotheses: the width the proofs need is ≥ 10⁸ (paper form, constants 1) to
10¹⁷ (explicit §4 form) already for n = 2, L = 1 (spec §5). So:
* ``chain`` [SYMBOLIC]: the §4 chain re-derived in sympy — the width from R(ε) = T with Lemma 5.4's τ, and
  K = R(ε)/η — against the closed forms of spec §4 items 6–7; the §5 example thresholds are in the evidence.
* GD and SGD runs at feasible widths (logistic loss), on synthetic data and on the bundled digits data set
  (two classes, unit norm, lifted to last coordinate μ as Assumption 3.4 requires): the loss against the
  iterations beside the theory's envelope (the L_S guaranteed by (C.10) with the measured ĉ0), zero training
  error, the distance from initialization (× √m), and the fraction of flipped signs. Every trial records the
  width hypothesis as False (m is below the explicit threshold), so the status is "slack evidence".
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict, compare, max_error_verdict
from lemmas.core import deep
from lemmas.papers.zou2018 import constants as K, data, losses, source
from lemmas.papers.zou2018.checking import case_data, symbolic_observation
from lemmas.papers.zou2018.network import Trajectory, network, run
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Outcome, Tier, Verdict
from lemmas.symbolic import Bounds, L, Quantity, n, phi

LOGISTIC_ALPHA = 1 - math.exp(-1)


@lru_cache(maxsize=32)
def explicit_width(n_: int, depth: int, phi_: float, eps: float, initial_loss: float) -> float:
    """The §4 item-6 width (logistic, hidden constants 1), by fixed point in log m."""
    vals = {K.n: n_, K.L: depth, K.phi: phi_, K.epsilon: eps, K.p: 1, K.alpha0: LOGISTIC_ALPHA, K.alpha1: LOGISTIC_ALPHA,
            K.L0: initial_loss, K.c0: 1, K.c1: 1, K.C1: 1, K.C2: 1}
    return K.fixed_point_width(K.gd_width(sp.Integer(1)), vals)


def theory_envelope(times: np.ndarray, initial_loss: float, c0: float, width: int, n_: int, phi_: float) -> np.ndarray:
    """The largest L_S(W^(k)) that (C.10) allows after time kη for the logistic loss (p = 1, α0 = α1 = 1 − e⁻¹):
    the L with R(L) = kη, R(L) = (2/(c0mφ))[n⁵(L0 − L)/α0² + n³(1/L − 1/L0)/α1²] (L0 if kη < R at the grid's end)."""
    grid = np.logspace(math.log10(initial_loss), -8, 4000)
    R = 2 / (c0 * width * phi_) * (n_**5 * (initial_loss - grid) + n_**3 * (1 / grid - 1 / initial_loss)) / LOGISTIC_ALPHA**2
    idx = np.searchsorted(R, times, side="left")
    return grid[np.minimum(idx, grid.size - 1)]


def _run_observation(params: Mapping[str, Any], ds: data.Dataset, rng: np.random.Generator, bounds: Bounds,
                     width: int) -> tuple[dict[str, Any], Trajectory]:
    """One run; the conclusion compared is L_S(W^(K)) ≤ ε (theorems) or, with ``params['target'] == 'error'``,
    the number of misclassified training points ≤ the quantity ``error_target`` (corollaries; exact integers)."""
    depth, eta_ = int(params["L"]), float(params["eta_m"]) / width
    param = network(ds.d, (width,) * depth, mu=ds.mu)
    W0 = deep.init_params(param, rng)
    batch = int(params["batch"]) if params.get("batch") else None
    traj = run(param, W0, ds.X, ds.y, losses.LOGISTIC, eta_, int(params["steps"]), batch=batch, rng=rng, record_every=int(params["record_every"]))
    eps = bounds("epsilon_target", n=ds.n)
    threshold = explicit_width(ds.n, depth, round(ds.phi, 12), eps, round(traj.loss[0], 12))
    zero_error_at = next((k for k, e in enumerate(traj.error) if e == 0.0), None)
    reached_at = next((k for k, v in enumerate(traj.loss) if v <= eps), None)
    c0_hat = min(g * ds.n**5 / (width * ds.phi * s**2) for g, s in zip(traj.last_grad_sq[:-1], traj.sum_lprime[:-1]))
    if params.get("target") == "error":
        obs = compare(int(round(traj.error[-1] * ds.n)), bounds("error_target"))
        obs.update({"ambiguous": False, "tier": Tier.EXACT.value})
    else:
        obs = compare(traj.loss[-1], eps)
    obs.update({"hypotheses": {"width": width >= threshold}, "m": width, "explicit_width_threshold": threshold,
                "final_error": traj.error[-1], "zero_error_at": zero_error_at, "epsilon_reached_at": reached_at, "epsilon": eps,
                "distance_times_sqrt_m": traj.distance[-1] * math.sqrt(width), "max_flip_fraction": max(traj.flips),
                # the exact worst case of one layer at radius τ = the distance moved: (3/π)^{1/3}τ^{2/3} of the nodes
                "worst_case_flip_fraction_at_distance": min(1.0, (3 / math.pi) ** (1 / 3) * traj.distance[-1] ** (2 / 3)),
                "c0_hat": c0_hat, "n": ds.n, "phi": ds.phi, "mu": ds.mu, "eta": eta_,
                "monotone": all(b <= a + 1e-15 for a, b in zip(traj.loss, traj.loss[1:]))})
    return obs, traj


def _series(traj: Trajectory, obs: Mapping[str, Any]) -> list[dict[str, Any]]:
    steps = np.arange(len(traj.loss))
    envelope = theory_envelope(steps * obs["eta"], traj.loss[0], obs["c0_hat"], obs["m"], obs["n"], obs["phi"])
    keep = np.unique(np.linspace(0, steps.size - 1, 120).astype(int))
    return [{"label": f"L_S, m = {obs['m']}", "x": steps[keep].tolist(), "y": [traj.loss[i] for i in keep], "style": "-"},
            {"label": f"(C.10) envelope with measured ĉ0, m = {obs['m']}", "x": steps[keep].tolist(),
             "y": envelope[keep].tolist(), "style": "--"},
            {"label": f"training error (floored at 1e-4), m = {obs['m']}", "x": steps[keep].tolist(),
             "y": [max(traj.error[i], 1e-4) for i in keep], "style": ":"}]


def _run_verdict_with_plot(obs: Sequence[dict], series: list[dict[str, Any]], title: str, quantity: str) -> Verdict:
    v = all_trials_verdict(obs, quantity)
    eps = obs[0]["epsilon"]
    last = max(max(s["x"]) for s in series)
    series = series + [{"label": "ε = ℓ(0)/(2n)", "x": [0, last], "y": [eps, eps], "style": "k:"}]
    v.evidence.update({
        "plot": {"title": title, "xlabel": "iteration k", "ylabel": "L_S(W^(k)) / training error", "xscale": "linear",
                 "yscale": "log", "series": series},
        "per_width": {str(o["m"]): {k: o[k] for k in ("final_error", "zero_error_at", "epsilon_reached_at", "distance_times_sqrt_m",
                                                     "max_flip_fraction", "worst_case_flip_fraction_at_distance",
                                                     "explicit_width_threshold", "c0_hat", "monotone")}
                      for o in obs},
        "phi": obs[0]["phi"], "mu": obs[0]["mu"], "n": obs[0]["n"],
    })
    return v


# ---- the runs (trial index = width index; each observation carries its plot series) ------------------------


def _synthetic_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    obs, traj = _run_observation(params, case_data(params), rng, bounds, int(params["widths"][index]))
    obs["series"] = _series(traj, obs)
    return obs


def _digits_dataset(params: Mapping[str, Any]) -> data.Dataset:
    from lemmas.core import realdata

    two = realdata.digits_two_class(tuple(params["classes"]), seed=int(params["data_seed"]))
    mu = float(params["mu"])
    X = data.lift(two.X_train, mu)
    return data.Dataset(X=X, y=two.y_train, mu=mu, phi=data.separation(X, two.y_train), kind="digits")


def _digits_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    from lemmas.core import realdata

    if not realdata.available():
        return {"hypotheses": {"data_available": False}, "value": math.nan, "bound": math.nan, "margin": 0.0, "failed": False,
                "ambiguous": True, "reason": realdata.MISSING_REASON, "series": []}
    obs, traj = _run_observation(params, _digits_dataset(params), rng, bounds, int(params["widths"][index]))
    obs["series"] = _series(traj, obs)
    obs["hypotheses"]["data_available"] = True
    return obs


def _make_verdict(title: str, quantity: str):
    def verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
        if any("reason" in o for o in obs):
            return Verdict(outcome=Outcome.UNDECIDED, quantity=quantity, value=math.nan, bound=math.nan, margin=0.0,
                           hypotheses_held=False, summary=f"not run: {obs[0]['reason']}")
        series = [s for o in obs for s in o["series"]]
        stripped = [{k: v for k, v in o.items() if k != "series"} for o in obs]
        return _run_verdict_with_plot(stripped, series, title, quantity)
    return verdict


def _run_quantities() -> dict[str, Quantity]:
    return {"epsilon_target": Quantity("epsilon_target", sp.log(2) / (2 * n), "ε = ℓ(0)/(2n) (logistic): L_S ≤ ε forces zero error",
                                       "bound", "D", "nL_S < ℓ(0) ⇒ ℓ(y_iŷ_i) < ℓ(0) ⇒ y_iŷ_i > 0 (Corollary 4.3)"),
            "error_target": Quantity("error_target", sp.Integer(0), "number of misclassified training points", "bound", "V")}


# ==========================================================================================================
# Theorem 4.1 (GD) and the §4 chain
# ==========================================================================================================

T41 = register(Lemma(
    id="zou2018.theorem4.1",
    title="GD finds L_S ≤ ε at polynomial width (slack evidence only)",
    source=source("§4.1, Theorem 4.1 (proof p.12)", "zou2018.md §3.1, §4, §5"),
    statement=(r"Under Gaussian initialization and Assumptions 3.1–3.6, with $\eta=O(n^{-3}L^{-9}m^{-1})$ and "
               r"$m=\widetilde\Omega(\mathrm{poly}(n,\phi^{-1},L))\cdot[1\,/\,\log(1/\epsilon)\,/\,\epsilon^{1-2p}]$, "
               r"$K=\widetilde O(\mathrm{poly})\cdot[\dots]$, with high probability GD finds $L_S(\mathbf W^{(K)})\le\epsilon$; "
               r"explicitly (proof) $m=\widetilde\Omega(n^{26}L^{38}\phi^{-8})+\dots$ for $\alpha_0<\infty$."),
    tag="V",
    quantities={**_run_quantities(),
                "width_closed_form": Quantity("width_closed_form", 4**7 * K.c1**2 * K.C1**6 / K.c0**8 * L**38 * n**21 * K.logm**3
                                              * K.L0 * K.potential_A() / phi**8, "spec §4 item 6", "width", "D"),
                "iterations_closed_form": Quantity("iterations_closed_form", 8 * K.C2 * n**3 * L**9 * K.potential_A() / (K.c0**2 * phi**2),
                                                   "spec §4 item 7", "bound", "D")},
    hypotheses={"width": "m ≥ the explicit §4 width (hidden constants 1)", "data_available": "the real data set can be loaded"},
    notes=("E4: the printed α0 < ∞, p > ½ width swaps the n-exponents; E6: the stated η omits the φ of Lemma 5.4 "
           "(both checked in zou2018.errata).",),
))


def _chain_cases(mode: Mode) -> Sequence[Case]:
    return [Case({"items": ["width", "iterations"]}, 2)]


def _chain_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    if index == 0:
        derived, claimed = K.gd_width(), bounds.expr("width_closed_form")
    else:
        derived, claimed = K.gd_iterations(), bounds.expr("iterations_closed_form")
    return symbolic_observation(derived, claimed, item=params["items"][index])


def _chain_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = max_error_verdict(obs, 0.0, "derived §4 width and K − spec closed forms (symbolic)", tier=Tier.EXACT)
    v.evidence["section5"] = [K.section5_row(*row) for row in K.SECTION5_ROWS]
    return v


T41.add(Check(
    name="chain", kind=Kind.SYMBOLIC,
    claim="R(ε) = T with τ from (C.5) gives m ≥ 4⁷c1²C1⁶/c0⁸·L³⁸n²¹(log m)³L0A/φ⁸ and K = 8C2n³L⁹A/(c0²φ²) (spec §4 items 6–7); "
          "§5's example thresholds reproduced in the evidence",
    cases=_chain_cases, trial=_chain_trial, verdict=_chain_verdict,
    negative_control={"width_closed_form": "L**38*n**26/phi**8"},
))


def _gd_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "random_sphere", "n": 20, "d": 10, "mu": 0.5, "data_seed": 27, "L": 2, "eta_m": 8.0, "steps": 600,
            "record_every": 50, "widths": [128, 512]}
    quick = {**base, "steps": 100, "widths": [64]}
    if mode is Mode.QUICK:
        return [Case(quick, 1)]
    return [Case(base, 2)] + ([Case({**base, "n": 50, "L": 3, "steps": 2000, "widths": [256, 1024]}, 2)] if mode is Mode.FULL else [])


T41.add(Check(
    name="gd_run", kind=Kind.CONDITIONAL,
    claim="GD (logistic, ηm = 8) reaches L_S ≤ ℓ(0)/(2n) at feasible widths, far below the theorem's width: "
          "loss curve beside the (C.10) envelope, zero error, distance × √m, flip fraction (slack evidence)",
    cases=_gd_cases, trial=_synthetic_trial, verdict=_make_verdict("Theorem 4.1: GD on synthetic data", "L_S(W^(K)) against ε"),
    negative_control={"epsilon_target": "10**-12"},
))

# ==========================================================================================================
# Corollary 4.3 (GD, zero training error) on real data
# ==========================================================================================================

C43 = register(Lemma(
    id="zou2018.corollary4.3",
    title="GD reaches zero training error (real data; slack evidence only)",
    source=source("§4.1, Corollary 4.3", "zou2018.md §3.1"),
    statement=(r"Under the assumptions of Theorem 4.1, if $\ell(0)>0$, GD reaches zero training error once "
               r"$m=\widetilde\Omega(\mathrm{poly}(n,\phi^{-1},L))$."),
    tag="V",
    quantities=_run_quantities(),
    hypotheses={"width": "m ≥ the explicit §4 width (hidden constants 1)", "data_available": "the real data set can be loaded"},
    notes=("Derivation [D]: with ε = ℓ(0)/(2n), nL_S < ℓ(0) forces y_iŷ_i > 0 for every i.",),
))


def _digits_cases(mode: Mode, batch: int | None) -> Sequence[Case]:
    base = {"classes": [0, 1], "data_seed": 0, "mu": 0.5, "L": 2, "eta_m": 8.0, "steps": 300, "record_every": 50, "target": "error",
            "widths": [256], **({"batch": batch} if batch else {})}
    if mode is Mode.QUICK:
        return [Case({**base, "steps": 60, "widths": [64]}, 1)]
    return [Case(base, 1)] + ([Case({**base, "classes": [3, 8], "steps": 2000, "widths": [256, 1024]}, 2)] if mode is Mode.FULL else [])


C43.add(Check(
    name="gd_digits", kind=Kind.CONDITIONAL,
    claim="GD (logistic) on two classes of the bundled digits (unit norm, lifted to last coordinate μ) reaches zero training "
          "error (slack evidence: m far below the theorem's width); when L_S ≤ ℓ(0)/(2n) was reached is reported",
    cases=lambda mode: _digits_cases(mode, None), trial=_digits_trial,
    verdict=_make_verdict("Corollary 4.3: GD on digits (two classes)", "misclassified training points after K steps"),
    negative_control={"error_target": "-1"},
))

# ==========================================================================================================
# Theorem 4.5 (SGD) and Corollary 4.6
# ==========================================================================================================

T45 = register(Lemma(
    id="zou2018.theorem4.5",
    title="SGD finds L_S ≤ ε at polynomial width (slack evidence only)",
    source=source("§4.2, Theorem 4.5 (proof pp.13–14)", "zou2018.md §3.1"),
    statement=(r"Under Assumptions 3.1–3.6 and 4.4, with $\eta=O(n^{-3}L^{-9}m^{-1})$ (the proof uses "
               r"$O(\phi m^{-1}n^{2p-7}L^{-9}B^2)$, E6), $m=\widetilde\Omega(\mathrm{poly})\cdot[1\,/\,\log^2(1/\epsilon)\,/\,"
               r"\epsilon^{2-4p}]$ and $K=\widetilde O(\mathrm{poly})\cdot[\dots]$, with high probability SGD finds "
               r"$L_S(\mathbf W^{(K)})\le\epsilon$."),
    tag="V",
    quantities=_run_quantities(),
    hypotheses={"width": "m ≥ the explicit GD width of §4 (a lower bound on the SGD width)", "data_available": "—"},
    notes=("E5: the α0 = ∞, p = ½ width prints log(1/ε) for log²(1/ε); E6: the stated η is not the proof's (zou2018.errata).",),
))


def _sgd_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "random_sphere", "n": 20, "d": 10, "mu": 0.5, "data_seed": 28, "L": 2, "eta_m": 8.0, "batch": 4, "steps": 800,
            "record_every": 50, "widths": [128, 512]}
    if mode is Mode.QUICK:
        return [Case({**base, "steps": 100, "widths": [64]}, 1)]
    return [Case(base, 2)] + ([Case({**base, "n": 50, "L": 3, "steps": 4000, "widths": [256, 1024]}, 2)] if mode is Mode.FULL else [])


T45.add(Check(
    name="sgd_run", kind=Kind.CONDITIONAL,
    claim="SGD (logistic, B = 4, ηm = 8) reaches L_S ≤ ℓ(0)/(2n) at feasible widths (slack evidence), with the GD (C.10) "
          "envelope for reference",
    cases=_sgd_cases, trial=_synthetic_trial, verdict=_make_verdict("Theorem 4.5: SGD on synthetic data", "L_S(W^(K)) against ε"),
    negative_control={"epsilon_target": "10**-12"},
))

C46 = register(Lemma(
    id="zou2018.corollary4.6",
    title="SGD reaches zero training error (real data; slack evidence only)",
    source=source("§4.2, Corollary 4.6", "zou2018.md §3.1"),
    statement=r"The SGD analogue of Corollary 4.3: zero training error once $m=\widetilde\Omega(\mathrm{poly}(n,\phi^{-1},L))$.",
    tag="V",
    quantities=_run_quantities(),
    hypotheses={"width": "m ≥ the explicit GD width of §4 (hidden constants 1)", "data_available": "the real data set can be loaded"},
))

C46.add(Check(
    name="sgd_digits", kind=Kind.CONDITIONAL,
    claim="SGD (logistic, B = 10) on two classes of the bundled digits reaches zero training error (slack evidence)",
    cases=lambda mode: _digits_cases(mode, 10), trial=_digits_trial,
    verdict=_make_verdict("Corollary 4.6: SGD on digits (two classes)", "misclassified training points after K steps"),
    negative_control={"error_target": "-1"},
))
