"""Our empirical NTK against neural-tangents' structured derivatives, on the same network and the same weights.

RUNS ONLY IN A SCRATCH ENVIRONMENT. neural-tangents, JAX and TensorFlow are never dependencies of `lemmas`;
in the project's own environment this script prints a note, emits a "skipped" row and exits 0 (so that
``run_all.py`` stays green). The scratch environment, outside the repository (the pin of
/work/shared/spec/numerics.md §3.3; ``import neural_tangents`` imports TensorFlow through jax2tf, so
TensorFlow cannot be left out)::

    python3 -m venv /work/scratch/ntvenv
    /work/scratch/ntvenv/bin/pip install "neural-tangents==0.6.5" "jax==0.4.25" "jaxlib==0.4.25" \
        "numpy<2" "tensorflow==2.16.2" "tf2jax==0.3.6"
    /work/scratch/ntvenv/bin/pip install "numpy<2" scipy sympy mpmath threadpoolctl hypothesis
    /work/scratch/ntvenv/bin/pip install -e . --no-deps
    /work/scratch/ntvenv/bin/python benchmarks/bench_ntk_neural_tangents.py [--project-python .venv/bin/python]

What it does, at (n, d_in, d_out, m, L) = (32, 64, 1, 1024, 2) (issue 5):

1. The AZLS network h_0 = relu(A x), h_ℓ = relu(W_ℓ h_{ℓ−1}), out = B h_L (azls2018.md §1), our
   initialization and unit inputs, rebuilt in NT as ``stax.serial(Dense(m), Relu(), Dense(m), Relu(),
   Dense(m), Relu(), Dense(d_out))`` with ``parameterization="standard"`` (apply = plain x @ W) and the SAME
   weight values (transposed: stax stores W as fan_in × fan_out), wrapped as f(params, x) with
   params = (W_1, W_2) trained and A, B closed over (fixed). The NTK of the trained layers is
   Σ_ℓ ∂f/∂W_ℓ ∂f/∂W_ℓᵀ in both, so the Grams must agree; checked in float64 (``jax_enable_x64``) and
   float32, for every NT implementation.
2. Times, interleaved round after round (``run_all.interleaved_medians``), JIT compilation excluded and
   ``block_until_ready`` included: ours (NumPy; float64, and float32 from the same weights rounded, see
   ``lemmas.core.deep`` on precision) and NT's ``empirical_ntk_fn(f, trace_axes=(),
   vmap_axes=0, implementation=3)`` (structured derivatives) in float32 (NT's default) and float64; then,
   for context, NT's implementations 1 (Jacobian contraction) and 2 (NTK-vector products), and
   implementation 3 on the literal jax.numpy transcription ``relu(h @ W.T)`` (the transpose of a trained
   parameter defeats implementation 3's structure rules: about 200 times slower).
   The like-for-like ratios are ours float32 / NT float32 and ours float64 / NT float64.
   With ``--project-python`` ours (both types) is also timed in the project's environment (NumPy 2, another
   OpenBLAS), one subprocess per round alternating with the in-process rounds.
3. ``--single-thread``: XLA without its multithreaded Eigen pool (``XLA_FLAGS=--xla_cpu_multi_thread_eigen=false
   intra_op_parallelism_threads=1``) against ours with 1 BLAS thread. By default both use their default
   threading (XLA: an Eigen pool over all cores; OpenBLAS: one thread per core).

Prints ``RESULT {json}`` rows (``run_all.emit``) and a short table. Results: benchmarks/ntk_neural_tangents.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZE = dict(n=32, d_in=64, d_out=1, m=1024, L=2)
SIZE_LABEL = "n=32, d_in=64, d_out=1, m=1024, L=2"
SINGLE_THREAD_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


DTYPES = ("float64", "float32")


def build_ours(seed: int = 1, dtype: str = "float64"):
    """Our parameterization, weights and inputs, drawn as in bench_deep.bench_ntk (float32: the same draw rounded)."""
    import numpy as np
    from lemmas.core import deep

    rng = np.random.default_rng(seed)
    param = deep.azls(SIZE["d_in"], SIZE["m"], SIZE["L"], SIZE["d_out"])
    weights = deep.init_params(param, rng, dtype=np.dtype(dtype))
    X = deep.make_inputs(param, rng.standard_normal((SIZE["n"], SIZE["d_in"])))
    return param, weights, X


def ours_fn(single_thread: bool, dtype: str = "float64"):
    from threadpoolctl import threadpool_limits
    from lemmas.core import deep_kernels

    param, weights, X = build_ours(dtype=dtype)
    if not single_thread:
        return lambda: deep_kernels.empirical_ntk(param, weights, X)

    def call():
        with threadpool_limits(1, user_api="blas"):
            return deep_kernels.empirical_ntk(param, weights, X)

    return call


def ours_only(calls: int, single_thread: bool) -> None:
    """Subprocess mode (project environment, no JAX): for float64 then float32, one warm-up and ``calls``
    timed calls, alternating between the types; print the two medians on one line."""
    fns = {dt: ours_fn(single_thread, dt) for dt in DTYPES}
    times: dict[str, list[float]] = {dt: [] for dt in DTYPES}
    for fn in fns.values():
        fn()
    for _ in range(calls):
        for dt, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[dt].append(time.perf_counter() - start)
    print(" ".join(str(statistics.median(times[dt])) for dt in DTYPES))


def nt_kernels(jax, jnp, nt, weights, X, dtype):
    """Jitted NT empirical-NTK Grams of the AZLS network with our weights in ``dtype``.

    Two ways to write the same f(params, x), params = (W_1, W_2), A and B closed over:
    "stax": ``stax.serial`` of ``Dense(parameterization="standard")`` and ``Relu``, whose weights are stored
    (fan_in, fan_out), so we pass the transposes of ours (for 'standard' the apply function is plain
    ``x @ W``, W_std only enters the initializer);
    "jnp W.T": the literal transcription of our row-major weights, ``relu(h @ W.T)``, where the transpose
    of a trained parameter hides the dense structure from implementation 3 (it then is ~200x slower).
    Returns {(form, implementation): (x, params) -> (n·d_out × n·d_out)} and {form: (x, params)}.
    """
    from neural_tangents import stax

    n, d, m = X.shape[0], weights.B.shape[0], weights.B.shape[1]
    A = jnp.asarray(weights.A, dtype=dtype)
    B = jnp.asarray(weights.B, dtype=dtype)
    x = jnp.asarray(X, dtype=dtype)
    dense = lambda width: stax.Dense(width, parameterization="standard")
    _, apply_fn, _ = stax.serial(*[layer for _ in range(1 + len(weights.Ws)) for layer in (dense(m), stax.Relu())], dense(d))

    def f_stax(params, x):
        frozen = [(A.T, None), ()] + [p for W in params for p in ((W, None), ())] + [(B.T, None)]
        return apply_fn(tuple(frozen), x)

    def f_jnp(params, x):
        h = jax.nn.relu(x @ A.T)
        for W in params:
            h = jax.nn.relu(h @ W.T)
        return h @ B.T

    inputs = {"stax": (x, tuple(jnp.asarray(W.T, dtype=dtype) for W in weights.Ws)),
              "jnp W.T": (x, tuple(jnp.asarray(W, dtype=dtype) for W in weights.Ws))}
    out = {}
    for form, f, impls in (("stax", f_stax, (1, 2, 3)), ("jnp W.T", f_jnp, (3,))):
        for impl in impls:
            ntk = nt.empirical_ntk_fn(f, trace_axes=(), vmap_axes=0, implementation=nt.NtkImplementation(impl))
            # (n, n, d, d) -> rows and columns (i, k) ↦ i·d + k, as ours
            out[form, impl] = jax.jit(
                lambda x_, p_, ntk=ntk: jnp.transpose(ntk(x_, None, p_), (0, 2, 1, 3)).reshape(n * d, n * d))
    return out, inputs


def agreement(K_ref, K) -> dict[str, float]:
    import numpy as np

    K = np.asarray(K, dtype=np.float64)
    diff = np.abs(K - K_ref)
    return {"max_abs": float(diff.max()), "rel_to_max": float(diff.max() / np.abs(K_ref).max()),
            "max_entrywise_rel": float((diff / np.abs(K_ref)).max())}


def project_round(python: str, calls: int, single_thread: bool) -> dict[str, float]:
    cmd = [python, str(Path(__file__).resolve()), "--ours-only", "--calls", str(calls)]
    if single_thread:
        cmd.append("--single-thread")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=HERE.parent)
    return dict(zip(DTYPES, map(float, proc.stdout.strip().splitlines()[-1].split())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="interleaved rounds (>= 15)")
    parser.add_argument("--context-repeats", type=int, default=15, help="rounds for implementations 1 and 2 (0: skip them)")
    parser.add_argument("--single-thread", action="store_true", help="XLA and BLAS on one thread each")
    parser.add_argument("--project-python", help="also time ours with this interpreter (project env), one subprocess per round")
    parser.add_argument("--calls", type=int, default=5, help="timed calls per subprocess round (--project-python)")
    parser.add_argument("--ours-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.ours_only:
        ours_only(args.calls, args.single_thread)
        return 0
    if args.single_thread:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + SINGLE_THREAD_XLA_FLAGS).strip()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    from run_all import emit, interleaved_medians, machine

    try:
        import jax
        import jax.numpy as jnp
        import neural_tangents as nt
    except ImportError as exc:
        print(f"neural-tangents is not installed ({exc}); this benchmark runs only in a scratch environment, "
              "see the top of this file and benchmarks/ntk_neural_tangents.md")
        emit(benchmark="empirical NTK vs neural-tangents", size=SIZE_LABEL, note="skipped: scratch env only (see script)")
        return 0
    jax.config.update("jax_enable_x64", True)
    import numpy as np
    from lemmas.core import deep_kernels

    threads = "1 XLA thread, 1 BLAS thread" if args.single_thread else "default threading (XLA Eigen pool, OpenBLAS)"
    print(f"Machine: {machine()}")
    print(f"jax {jax.__version__}, jaxlib {jax.lib.__version__}, neural-tangents {nt.__version__}, "
          f"devices {jax.devices()}, XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}; {threads}")

    param, weights, X = build_ours()
    K_ours = deep_kernels.empirical_ntk(param, weights, X)
    K_ours32 = deep_kernels.empirical_ntk(*build_ours(dtype="float32"))
    assert K_ours32.dtype == np.float32
    err = agreement(K_ours, K_ours32)
    print(f"agreement ours float32 vs ours (float64): max |diff| {err['max_abs']:.3g}, relative to max |K| "
          f"{err['rel_to_max']:.3g}, max entrywise relative {err['max_entrywise_rel']:.3g}")
    emit(benchmark="NTK agreement ours float32", size=SIZE_LABEL, **err, note="vs ours float64")
    kernels = {dt: nt_kernels(jax, jnp, nt, weights, X, dt) for dt in (jnp.float64, jnp.float32)}

    # 1. agreement, and compilation (excluded from the times)
    for dt, (fns, inputs) in kernels.items():
        for (form, impl), fn in fns.items():
            start = time.perf_counter()
            K = fn(*inputs[form]).block_until_ready()
            compile_s = time.perf_counter() - start
            assert K.dtype == dt, (K.dtype, dt)
            err = agreement(K_ours, K)
            label = f"NT {form} impl {impl} {jnp.dtype(dt).name}"
            print(f"agreement {label} vs ours (float64): max |diff| {err['max_abs']:.3g}, relative to max |K| "
                  f"{err['rel_to_max']:.3g}, max entrywise relative {err['max_entrywise_rel']:.3g}; first call "
                  f"(compile) {compile_s:.2f} s")
            emit(benchmark=f"NTK agreement {label}", size=SIZE_LABEL, **err, note="vs ours float64")

    # 2. timing
    ours = ours_fn(args.single_thread)
    ours32 = ours_fn(args.single_thread, "float32")

    def nt_call(dt, form, impl):
        fns, inputs = kernels[dt]
        fn, (x, params) = fns[form, impl], inputs[form]
        return lambda: fn(x, params).block_until_ready()

    f32, f64 = jnp.float32, jnp.float64
    main_fns = {"ours float64": ours, "ours float32": ours32, "NT stax impl 3 float32": nt_call(f32, "stax", 3),
                "NT stax impl 3 float64": nt_call(f64, "stax", 3)}
    if args.project_python:  # alternate: one in-process round, one subprocess round
        per_round: dict[str, list[float]] = {k: [] for k in main_fns}
        per_round.update({f"ours {dt} (project env)": [] for dt in DTYPES})
        for _ in range(args.repeats):
            for k, v in interleaved_medians(main_fns, 1).items():
                per_round[k].append(v)
            for dt, v in project_round(args.project_python, args.calls, args.single_thread).items():
                per_round[f"ours {dt} (project env)"].append(v)
        med = {k: statistics.median(v) for k, v in per_round.items()}
    else:
        med = interleaved_medians(main_fns, args.repeats)
    context_fns = {"ours float64": ours}
    for dt in (f32, f64):
        for impl in (1, 2):
            context_fns[f"NT stax impl {impl} {jnp.dtype(dt).name}"] = nt_call(dt, "stax", impl)
    context_fns["NT jnp W.T impl 3 float32"] = nt_call(f32, "jnp W.T", 3)
    ctx = interleaved_medians(context_fns, args.context_repeats) if args.context_repeats > 0 else {}

    print(f"\nmedians ({args.repeats} interleaved rounds; context group (implementations 1, 2, jnp W.T): "
          f"{args.context_repeats} rounds, with ours timed again in it), {threads}")
    print(f"{'what':36s} {'median (ms)':>12s} {'ours / this':>12s}")
    rows = [(k, v, med["ours float64"]) for k, v in med.items()] + [(k, v, ctx["ours float64"]) for k, v in ctx.items() if k != "ours float64"]
    if ctx:
        rows.append(("ours float64 (context group)", ctx["ours float64"], ctx["ours float64"]))
    for name, t, t_ours in rows:
        ratio = t_ours / t
        print(f"{name:36s} {t * 1e3:12.3f} {ratio:12.3f}")
        emit(benchmark=f"empirical NTK: {name}", size=SIZE_LABEL, median_s=t, ratio=ratio,
             note=f"ratio = ours / this; {threads}")
    print("\nlike-for-like ratios (ours / NT implementation 3 at the same precision; < 1: ours is faster)")
    envs = [""] + ([" (project env)"] if args.project_python else [])
    for env in envs:
        for dt in DTYPES:
            ours_name, nt_name = f"ours {dt}{env}", f"NT stax impl 3 {dt}"
            ratio = med[ours_name] / med[nt_name]
            print(f"{ours_name} / {nt_name}: {ratio:.3f}")
            emit(benchmark=f"empirical NTK: {ours_name} vs {nt_name}", size=SIZE_LABEL, median_s=med[ours_name],
                 ratio=ratio, note=f"ratio = {ours_name} / {nt_name}; {threads}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
