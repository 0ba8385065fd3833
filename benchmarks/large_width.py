"""One check per paper at the largest width this machine holds, with wall time and peak memory (maxrss).

Each run is a registered check run through :func:`lemmas.trials.run_check` (the check's own trial and
verdict functions, as in the suite) on one of its cases with the width raised:

* du2018 — Lemma 3.1 (``du2018.lemma3.1:probability``): ‖H(0) − H∞‖₂ ≤ λ0/4 and λ_min(H(0)) ≥ 3λ0/4 at
  (n, d) = (1000, 100), one trial, with the check's rigorous enclosures (certified λ0, H∞ with its entry
  radius, float-certified spectra). The check derives its width from the lemma's threshold
  m ≥ 8n²log(2n²/δ)/λ0² (about 6.6·10⁹ here: W(0) alone would take 5 TB), so m is set by overriding that
  quantity, as an audit of the claim "the conclusions hold at width m" does; the override is recorded and
  m is far below the threshold (evidence beyond the hypothesis). The trial holds W(0) (m·d float64), so a
  budget B holds m = B/(8(d + 1)); the width is limited by time instead (H(0) costs 13–40 µs per neuron at
  n = 1000 on this shared machine), hence ``--du-width``.
* azls2018 — Lemma 7.1's exact-law moments (``azls2018.lemma7.1:moments``) at L = 2, 10 trials: the L
  weight matrices m × m are held (L·m² float64), so m = √(B/(8L)), rounded down to a multiple of 256.
* zou2018 — Lemma A.1 (``zou2018.lemmaA.1:probability``) at n = 8, L = 3, 4 trials: the forward pass keeps
  pre- and post-activations of every layer plus one layer's draw, at most 3·n·L·m float64, so
  m = B/(24·n·L), rounded down to a multiple of 1024.

Few trials: the point is the width, so a probability verdict is inconclusive; the page shows the values
against their bounds. Each paper runs in its own process, so that its maxrss is its own; before a run the
process waits (``--wait-minutes``) until the memory it needs is available rather than lower the width.
Every run is merged into the JSON file ``--out`` (default ``reports/large_width.json``, format
``lemmas-large-width/1``), from which ``lemmas report`` renders the page "Largest widths on this machine";
each also prints a ``RESULT`` line for ``run_all.py``.

Run: python benchmarks/large_width.py [--memory-gib 16] [--du-width 4194304] [--paper du2018|azls2018|zou2018]
[--out reports/large_width.json] [--wait-minutes 20]
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from run_all import emit, machine

PAPERS = ("du2018", "azls2018", "zou2018")
GIB = 2.0**30
FORMAT = "lemmas-large-width/1"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "reports" / "large_width.json"
#: Memory kept free beyond a run's estimate while waiting for it (interpreter, BLAS buffers, other processes).
MARGIN_GIB = 2.0


@dataclass(frozen=True)
class Plan:
    """One paper's run: the registered check, its case at the chosen width, and why that width."""

    paper: str
    lemma: str
    check: str
    params: dict[str, Any]
    trials: int
    computed: str                    # what the run computes, in words
    width: dict[str, Any]            # m, limit ("memory" or "time"), budget_gib, formula, why
    need_gib: float                  # memory the run is expected to take
    values: Callable[[dict[str, Any]], dict[str, Any]]  # labelled numbers read from the result dict
    overrides: dict[str, str] | None = None


def maxrss_gib() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB


