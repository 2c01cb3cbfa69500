"""Run a serial, GIL-free numba kernel on several threads: ``parallel_for``.

Why not numba's ``prange``? Its OpenMP/TBB worker threads spin after each parallel region,
and so do the BLAS threads NumPy's matrix products start: on a small machine the two pools
then fight for the same cores and every kernel that follows a matrix product (or the
other way round) slows down several times. A Python thread pool whose threads block on a
queue while idle, running kernels compiled with ``nogil=True``, has no such cost.

The thread count is :func:`num_threads` (default: all cores; ``CONVZOO_NUM_THREADS`` or
:func:`set_num_threads` change it).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

__all__ = ["num_threads", "set_num_threads", "parallel_for", "split"]

_state = {"threads": int(os.environ.get("CONVZOO_NUM_THREADS", 0)) or os.cpu_count() or 1}
_pools: dict[int, ThreadPoolExecutor] = {}


def num_threads() -> int:
    """Threads the engine's kernels use."""
    return _state["threads"]


def set_num_threads(threads: int) -> None:
    """Set the engine's thread count (``>= 1``)."""
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"set_num_threads: threads must be a positive int; got {threads!r}")
    _state["threads"] = threads


def split(n_jobs: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous ``(start, stop)`` ranges covering ``range(n_jobs)``.

    Examples
    --------
    >>> split(10, 3)
    [(0, 4), (4, 7), (7, 10)]
    """
    parts = max(1, min(parts, n_jobs))
    base, extra = divmod(n_jobs, parts)
    bounds, start = [], 0
    for p in range(parts):
        stop = start + base + (1 if p < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def parallel_for(kernel, n_jobs: int, *args) -> None:
    """Call ``kernel(start, stop, *args)`` on contiguous job ranges, one per thread.

    Examples
    --------
    >>> seen = []
    >>> parallel_for(lambda a, b, out: out.extend(range(a, b)), 5, seen)
    >>> sorted(seen)
    [0, 1, 2, 3, 4]
    """
    ranges = split(n_jobs, num_threads())
    if len(ranges) == 1:
        kernel(0, n_jobs, *args)
        return
    pool = _pools.get(len(ranges))
    if pool is None:
        pool = _pools[len(ranges)] = ThreadPoolExecutor(len(ranges), "convzoo")
    futures = [pool.submit(kernel, start, stop, *args) for start, stop in ranges[1:]]
    kernel(*ranges[0], *args)  # the calling thread takes the first range
    for future in futures:
        future.result()
