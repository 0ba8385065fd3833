"""AZLS Lemma 8.2 (forward perturbation).

> Let ω ≤ 1/(C L^{9/2} log³m). With probability ≥ 1 − e^{−Ω(mω^{2/3}L)}, for every W′ with ‖W′‖₂ ≤ ω and all
  i, ℓ (g′, h′, D′ the differences from the network at W(0)):
  (a) g′_{i,ℓ} = g′_{i,ℓ,1} + g′_{i,ℓ,2}, ‖g′_{i,ℓ,1}‖ ≤ O(ωL^{3/2}), ‖g′_{i,ℓ,2}‖_∞ ≤ O(ωL^{5/2}√(log m)/√m);   [U]
  (b) ‖D′_{i,ℓ}‖₀ ≤ O(mω^{2/3}L);                                         [V-sec:S1, S2]
  (c) ‖h′_{i,ℓ}‖ ≤ O(ωL^{5/2}√(log m)).                                    [V-sec:S2, S6]
                              (v5 Lemma 8.2; pre-v5 Lemma 5.2; azls2018.md §3.7)

For-all claims, so every check searches for the worst case (azls2018.md §6.0): the exact one-layer certificate
(a [D] fact, checked as such), greedy layerwise sign-flip constructions, low-rank projected ascent and random
points. The exponents of (b) and (c) are stated alike by two restatements, so their sweeps are pass/fail
exponent checks where the hypothesis ω ≤ 1/(L^{9/2} log³m) holds under its loosest reading (C = 1); points
outside it are slack evidence. (a), the random-perturbation law Θ(mω) and everything else are exploratory.
The split of (a) is taken as the exact decomposition g′ = g′₁ + g′₂ with g′₁ driven by W′ directly and g′₂
by the sparse sign-change terms D′g̃ of earlier layers (both propagated through W D ⋯ W), [D] here.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from lemmas.checks import all_trials_verdict
from lemmas.core import deep
from lemmas.core.perturb import greedy_sign_flip, layer_sign_flip, one_layer_flip_certificate, random_perturbation, sign_changes
from lemmas.papers.azls2018 import constants as c, source
from lemmas.papers.azls2018.adversary import worst_shift
from lemmas.papers.azls2018.networks import inputs, network, numeric, parameterization, rank_one
from lemmas.papers.azls2018.scaling import scaling_trial, scaling_verdict, sweep
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="azls2018.lemma8.2",
        title="Forward perturbation: sign-change sparsity, ℓ2/ℓ∞ split of g′, ‖h′‖",
        source=source("App. 8, Lemma 8.2 (pre-v5 Lemma 5.2)", "azls2018.md §3.7, §6.7, §6.8"),
        statement=(
            r"For $\omega\le\frac{1}{CL^{9/2}\log^3m}$, with probability at least $1-e^{-\Omega(m\omega^{2/3}L)}$, for all "
            r"$\|W'\|_2\le\omega$ and all $i,\ell$: (a) $g'_{i,\ell}=g'_{i,\ell,1}+g'_{i,\ell,2}$ with $\|g'_{i,\ell,1}\|\le O(\omega L^{3/2})$, "
            r"$\|g'_{i,\ell,2}\|_\infty\le O(\omega L^{5/2}\sqrt{\log m}/\sqrt m)$; (b) $\|D'_{i,\ell}\|_0\le O(m\omega^{2/3}L)$; "
            r"(c) $\|h'_{i,\ell}\|\le O(\omega L^{5/2}\sqrt{\log m})$. One layer, one input [D]: the supremum of the number of "
            r"changed indicators over $\|W'\|_2\le\omega$ is $\max\{s:\sum_{k\le s}g_{(k)}^2<\omega^2\|h\|^2\}$."
        ),
        tag="V-sec:S1,S2 (b); V-sec:S2,S6 (c); U (a); D (certificate)",
        quantities={
            q.name: q
            for q in [
                Quantity("omega_max", c.perturbation_omega_max, "ω ≤ 1/(C L^{9/2} log³m), C = 1 reading", "radius", "V-sec:S1,S2"),
                Quantity("certificate_gain", c.flip_certificate_gain, "gain in Σ g_(k)² < (gain·ω‖h‖)²", "constant", "D",
                         "indicator k changes only if |(W′h)_k| ≥ |g_k|, and ‖W′h‖ ≤ ω‖h‖"),
                Quantity("flips_shape", c.flips_adversarial, "bound on ‖D′_{i,ℓ}‖₀ (adversarial W′)", "bound", "V-sec:S1,S2"),
                Quantity("random_flips_shape", c.flips_random, "law of ‖D′_{i,ℓ}‖₀ for random W′ (Θ(mω))", "bound", "D"),
                Quantity("shift_shape", c.hidden_shift, "bound on ‖h′_{i,ℓ}‖", "bound", "V-sec:S2,S6"),
                Quantity("split_l2_shape", c.split_l2, "bound on ‖g′_{i,ℓ,1}‖", "bound", "U"),
                Quantity("split_linf_shape", c.split_linf, "bound on ‖g′_{i,ℓ,2}‖_∞", "bound", "U"),
            ]
        },
        hypotheses={"omega_small": "ω ≤ 1/(L^{9/2} log³m) (the hypothesis with C = 1, its loosest reading)"},
    )
)


def _omega(theta: dict[str, Any], bounds: Bounds) -> float:
    """ω of a case point: given, or a fraction ``omega_frac`` of ω_max(L, m)."""
    if "omega" in theta:
        return float(theta["omega"])
    return float(theta["omega_frac"]) * bounds("omega_max", **numeric(theta))


def _hypotheses(theta: Mapping[str, Any], omega: float, bounds: Bounds) -> dict[str, Any]:
    omega_max = bounds("omega_max", **numeric(theta))
    return {"hypotheses": {"omega_small": omega <= omega_max}, "normalized": {"omega L^4.5 log^3 m": omega / omega_max}}


# ---- the exact one-layer certificate ---------------------------------------------------------------

_CERT_OMEGAS = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)


def _certificate_cases(mode: Mode) -> Sequence[Case]:
    trials = {Mode.QUICK: 5, Mode.DEFAULT: 15, Mode.FULL: 50}[mode]
    return [Case({"m": 1024, "L": 1, "n": 1, "data_seed": 5}, trials=trials)]


def _certificate_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    omega = _CERT_OMEGAS[index % len(_CERT_OMEGAS)]
    param, weights, X = network(params, rng)
    cache = deep.forward(param, weights, X)
    h0, g1 = cache.h[0][0], cache.g[1][0]
    cert = one_layer_flip_certificate(g1, float(np.linalg.norm(h0)), omega, gain=bounds("certificate_gain"))

    def flips(delta: np.ndarray) -> int:
        return int(sign_changes(cache, deep.forward(param, weights.perturbed([delta]), X))[1, 0])

    construction = flips(layer_sign_flip(param, cache, 1, omega))
    # reflection u_k = −2g_k on the smallest |g| until ‖u‖ = ω‖h‖ (spec §3.7), and a random rank-one point
    order = np.argsort(np.abs(g1))
    k = int(np.searchsorted(np.cumsum(4.0 * g1[order] ** 2), (omega * np.linalg.norm(h0)) ** 2))
    u = np.zeros_like(g1)
    u[order[:k]] = -2.0 * g1[order[:k]]
    reflection = flips(np.outer(u, h0) / (h0 @ h0))
    random = flips(rank_one(rng, weights.Ws[0].shape, omega))
    found = max(construction, reflection, random)
    margin = min(cert - found, construction - cert)
    return {"hypotheses": {}, "omega": omega, "value": float(construction), "bound": float(cert), "margin": float(margin),
            "failed": margin < 0, "ambiguous": False, "tier": "exact",
            "reflection": reflection, "random": random, "law": float(1024 * (3 * omega**2 / math.pi) ** (1 / 3))}


def _certificate_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return all_trials_verdict(obs, "flips of the rank-one construction and of every other W′ tried, against the certificate")


LEMMA.add(
    Check(
        name="flip_certificate",
        kind=Kind.CERTIFICATE,
        claim=("one layer, one input: the rank-one sign-flip construction changes exactly the certified number "
               "max{s : Σ_{k≤s} g_(k)² < ω²‖h‖²} of indicators, and no other W′ tried changes more"),
        cases=_certificate_cases,
        trial=_certificate_trial,
        verdict=_certificate_verdict,
        negative_control={"certificate_gain": "1/2"},
    )
)


# ---- (b) sign-change sparsity --------------------------------------------------------------------------


def _flip_cases(mode: Mode) -> Sequence[Case]:
    reps = {"test_reps": 6, "calib_reps": 2} if mode is Mode.FULL else {"test_reps": 3, "calib_reps": 1}
    inside_omega = sweep("omega_frac", [0.125, 0.25, 0.5, 1.0], m=16384, L=1, n=1, data_seed=6, **reps)
    inside_m = sweep("m", [2048, 4096, 8192, 16384], omega=1e-3, L=1, n=1, data_seed=6, **reps)
    outside_L = sweep("L", [1, 2, 4, 8], m=256, omega=0.02, n=1, data_seed=6, **reps)
    if mode is Mode.QUICK:
        return [inside_omega]
    return [inside_omega, inside_m, outside_L]


def _flips(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    omega = _omega(theta, bounds)
    if int(theta["L"]) == 1:
        # One layer: the supremum is the certificate of g_1 (checked exactly by flip_certificate). Given h_0,
        # g_1 = W_1 h_0 ~ N(0, 2‖h_0‖²/m · I) exactly (W_1's rows are i.i.d. N(0, 2/m I), independent of A), so
        # g_1 is drawn from that law instead of materializing the m × m matrix W_1.
        param = parameterization(theta)
        A = math.sqrt(param.input_var) * rng.standard_normal(param.weight_shape(0))
        h0 = np.maximum(A @ inputs(theta)[0], 0.0)
        g1 = np.linalg.norm(h0) * math.sqrt(2.0 / param.widths[0]) * rng.standard_normal(param.widths[0])
        value, method = one_layer_flip_certificate(g1, float(np.linalg.norm(h0)), omega), "certificate"
    else:
        param, weights, X = network(theta, rng)
        deltas = greedy_sign_flip(param, weights, X, omega)
        counts = sign_changes(deep.forward(param, weights, X), deep.forward(param, weights.perturbed(deltas), X))
        value, method = int(counts[1:].max()), "greedy layerwise sign flips"
    return {**_hypotheses(theta, omega, bounds), "derived": {"omega": omega}, "value": float(value), "method": method}


LEMMA.add(
    Check(
        name="flips_adversarial",
        kind=Kind.EXPONENT,
        claim="max_ℓ ‖D′_ℓ‖₀ under the worst W′ found = O(mω^{2/3}L): implied constant without upward drift in ω, m, L",
        cases=_flip_cases,
        trial=scaling_trial(_flips, "flips_shape"),
        verdict=scaling_verdict("upper", "max_ℓ ‖D′_ℓ‖₀", "flips_shape"),
        negative_control={"flips_shape": "omega/L"},
    )
)


def _random_flip_cases(mode: Mode) -> Sequence[Case]:
    reps = {"test_reps": 6, "calib_reps": 2} if mode is Mode.FULL else {"test_reps": 3, "calib_reps": 1}
    return [sweep("omega", [0.05, 0.1, 0.2, 0.4], m=512, L=2, n=1, data_seed=7, **reps)]


def _random_flips(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X = network(theta, rng)
    omega = float(theta["omega"])
    deltas = random_perturbation(rng, [W.shape for W in weights.Ws], omega)
    counts = sign_changes(deep.forward(param, weights, X), deep.forward(param, weights.perturbed(deltas), X))
    return {**_hypotheses(theta, omega, bounds), "value": float(counts[1:].max()), "method": "random ωG/‖G‖₂"}


LEMMA.add(
    Check(
        name="flips_random",
        kind=Kind.EXPONENT,
        claim="random W′ = ωG/‖G‖₂ change Θ(mω) indicators (the control law, azls2018.md §3.7): no drift either way in ω",
        cases=_random_flip_cases,
        trial=scaling_trial(_random_flips, "random_flips_shape"),
        verdict=scaling_verdict("equal", "max_ℓ ‖D′_ℓ‖₀ (random W′)", "random_flips_shape"),
        negative_control={"random_flips_shape": "m*omega**2"},
        confirmed=False,
    )
)


# ---- (c) ‖h′‖ -------------------------------------------------------------------------------------------


def _shift_cases(mode: Mode) -> Sequence[Case]:
    reps = {"test_reps": 6, "calib_reps": 2} if mode is Mode.FULL else {"test_reps": 3, "calib_reps": 1}
    cases = [
        sweep("omega_frac", [1 / 64, 1 / 16, 1 / 4, 1.0], m=256, L=2, n=1, data_seed=8, **reps),
        sweep("L", [1, 2, 4, 8], m=256, omega_frac=0.5, n=1, data_seed=8, **reps),
        sweep("m", [64, 128, 256, 512], L=2, omega_frac=0.5, n=1, data_seed=8, **reps),
    ]
    return cases[:1] if mode is Mode.QUICK else cases


def _shift(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    omega = _omega(theta, bounds)
    param, weights, X = network(theta, rng)
    value, method, _ = worst_shift(param, weights, X, omega, rng)
    return {**_hypotheses(theta, omega, bounds), "derived": {"omega": omega}, "value": value, "method": method}


LEMMA.add(
    Check(
        name="hidden_shift",
        kind=Kind.EXPONENT,
        claim="max_ℓ ‖h′_ℓ‖ under the worst W′ found = O(ωL^{5/2}√log m): implied constant without upward drift in ω, L, m",
        cases=_shift_cases,
        trial=scaling_trial(_shift, "shift_shape"),
        verdict=scaling_verdict("upper", "max_ℓ ‖h′_ℓ‖", "shift_shape"),
        negative_control={"shift_shape": "omega**2/(L*m)"},
    )
)


# ---- (a) the ℓ2/ℓ∞ split of g′ ------------------------------------------------------------------------


def split_parts(param, weights: deep.DeepWeights, deltas: Sequence[np.ndarray], X: np.ndarray) -> tuple[list, list, float]:
    """g′_ℓ = g′_{ℓ,1} + g′_{ℓ,2} for ℓ = 1..L (dense networks), with the relative error of the identity.

    g′_{ℓ,1} = W_ℓ D_{ℓ−1} g′_{ℓ−1,1} + W′_ℓ h̃_{ℓ−1} (driven by W′), g′_{ℓ,2} = W_ℓ D_{ℓ−1} g′_{ℓ−1,2} + W_ℓ D′_{ℓ−1} g̃_{ℓ−1}
    (driven by the sign changes), from g̃ − g = W′h̃ + W(h̃ − h) and h̃ − h = D g′ + D′ g̃ (D′ = D̃ − D); g′_0 = 0.
    """
    base = deep.forward(param, weights, X)
    pert = deep.forward(param, weights.perturbed(deltas), X)
    r1 = np.zeros_like(base.g[0])
    r2 = np.zeros_like(base.g[0])
    part1, part2, err = [], [], 0.0
    for ell in range(1, param.L + 1):
        W = weights.Ws[ell - 1]
        D_prev = base.D[ell - 1].astype(np.float64)
        flips = pert.D[ell - 1].astype(np.float64) - D_prev if ell > 1 else np.zeros_like(D_prev)
        r1 = (D_prev * r1) @ W.T + pert.h[ell - 1] @ deltas[ell - 1].T
        r2 = (D_prev * r2 + flips * pert.g[ell - 1]) @ W.T
        exact = pert.g[ell] - base.g[ell]
        err = max(err, float(np.linalg.norm(r1 + r2 - exact) / max(np.linalg.norm(exact), 1e-300)))
        part1.append(r1.copy())
        part2.append(r2.copy())
    return part1, part2, err


def _split_cases_l2(mode: Mode) -> Sequence[Case]:
    return [sweep("L", [1, 2, 4, 8], m=256, omega=0.01, n=1, data_seed=9, test_reps=3, calib_reps=1)]


def _split_cases_linf(mode: Mode) -> Sequence[Case]:
    return [sweep("m", [128, 256, 512, 1024], L=3, omega=0.01, n=1, data_seed=9, test_reps=3, calib_reps=1)]


def _split(part: int):
    def measure(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
        omega = _omega(theta, bounds)
        param, weights, X = network(theta, rng)
        deltas = greedy_sign_flip(param, weights, X, omega)
        p1, p2, err = split_parts(param, weights, deltas, X)
        value = max(float(np.linalg.norm(p)) for p in p1) if part == 1 else max(float(np.abs(p).max()) for p in p2)
        return {**_hypotheses(theta, omega, bounds), "value": value, "identity_error": err, "method": "greedy layerwise sign flips"}

    return measure


LEMMA.add(
    Check(
        name="split_l2",
        kind=Kind.EXPONENT,
        claim="(a) max_ℓ ‖g′_{ℓ,1}‖ (the W′-driven part) = O(ωL^{3/2}) under sign-flip W′: no upward drift in L",
        cases=_split_cases_l2,
        trial=scaling_trial(_split(1), "split_l2_shape"),
        verdict=scaling_verdict("upper", "max_ℓ ‖g′_{ℓ,1}‖", "split_l2_shape"),
        negative_control={"split_l2_shape": "omega/L**2"},
        confirmed=False,
    )
)

LEMMA.add(
    Check(
        name="split_linf",
        kind=Kind.EXPONENT,
        claim="(a) max_ℓ ‖g′_{ℓ,2}‖_∞ (the sign-change part) = O(ωL^{5/2}√(log m/m)) under sign-flip W′: no upward drift in m",
        cases=_split_cases_linf,
        trial=scaling_trial(_split(2), "split_linf_shape"),
        verdict=scaling_verdict("upper", "max_ℓ ‖g′_{ℓ,2}‖_∞", "split_linf_shape"),
        negative_control={"split_linf_shape": "omega/m**2"},
        confirmed=False,
    )
)
