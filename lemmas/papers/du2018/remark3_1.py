"""Du et al. 2018, Remark 3.1 (2): along gradient flow, H(t) stays within O(m^{−1/2}) of H(0).

> (1) at initialization ‖H(0) − H∞‖₂ is O(√(1/m)) and (2) for all t > 0, ‖H(t) − H(0)‖₂ is O(√(1/m)).
>                                                          (arXiv 1810.02054v2, §3.1; spec du2018.md §3.3)

Part (1) is ``du2018.lemma3.1:decay``. Part (2) follows from Lemma 3.2 at R = R′ ∝ m^{−1/2}:
‖H(t) − H(0)‖₂ ≤ 4n²R′/(√(2π)δ) (``constants_dynamics.remark31_drift_bound``, whose m-exponent sympy
computes as −1/2). The check fits the exponent of sup_t ‖H(t) − H(0)‖₂ in m over gradient-flow runs to
convergence (pattern-frozen integrator; the calibration runs also record the step-halving shift of the
reported supremum).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from lemmas.checks import exponent_verdict
from lemmas.papers.du2018 import constants_dynamics as cd
from lemmas.papers.du2018 import dynamics_cases as dc
from lemmas.papers.du2018 import source
from lemmas.registry import Case, Check, Kind, Lemma, Mode, Settings, register
from lemmas.result import Verdict
from lemmas.symbolic import Bounds, Quantity

LEMMA = register(
    Lemma(
        id="du2018.remark3.1",
        title="‖H(t) − H(0)‖₂ = O(m^{−1/2}) along gradient flow",
        source=source("§3.1, Remark 3.1", "du2018.md §3.3"),
        statement=(
            r"(1) at initialization $\|\mathbf H(0)-\mathbf H^\infty\|_2$ is $O(\sqrt{1/m})$ and (2) for all $t>0$, "
            r"$\|\mathbf H(t)-\mathbf H(0)\|_2$ is $O(\sqrt{1/m})$."
        ),
        tag="V",
        quantities={
            q.name: q
            for q in [
                Quantity("drift_exponent", cd.remark31_exponent, "exponent of m in sup_t ‖H(t) − H(0)‖₂", "rate", "D",
                         "d log(4n²R′/(√(2π)δ))/d log m with R′ = 2√n‖y − u(0)‖/(√mλ0)"),
                Quantity("drift_bound", cd.remark31_drift_bound, "Lemma 3.2 at R = R′: 4n²R′/(√(2π)δ)", "bound", "D"),
            ]
        },
        hypotheses={},
        notes=("Part (1) is checked by du2018.lemma3.1:decay.",),
    )
)

_TEST, _CALIB = 4, 2


def _cases(mode: Mode) -> Sequence[Case]:
    widths = [128, 512, 2048, 8192] + ([32768, 131072] if mode is Mode.FULL else [])
    base = {"inputs": "sphere", "labels": "uniform", "C": 1.0, "n": 4, "d": 8, "data_seed": 1, "residual_tol": 1e-6}
    if mode is Mode.QUICK:
        return [Case({**base, "widths": [128, 512, 2048]}, trials=3 * (_TEST + _CALIB))]
    return [Case({**base, "widths": widths}, trials=len(widths) * (_TEST + _CALIB))]


def _trial(params: Mapping[str, Any], index: int, rng: np.random.Generator, bounds: Bounds) -> dict[str, Any]:
    reps = _TEST + _CALIB
    m = int(params["widths"][index // reps])
    role = "calibration" if index % reps >= _TEST else "test"
    X, y, lam0 = dc.case_data(params)
    W0, a, _ = dc.draw_init(rng, X, m, tries=1)

    def summarize(traj) -> dict[str, float]:
        return {"drift": float(np.max(traj.h_drift))}

    if role == "calibration":
        values, shifts = dc.halved(lambda refine: dc.flow(X, y, W0, a, lam0, params, refine), summarize)
        shift = shifts["drift"] / max(values["drift"], 1e-300)
    else:
        values, shift = summarize(dc.flow(X, y, W0, a, lam0, params)), None
    return {"hypotheses": {}, "x": m, "y": values["drift"], "role": role, "relative_halving_shift": shift}


def _verdict(params: Mapping[str, Any], obs: Sequence[dict], bounds: Bounds, settings: Settings) -> Verdict:
    return exponent_verdict(obs, bounds("drift_exponent"), "upper", "sup_t ‖H(t) − H(0)‖₂", "m", settings)


LEMMA.add(
    Check(
        name="drift",
        kind=Kind.EXPONENT,
        claim="sup_t ‖H(t) − H(0)‖₂ = O(m^{−1/2}) along gradient flow (Remark 3.1 (2)): fitted exponent in m, implied constant and its drift",
        cases=_cases,
        trial=_trial,
        verdict=_verdict,
        negative_control={"drift_exponent": "-1"},
    )
)
