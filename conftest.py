"""Test-session setup shared by tests/ and verify/.

BLAS is pinned to one thread: the suite's matrices are small, where OpenBLAS threading costs more than it
saves, and a fixed thread count makes every recorded trial replayable bit for bit (replays pin the count
recorded in the result's environment).

Matplotlib is imported once here when available: pytester's in-process runs restore ``sys.modules``
afterwards, and a matplotlib first imported inside one would be half-unloaded for later report tests.
"""

from threadpoolctl import threadpool_limits

_BLAS_LIMIT = threadpool_limits(limits=1, user_api="blas")

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
except ImportError:  # plots are an optional extra
    pass