def available_gib() -> float:
    """MemAvailable of /proc/meminfo (what can be allocated without swapping), or +inf where unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024 / GIB
    except OSError:
        pass
    return math.inf


def ram_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB


def plan_du2018(m: int, budget_gib: float, n: int = 1000, d: int = 100, delta: float = 0.1) -> Plan:
    from lemmas.papers.du2018.inputs import case_lambda0
    from lemmas.registry import get_lemma

    params = {"inputs": "sphere", "n": n, "d": d, "data_seed": 1, "delta": delta, "width": "width_sharp"}
    holdable = int(budget_gib * GIB / (8 * (d + 1)))

    def values(result: dict[str, Any]) -> dict[str, Any]:
        lo, hi = case_lambda0(params)  # cached by the trial in this process
        bounds = get_lemma("du2018.lemma3.1").bounds()
        obs = result["observations"][0]
        return {
            "λ0 = λ_min(H∞), certified enclosure": [lo, hi],
            "‖H(0) − H∞‖₂ (midpoint of its enclosure)": obs["value"],
            "bound λ0/4 (at the lower end of λ0)": obs["bound"],
            "λ_min(H(0)) (midpoint of its enclosure)": obs["min_eig"],
            "bound 3λ0/4 (at the lower end of λ0)": obs["min_eig_bound"],
            "margin (smaller of the two)": obs["margin"],
            "tier": obs["tier"],
            "width threshold, sharp Hoeffding: 8n²log(2n²/δ)/λ0²": bounds("width_sharp", n=n, delta=delta, lambda0=lo),
            "width threshold, paper's Hoeffding constant: 256n²log(n/δ)/λ0²": bounds("width_paper", n=n, delta=delta, lambda0=lo),
        }

    return Plan(
        "du2018", "du2018.lemma3.1", "probability", params, 1,
        f"H(0) at one Gaussian initialisation W(0) of width m on n = {n} fixed unit inputs in R^{d}; rigorous "
        "enclosures of ‖H(0) − H∞‖₂ and λ_min(H(0)) compared with λ0/4 and 3λ0/4 (λ0 certified).",
        {"m": m, "limit": "time", "budget_gib": budget_gib, "formula": "W(0) (m × d) and a (m) in float64: 8·m·(d + 1) bytes",
         "largest_m_in_budget": holdable,
         "why": f"W(0) takes {8 * m * (d + 1) / GIB:.1f} GiB at this m, and the budget would hold m = {holdable:,}; "
                "the width is limited by time instead: H(0) takes time linear in m (one n × n SYRK per block of "
                "neurons), minutes at this m. The check derives m from the lemma's width threshold, which is out of reach, so m is set by overriding the quantity width_sharp "
                "(recorded): the run tests the conclusions at this m, below the threshold."},
        8 * m * (d + 1) / GIB + 1.0, values, {"width_sharp": str(m)},
    )


def plan_azls2018(budget_gib: float, L: int = 2, trials: int = 10) -> Plan:
    m = int(math.sqrt(budget_gib * GIB / (8 * L))) // 256 * 256

    def values(result: dict[str, Any]) -> dict[str, Any]:
        ev = result["verdict"]["evidence"]
        return {f"{key} per layer ({', '.join(ev['labels'])})": ev[key]
                for key in ("mean", "mean_exact", "variance", "variance_exact", "z_mean", "z_variance")} | {
            "Bonferroni critical |z|": ev["z_critical"]}

    return Plan(
        "azls2018", "azls2018.lemma7.1", "moments", {"m": m, "L": L, "n": 1, "data_seed": 1}, trials,
        f"‖h_ℓ‖² (ℓ = 0..{L}) of one unit input through {trials} independent random networks of width m and depth "
        "L; sample means and variances z-tested against the exact law (mean 1, variance (1 + 5/m)^{ℓ+1} − 1).",
        {"m": m, "limit": "memory", "budget_gib": budget_gib, "formula": "L·m² float64 (the L weight matrices m × m)",
         "why": f"the largest m (a multiple of 256) with L·m²·8 bytes ≤ {budget_gib:g} GiB"},
        budget_gib, values,
    )


def plan_zou2018(budget_gib: float, n: int = 8, L: int = 3, trials: int = 4) -> Plan:
    m = int(budget_gib * GIB / (24 * n * L)) // 1024 * 1024

    def values(result: dict[str, Any]) -> dict[str, Any]:
        obs = result["observations"]
        return {"max_{i,l} |‖x_{l,i}‖²/‖x_{l−1,i}‖² − 1| per trial": [o["value"] for o in obs],
                "bound ξ = √(15.474·log(2nL/δ)/m)": obs[0]["bound"],
                "implied constant C per trial (ξ = √(C·log(2nL/δ)/m))": [o["implied_C"] for o in obs]}

    params = {"data": "random_sphere", "d": 10, "mu": 0.5, "data_seed": 1, "delta": 0.1, "n": n, "L": L, "m": m}
    return Plan(
        "zou2018", "zou2018.lemmaA.1", "probability", params, trials,
        f"the forward pass of n = {n} inputs through L = {L} layers of width m, sampled in its exact law; the "
        "largest ratio |‖x_{l,i}‖²/‖x_{l−1,i}‖² − 1| per trial against ξ.",
        {"m": m, "limit": "memory", "budget_gib": budget_gib, "formula": "3·n·L·m float64 (pre- and post-activations, one draw)",
         "why": f"the largest m (a multiple of 1024) with 3·n·L·m·8 bytes ≤ {budget_gib:g} GiB"},
        budget_gib, values,
    )


def wait_for_memory(need_gib: float, wait_minutes: float) -> float:
    """Wait until ``need_gib`` + :data:`MARGIN_GIB` is available (polling every minute); returns what is."""
    deadline = time.monotonic() + 60 * wait_minutes
    while (free := available_gib()) < need_gib + MARGIN_GIB:
        if time.monotonic() >= deadline:
            sys.exit(f"only {free:.1f} GiB available after {wait_minutes:g} min, {need_gib + MARGIN_GIB:.1f} GiB needed: "
                     "not run (a smaller width would not be the largest this machine holds)")
        print(f"waiting: {free:.1f} GiB available, {need_gib + MARGIN_GIB:.1f} GiB needed", file=sys.stderr, flush=True)
        time.sleep(60)
    return free


def run(plan: Plan, wait_minutes: float) -> dict[str, Any]:
    """Run ``plan`` in this process; the JSON entry of its result."""
    from lemmas.registry import Case, Settings, get_lemma
    from lemmas.trials import run_check

    free = wait_for_memory(plan.need_gib, wait_minutes)
    load, stated = os.getloadavg()[0], machine()
    settings = Settings()
    start = time.perf_counter()
    result = run_check(get_lemma(plan.lemma).check(plan.check), Case(plan.params, trials=plan.trials), settings,
                       overrides=plan.overrides).to_dict()
    wall = time.perf_counter() - start
    return {
        "paper": plan.paper, "lemma": plan.lemma, "check": plan.check, "claim": result["claim"], "computed": plan.computed,
        "sizes": {k: plan.params[k] for k in ("n", "d", "m", "L") if k in plan.params} | {"m": plan.width["m"]},
        "trials": plan.trials, "seed": settings.seed, "width": plan.width, "overrides": plan.overrides or {},
        "status": result["status"], "values": plan.values(result), "wall_s": wall, "maxrss_gib": maxrss_gib(),
        "available_gib_at_start": free, "load_at_start": load, "machine": stated,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "result": result,
    }


def merge(entry: dict[str, Any], out: Path) -> None:
    """Put ``entry`` into the JSON file ``out`` (replacing the same paper's earlier run), written atomically;
    the file's machine statement is the latest run's."""
    data: dict[str, Any] = {}
    if out.is_file():
        data = json.loads(out.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise SystemExit(f"{out}: not a large-width file (format {data.get('format')!r}); not overwritten")
    data = {"format": FORMAT, "machine": {"statement": entry["machine"], "cores": os.cpu_count(), "ram_gib": ram_gib()},
            "runs": data.get("runs", {}) | {entry["paper"]: entry}}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(out)


def report(entry: dict[str, Any]) -> None:
    size = ", ".join(f"{k}={v}" for k, v in entry["sizes"].items())
    print(f"{entry['lemma']}:{entry['check']} at {size}, {entry['trials']} trial(s): {entry['wall_s']:.1f} s, maxrss "
          f"{entry['maxrss_gib']:.2f} GiB, status {entry['status']}; {entry['result']['verdict']['summary']}")
    emit(benchmark=f"large width: {entry['lemma']}:{entry['check']}", size=f"{size}, {entry['trials']} trial(s)",
         median_s=entry["wall_s"], peak_extra_mib=entry["maxrss_gib"] * 1024,
         note=f"maxrss {entry['maxrss_gib']:.2f} GiB; width limited by {entry['width']['limit']}; status {entry['status']}")


def plan_for(paper: str, args: argparse.Namespace) -> Plan:
    if paper == "du2018":
        return plan_du2018(args.du_width, args.memory_gib)
    if paper == "azls2018":
        return plan_azls2018(args.memory_gib)
    return plan_zou2018(args.memory_gib)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paper", choices=PAPERS, help="run one paper in this process (default: each in its own)")
    parser.add_argument("--memory-gib", type=float, default=16.0,
                        help="memory budget of a run (default 16 of the 24 GiB: the machine is shared)")
    parser.add_argument("--du-width", type=int, default=1 << 22, help="width m of the du2018 run (limited by time)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON file to merge the results into (default {DEFAULT_OUT})")
    parser.add_argument("--wait-minutes", type=float, default=20.0, help="how long to wait for the memory a run needs")
    args = parser.parse_args()
    if args.paper:
        entry = run(plan_for(args.paper, args), args.wait_minutes)
        merge(entry, args.out)
        report(entry)
        return
    failed = 0
    for paper in PAPERS:
        failed += subprocess.run([sys.executable, str(Path(__file__).resolve()), "--paper", paper, "--memory-gib",
                                  str(args.memory_gib), "--du-width", str(args.du_width), "--out", str(args.out),
                                  "--wait-minutes", str(args.wait_minutes)], check=False).returncode != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
