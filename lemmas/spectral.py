"""Rigorous spectral facts about float matrices with known entrywise error: the norm of a difference
and a smallest eigenvalue, each as an enclosure, with the certificate tier that produced it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lemmas.certify import lambda_min_enclosure
from lemmas.result import Tier


@dataclass(frozen=True)
class NormAndMinEig:
    """‖D‖₂ and λ_min(H), each as estimate and rigorous enclosure."""

    norm: float
    norm_lower: float
    norm_upper: float
    min_eig: float
    min_eig_lower: float
    min_eig_upper: float
    tier: str  # a lemmas.result.Tier value


def spectral_norm_enclosure(D: np.ndarray, radius: float | np.ndarray = 0.0) -> tuple[float, float, float, str]:
    """(estimate, lower, upper, tier) of ‖D_exact‖₂ for symmetric D_exact within ``radius`` of D."""
    low = lambda_min_enclosure(D, entry_radius=radius, tier="float")
    high = lambda_min_enclosure(-D, entry_radius=radius, tier="float")
    # ‖D‖₂ = max(−λ_min(D), −λ_min(−D)).
    upper = max(-low.lower, -high.lower)
    lower = max(-low.upper, -high.upper, 0.0)
    estimate = float(np.max(np.abs(np.linalg.eigvalsh(D))))
    return estimate, lower, upper, Tier.of_enclosure(low.tier).value


def norm_and_min_eig(D: np.ndarray, H: np.ndarray, radius_D: float | np.ndarray = 0.0, radius_H: float | np.ndarray = 0.0) -> NormAndMinEig:
    """Enclosures of ‖D‖₂ and λ_min(H) (float-certified tier)."""
    norm, n_lo, n_hi, tier = spectral_norm_enclosure(D, radius_D)
    enc = lambda_min_enclosure(H, entry_radius=radius_H, tier="float")
    return NormAndMinEig(norm, n_lo, n_hi, float(np.linalg.eigvalsh(H)[0]), enc.lower, enc.upper, tier)
