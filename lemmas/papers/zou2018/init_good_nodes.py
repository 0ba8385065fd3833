"""Zou et al. Theorem 5.1(viii) through Lemmas A.14–A.15: many "good" last-layer nodes for every a ≥ 0.

* Lemma A.14 [W over data and a]: for h(w) = Σ_i a_iy_iσ′(⟨w, z_i⟩)z_i with w ~ N(0, I),
  P[‖h(w)‖ ≥ C‖a‖∞] ≥ C′φ̃/n with the constants derived from the proof, C = ½ and C′ = 1/√(128e) (spec §3.2 [D]).
  Each trial is one configuration (arcs with alternating labels, clusters, opposite pairs; dense, sparse and
  random a) with a Monte Carlo estimate of the probability and its Clopper–Pearson interval: the claim fails
  for a configuration only if the whole interval lies below the bound, and is undecided if it straddles it.
* Lemma A.15 / 5.1(viii) [W over a, several initializations]: the count of nodes j with
  ‖(1/n)Σ_i a_iy_iσ′(⟨w_{L,j}, x_{L−1,i}⟩)x_{L−1,i}‖ ≥ C‴‖a‖∞/n against C″m_Lφ/n, with the explicit sketch's
  constants (C‴ = 1/8, C″ = 1/(4√(128e))) and its width condition; the minimum count over a search of a
  (ones, one-hot, closest opposite pairs, random, greedy coordinate descent). The y_i factor is included (E1).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from lemmas.checks import all_trials_verdict, compare
from lemmas.papers.zou2018 import constants as K, data, source
from lemmas.papers.zou2018.checking import DATA_ROOT, case_data, cases
from lemmas.papers.zou2018.network import init_representations
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.stats import clopper_pearson_lower, clopper_pearson_upper
from lemmas.symbolic import Bounds, Quantity, m, n, phi

#: One-sided level of each configuration's Clopper–Pearson interval.
CONFIGURATION_ALPHA = 1e-4

# ==========================================================================================================
# Lemma A.14
# ==========================================================================================================

A14 = register(Lemma(
    id="zou2018.lemmaA.14",
    title="A random node sees a large label-weighted gradient",
    source=source("App. A, Lemma A.14", "zou2018.md §3.2"),
    statement=(r"Let $\mathbf z_1,\dots,\mathbf z_n\in S^{d-1}$ with $y_i\ne y_j\Rightarrow\|\mathbf z_i-\mathbf z_j\|\ge\widetilde\phi$ "
               r"and $\mathbf z_i^\top\mathbf z_j\ge\widetilde\mu^2$. For $\mathbf a\in\mathbb R^n_+$ let "
               r"$\mathbf h(\mathbf w)=\sum_ia_iy_i\sigma'(\langle\mathbf w,\mathbf z_i\rangle)\mathbf z_i$, $\mathbf w\sim N(\mathbf 0,\mathbf I)$. "
               r"If $\widetilde\phi\le\widetilde\mu/2$, then $\mathbb P[\|\mathbf h(\mathbf w)\|_2\ge C\|\mathbf a\|_\infty]\ge C'\widetilde\phi/n$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("C", K.a14_C, "the norm threshold factor", "constant", "D", "P(‖h‖ ≥ a_1/2 | E) ≥ 1/2 in the proof"),
        Quantity("Cprime", K.a14_Cprime, "the probability constant 1/√(128e)", "constant", "D",
                 "γ = √π φ̃/(4n) maximizes √(2/(πe))γ(1 − 2nγ/(√π φ̃)); then × 1/2"),
        Quantity("probability_bound", sp.Symbol("Cprime", real=True) * K.phi_t / n, "lower bound on the probability", "probability", "D"),
    ]},
    hypotheses={"separation": "φ̃ ≤ μ̃/2 and φ̃² ≤ 2 (μ̃² = min z_iᵀz_j, φ̃ = measured opposite-label separation)"},
))

#: (kind, n, φ̃, a-pattern, μ) per configuration; μ = 0.9 keeps random pair centres inside a cap (z_iᵀz_j ≥ 2μ² − 1 > 0).
_CONFIGURATIONS = (
    ("arc", 4, 0.1, "ones", 0.5), ("arc", 10, 0.1, "ones", 0.5), ("arc", 10, 0.02, "ones", 0.5), ("arc", 20, 0.05, "ones", 0.5),
    ("arc", 10, 0.05, "closest_pair", 0.5), ("arc", 10, 0.05, "random", 0.5), ("clusters", 10, 0.05, "random", 0.5),
    ("opposite_pairs", 10, 0.05, "one_hot", 0.9),
)


def _a14_cases(mode: Mode) -> Sequence[Case]:
    draws = 100_000 if mode is Mode.FULL else 20_000
    return cases(mode, [Case({"d": 5, "data_seed": 8, "draws": draws}, len(_CONFIGURATIONS))], quick_trials=2)


def weights_pattern(pattern: str, ds: data.Dataset, rng: np.random.Generator) -> np.ndarray:
    """A vector a ≥ 0 of a named pattern: ones, random (uniform), one_hot (first point of the closest
    opposite-label pair), closest_pair (both points of it)."""
    if pattern == "ones":
        return np.ones(ds.n)
    if pattern == "random":
        return rng.uniform(size=ds.n)
    pos, neg = np.flatnonzero(ds.y > 0), np.flatnonzero(ds.y < 0)
    dist = np.linalg.norm(ds.X[pos][:, None, :] - ds.X[neg][None, :, :], axis=2)
    i, j = np.unravel_index(np.argmin(dist), dist.shape)
    a = np.zeros(ds.n)
    a[pos[i]] = 1.0
    if pattern == "closest_pair":
        a[neg[j]] = 1.0
    return a


def _a14_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    kind, size, phi_target, pattern, mu = _CONFIGURATIONS[index % len(_CONFIGURATIONS)]
    ds = data.make(kind, np.random.default_rng([DATA_ROOT, int(params["data_seed"]), index]), size, int(params["d"]), mu, phi_target)
    Z, y = ds.X, ds.y
    a = weights_pattern(pattern, ds, rng)
    draws = int(params["draws"])
    W = rng.standard_normal((draws, Z.shape[1]))
    h = ((W @ Z.T) > 0.0) @ (Z * (a * y)[:, None])
    successes = int(np.count_nonzero(np.linalg.norm(h, axis=1) >= bounds("C") * np.max(a)))
    lo = clopper_pearson_lower(successes, draws, CONFIGURATION_ALPHA)
    hi = clopper_pearson_upper(successes, draws, CONFIGURATION_ALPHA)
    G = Z @ Z.T
    mu_t = math.sqrt(max(float(np.min(G)), 0.0))
    bound = bounds("probability_bound", phi_t=ds.phi, n=ds.n)
    obs = compare(successes / draws, bound, upper=False)
    obs.update({"failed": hi < bound, "ambiguous": lo < bound <= hi, "cp": [lo, hi], "ratio": successes / draws / bound,
                "configuration": [kind, size, phi_target, pattern, mu], "phi_t": ds.phi, "mu_t": mu_t,
                "hypotheses": {"separation": ds.phi <= mu_t / 2 and ds.phi**2 <= 2}})
    return obs


def _a14_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, "P[‖h(w)‖ ≥ ‖a‖∞/2] against φ̃/(√(128e) n), worst configuration")
    v.evidence["ratio_to_bound"] = {str(o["configuration"]): o["ratio"] for o in obs}
    return v


A14.add(Check(
    name="worst_configuration", kind=Kind.WORST_CASE,
    claim="P[‖h(w)‖ ≥ ‖a‖∞/2] ≥ φ̃/(√(128e) n) for every searched configuration of (z, y, a) (Monte Carlo, Clopper–Pearson)",
    cases=_a14_cases, trial=_a14_trial, verdict=_a14_verdict, negative_control={"Cprime": "100"},
))

# ==========================================================================================================
# Lemma A.15 / Theorem 5.1(viii)
# ==========================================================================================================

A15 = register(Lemma(
    id="zou2018.lemmaA.15",
    title="Many good last-layer nodes for every a ≥ 0 (Theorem 5.1(viii))",
    source=source("App. A, Lemma A.15; Theorem 5.1(viii)", "zou2018.md §3.1, §3.2"),
    statement=(r"If $m\ge Cn^2\phi^{-1}\log(4n)$ then, with probability at least $1-\exp(-C'm_L\phi/n)$, for all "
               r"$\mathbf a\in\mathbb R^n_+$ at least $C''m_L\phi/n$ nodes satisfy "
               r"$\|\frac1n\sum_ia_iy_i\sigma'(\langle\mathbf w_{L,j},\mathbf x_{L-1,i}\rangle)\mathbf x_{L-1,i}\|_2\ge C'''\|\mathbf a\|_\infty/n$."),
    tag="V",
    quantities={q.name: q for q in [
        Quantity("threshold", K.a15_threshold, "C‴ (A.14's ½ × min‖x_{L−1}‖ ≥ ½, halved by the ℓ∞-net)", "constant", "D"),
        Quantity("count_constant", K.a15_count_constant, "C″ = q n/(2φ) with q = φ/(2√(128e) n)", "constant", "D"),
        Quantity("count_bound", sp.Symbol("count_constant", real=True) * m * phi / n, "C″m_Lφ/n", "bound", "D"),
        Quantity("width", K.a15_width, "m_L ≥ 8(n log(4n/C1) + log(1/δ))/q (explicit sketch)", "width", "D"),
    ]},
    hypotheses={"width": "m_L at the explicit sketch's width", "phi_small": "φ ≤ μ (Theorem 5.1's φ ≤ C̲μ, C̲ = 1)"},
    notes=("E1: Theorem 5.1(viii) lacks the y_i that Lemma A.15 (and its use in B.5) has; implemented with y_i.",
           "E14: '1 − exp(C4m_Lφ/n)' is missing a minus sign."),
))


def _a15_cases(mode: Mode) -> Sequence[Case]:
    base = {"data": "opposite_pairs", "n": 6, "d": 8, "mu": 0.5, "phi": 0.3, "data_seed": 9, "delta": 0.1, "random_a": 20}
    return cases(mode, [Case({**base, "L": 1}, 3), Case({**base, "L": 2}, 2)], [Case({**base, "n": 10, "phi": 0.5, "L": 2}, 5)],
                 quick_trials=1)


def good_node_counts(signs: np.ndarray, gram: np.ndarray, y: np.ndarray, A: np.ndarray, threshold: float) -> np.ndarray:
    """For each row a of A: #{j : ‖(1/n)Σ_i a_iy_iσ′_{ij}x_i‖ ≥ threshold‖a‖∞/n}, from the sign matrix σ′ (n × m)
    and the Gram matrix of the x_i (the node norms² are columns of (S∘c)ᵀK(S∘c), c = a∘y/n)."""
    nn = y.size
    out = np.empty(A.shape[0], dtype=np.int64)
    for r, a in enumerate(A):
        Sc = signs * (a * y / nn)[:, None]
        norms2 = np.einsum("ij,ij->j", gram @ Sc, Sc)
        out[r] = int(np.count_nonzero(norms2 >= (threshold * np.max(a) / nn) ** 2))
    return out


def _candidate_weights(ds: data.Dataset, rng: np.random.Generator, random_count: int) -> np.ndarray:
    rows = [np.ones(ds.n)] + list(np.eye(ds.n))
    pos, neg = np.flatnonzero(ds.y > 0), np.flatnonzero(ds.y < 0)
    dist = np.linalg.norm(ds.X[pos][:, None, :] - ds.X[neg][None, :, :], axis=2)
    for flat in np.argsort(dist, axis=None)[: ds.n]:
        i, j = np.unravel_index(flat, dist.shape)
        a = np.zeros(ds.n)
        a[[pos[i], neg[j]]] = 1.0
        rows.append(a)
    rows += list(rng.uniform(size=(random_count, ds.n)))
    return np.array(rows)


def _a15_trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    ds = case_data(params)
    depth, dlt = int(params["L"]), float(params["delta"])
    width = int(math.ceil(bounds("width", n=ds.n, phi=ds.phi, delta=dlt)))
    width += width % 2
    ip = init_representations(rng, ds.X, (width,) * depth)
    signs = (ip.G[depth] > 0.0).astype(np.float64)
    gram = ip.H[depth - 1] @ ip.H[depth - 1].T
    threshold = bounds("threshold")
    A = _candidate_weights(ds, rng, int(params["random_a"]))
    counts = good_node_counts(signs, gram, ds.y, A, threshold)
    best = A[int(np.argmin(counts))].copy()
    best_count = int(np.min(counts))
    for _ in range(3):  # greedy coordinate descent: set one coordinate to 0, 1/2 or 1
        trial_rows = []
        for k in range(ds.n):
            for value in (0.0, 0.5, 1.0):
                a = best.copy()
                a[k] = value
                if np.max(a) > 0:
                    trial_rows.append(a)
        trial_rows = np.array(trial_rows)
        trial_counts = good_node_counts(signs, gram, ds.y, trial_rows, threshold)
        if int(np.min(trial_counts)) >= best_count:
            break
        best, best_count = trial_rows[int(np.argmin(trial_counts))].copy(), int(np.min(trial_counts))
    bound = bounds("count_bound", m=width, phi=ds.phi, n=ds.n)
    obs = compare(best_count, bound, upper=False)
    obs.update({"tier": "exact", "worst_a": best.tolist(), "m": width, "phi": ds.phi, "mu": ds.mu,
                "hypotheses": {"width": True, "phi_small": ds.phi <= ds.mu}})
    return obs


def _a15_verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    v = all_trials_verdict(obs, "min over searched a of #good nodes, against C″m_Lφ/n")
    v.evidence.update({"m": obs[0]["m"], "phi": obs[0]["phi"], "mu": obs[0]["mu"],
                       "smallest_count_over_bound": float(min(o["value"] / o["bound"] for o in obs))})
    return v


A15.add(Check(
    name="worst_a", kind=Kind.WORST_CASE,
    claim="for every searched a ≥ 0, #{j: ‖(1/n)Σa_iy_iσ′_{ij}x_{L−1,i}‖ ≥ ‖a‖∞/(8n)} ≥ m_Lφ/(4√(128e) n), "
          "at the explicit sketch's width (several initializations)",
    cases=_a15_cases, trial=_a15_trial, verdict=_a15_verdict, negative_control={"count_constant": "n/phi"},
))
