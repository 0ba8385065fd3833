"""AZLS extensions to ResNet and CNN (azls2018.md §7.2–7.3): exploratory forward, backward and perturbation checks.

> [V-abs] the theory "at least applies to … convolutional neural networks (CNN) and residual neural networks
  (ResNet)"; block forms, hypotheses and exponents are [U].

The core's variants (:func:`lemmas.core.deep.azls` with ``kind``): residual blocks h_ℓ = φ(h_{ℓ−1} + τW_ℓh_{ℓ−1}),
τ = 1/√L; a 1-D convolution over q positions with a shared W_ℓ on k-wide circular patches scaled by 1/√k
(norm-preserving). For each, the fully-connected claims are carried over as exploratory sweeps: forward norms
O(1) in L (Lemma 7.1), ‖Back_{i,a}‖₂ = O(√(m/d)) in the channel count m (Lemma 7.4), and ‖D′‖₀ = O(mω^{2/3}L)
under greedy sign-flip perturbations (Lemma 8.2(b), with gain τ for residual blocks and the q patches of each
input as the rows of the joint construction for convolutions).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import sympy as sp

from lemmas.core import deep
from lemmas.core.deep_search import rows_norm
from lemmas.core.perturb import greedy_sign_flip, sign_changes
from lemmas.papers.azls2018 import constants as c, source
from lemmas.papers.azls2018.networks import network
from lemmas.papers.azls2018.scaling import scaling_trial, scaling_verdict, sweep
from lemmas.registry import Case, Check, Kind, Lemma, Mode, register
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="azls2018.variants",
        title="ResNet and CNN variants: forward, backward and sign-change checks carried over (exploratory)",
        source=source("§1 and abstract (extensions to CNN and ResNet)", "azls2018.md §7.2, §7.3"),
        statement=(
            r"For residual blocks $h_\ell=\phi(h_{\ell-1}+\tau W_\ell h_{\ell-1})$ and convolutional layers (shared $W_\ell$ on $q$ "
            r"patches), the analogues of Lemmas 7.1, 7.4 and 8.2(b): $\|h_{i,\ell}\|=O(1)$, $\|\mathsf{Back}_{i,a}\|_2=O(\sqrt{m/d})$, "
            r"$\|D'_{i,\ell}\|_0=O(m\omega^{2/3}L)$."
        ),
        tag="U (V-abs for the existence of the extensions)",
        quantities={
            q.name: q
            for q in [
                Quantity("forward_shape", sp.Integer(1), "bound on max ‖h_{i,ℓ}‖ (O(1))", "bound", "U"),
                Quantity("backward_shape", c.backward_norm, "bound on ‖Back_{i,a}‖₂", "bound", "U"),
                Quantity("flips_shape", c.flips_adversarial, "bound on ‖D′_{i,ℓ}‖₀", "bound", "U"),
            ]
        },
        hypotheses={},
    )
)

_RESNET = {"kind": "resnet", "d_in": 16}
_CONV = {"kind": "conv", "positions": 4, "kernel": 3, "d_in": 16}


def _forward(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X = network(theta, rng)
    return {"hypotheses": {}, "value": max(float(np.max(np.linalg.norm(h, axis=1))) for h in deep.forward(param, weights, X).h)}


def _backward(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X = network(theta, rng)
    cache = deep.forward(param, weights, X)
    upstream = np.broadcast_to(weights.B, (cache.n,) + weights.B.shape)
    value = max(rows_norm(R[i]) for _, R, _ in deep.backward_sweep(param, weights, cache, upstream, stop=0) for i in range(cache.n))
    return {"hypotheses": {}, "value": value}


def _flips(theta: dict[str, Any], rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    param, weights, X = network(theta, rng)
    deltas = greedy_sign_flip(param, weights, X, float(theta["omega"]))
    counts = sign_changes(deep.forward(param, weights, X), deep.forward(param, weights.perturbed(deltas), X))
    return {"hypotheses": {}, "value": float(counts[1:].max()), "method": "greedy layerwise sign flips"}


def _reps(mode: Mode) -> dict[str, int]:
    return {"test_reps": 6, "calib_reps": 2} if mode is Mode.FULL else {"test_reps": 3, "calib_reps": 1}


def _forward_cases(mode: Mode) -> Sequence[Case]:
    cases = [sweep("L", [2, 4, 8, 16], m=128, n=4, d_out=1, data_seed=26, **_RESNET, **_reps(mode)),
             sweep("L", [1, 2, 4, 8], m=32, n=4, d_out=1, data_seed=26, **_CONV, **_reps(mode))]
    return cases[:1] if mode is Mode.QUICK else cases


def _backward_cases(mode: Mode) -> Sequence[Case]:
    cases = [sweep("m", [64, 128, 256, 512], L=4, n=2, d_out=1, data_seed=27, **_RESNET, **_reps(mode)),
             sweep("m", [16, 32, 64, 128], L=2, n=2, d_out=1, data_seed=27, **_CONV, **_reps(mode))]
    return cases[:1] if mode is Mode.QUICK else cases


def _flip_cases(mode: Mode) -> Sequence[Case]:
    cases = [sweep("omega", [1e-3, 3e-3, 1e-2, 3e-2], m=256, L=2, n=1, d_out=1, data_seed=28, **_RESNET, **_reps(mode)),
             sweep("omega", [1e-3, 3e-3, 1e-2, 3e-2], m=64, L=2, n=1, d_out=1, data_seed=28, **_CONV, **_reps(mode))]
    return cases[:1] if mode is Mode.QUICK else cases


LEMMA.add(
    Check(
        name="forward",
        kind=Kind.EXPONENT,
        claim="max_{i,ℓ} ‖h_{i,ℓ}‖ = O(1) for residual (τ = 1/√L) and convolutional networks: no upward drift in L",
        cases=_forward_cases,
        trial=scaling_trial(_forward, "forward_shape"),
        verdict=scaling_verdict("upper", "max ‖h_{i,ℓ}‖", "forward_shape"),
        negative_control={"forward_shape": "1/L"},
        confirmed=False,
    )
)

LEMMA.add(
    Check(
        name="backward",
        kind=Kind.EXPONENT,
        claim="max_{i,a} ‖Back_{i,a}‖₂ = O(√(m/d)) in the width/channel count m for residual and convolutional networks",
        cases=_backward_cases,
        trial=scaling_trial(_backward, "backward_shape"),
        verdict=scaling_verdict("upper", "max ‖Back_{i,a}‖₂", "backward_shape"),
        negative_control={"backward_shape": "1/m"},
        confirmed=False,
    )
)

LEMMA.add(
    Check(
        name="flips",
        kind=Kind.EXPONENT,
        claim="greedy sign-flip perturbations change O(mω^{2/3}L) indicators in residual and convolutional networks (refutable as ω → 0)",
        cases=_flip_cases,
        trial=scaling_trial(_flips, "flips_shape"),
        verdict=scaling_verdict("upper", "max_ℓ ‖D′_ℓ‖₀", "flips_shape"),
        negative_control={"flips_shape": "omega/L"},
        confirmed=False,
    )
)
