"""Measurements: interleaved median timings, peak traced memory, and the machine's roofline.

Timings alternate between contenders (convzoo, PyTorch, ...) inside each repeat, rotating
the order, so a slow patch of a shared machine hits both; the median of the repeats is
reported. Each timed call runs as in a program that uses one library in a loop (a training
or inference loop): it follows untimed calls of the same function, back to back, for
:data:`SETTLE_SECONDS`. Two effects make anything else unfair on a small shared machine:

* right after the other contender, its idle threads still hold the cores: PyTorch's OpenMP
  workers spin after each parallel region, OpenBLAS's threads poll for work for about
  2**28 cycles after a product. Measured here: PyTorch's 1x1 convolution 3-4x slower right
  after a convzoo call on threaded BLAS, convzoo's depthwise kernel 2x slower right after
  a PyTorch call;
* after an idle pause, the VM's cores wake slowly: the calls in the next few tens of
  milliseconds run up to 1.8x slower. Measured here on the ResNet 3x3 (256) layer: convzoo
  7.1 ms back to back, 12.8 ms for the second call after a 0.2 s sleep; PyTorch, whose
  workers spin rather than sleep, 7.7 and 8.2 ms. (An earlier version of this benchmark
  paused before each timed call and so measured convzoo in that slow state.)

The roofline's two roofs are measured here too: peak single-precision GEMM GFLOP/s (a
large ``float32`` matmul, best of NumPy and PyTorch) and streaming bandwidth (a STREAM-style
triad ``a = b + s*c`` on arrays far larger than the caches, best of NumPy and PyTorch,
counting 3 arrays moved). Williams, Waterman & Patterson, "Roofline", CACM 2009.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
import tracemalloc

import numpy as np

__all__ = [
    "CORE_SKEW_NOTE",
    "core_skew",
    "core_times",
    "interleaved_medians",
    "interleaved_samples",
    "peak_traced_bytes",
    "peak_sgemm_gflops",
    "stream_gbs",
]


#: Seconds of untimed back-to-back calls of the same function before each timed call in the
#: benchmark: longer than OpenBLAS's idle polling (2**28 cycles) and libgomp's spinning, so
#: the other library's threads are asleep, and the machine is busy, not waking from idle.
SETTLE_SECONDS = 0.2


def _time(fn, settle: float = 0.0, idle: bool = False) -> float:
    if settle and idle:  # the previous method: a pause, then one untimed call
        time.sleep(settle)
        fn()
    elif settle:
        end = time.perf_counter() + settle
        fn()  # at least one call; then more until the settle time has passed
        while time.perf_counter() < end:
            fn()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved_medians(fns: dict, repeats: int, warmup: int = 1) -> dict:
    """Median seconds per call of each zero-argument callable, timed in interleaved rounds.

    Examples
    --------
    >>> out = interleaved_medians({"a": lambda: None, "b": lambda: sum(range(100))}, 3)
    >>> sorted(out), all(v >= 0 for v in out.values())
    (['a', 'b'], True)
    """
    samples = interleaved_samples(fns, repeats, warmup)
    return {name: statistics.median(values) for name, values in samples.items()}


def interleaved_samples(
    fns: dict, repeats: int, warmup: int = 1, settle: float = 0.0, idle: bool = False
) -> dict:
    """Seconds of every timed call of each callable; rounds rotate the order of the callables.
    With ``settle > 0`` each timed call follows untimed calls of the same callable, back to
    back, for ``settle`` seconds (at least one); with ``idle`` instead after a pause of
    ``settle`` seconds and one untimed call (this benchmark's earlier method, kept to show
    the effect of waking from idle).

    Examples
    --------
    >>> out = interleaved_samples({"a": lambda: None}, 4)
    >>> len(out["a"])
    4
    """
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    samples = {name: [] for name in names}
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            samples[name].append(_time(fns[name], settle, idle))
    return samples


def peak_traced_bytes(fn) -> int:
    """Peak bytes allocated through Python's and NumPy's allocators during one call.

    Counts every array the call creates (its output included) at its high-water mark.
    The engine's scratch arrays kept between calls (:mod:`convzoo.engine.scratch`) are freed
    first, so that the call allocates, and counts, them again. Memory that numba kernels
    allocate internally is not traced: convzoo's kernels receive their output arrays from
    NumPy, so only small per-thread scratch buffers escape.

    Examples
    --------
    >>> import numpy as np
    >>> peak_traced_bytes(lambda: np.ones(1_000_000)) >= 8_000_000
    True
    """
    from ..engine import scratch

    scratch.release()
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def peak_sgemm_gflops(size: int = 2048, repeats: int = 5) -> dict:
    """Best float32 GEMM rate (GFLOP/s) of NumPy's BLAS and, if present, PyTorch's."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    flops = 2.0 * size**3
    rates = {"numpy": flops / min(_time(lambda: a @ b) for _ in range(repeats)) / 1e9}
    try:
        import torch

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        rates["torch"] = flops / min(_time(lambda: ta @ tb) for _ in range(repeats)) / 1e9
    except ImportError:  # pragma: no cover
        pass
    return rates


def stream_gbs(megabytes: int = 128, repeats: int = 5) -> dict:
    """Best triad bandwidth (GB/s) ``a = b + 3*c`` of NumPy and, if present, PyTorch."""
    n = megabytes * 2**20 // 4
    b = np.ones(n, np.float32)
    c = np.ones(n, np.float32)
    a = np.empty(n, np.float32)
    moved = 3 * a.nbytes

    def triad():
        np.multiply(c, 3.0, out=a)
        np.add(a, b, out=a)

    # two NumPy passes move 5 arrays; count them honestly
    rates = {"numpy": 5 * a.nbytes / min(_time(triad) for _ in range(repeats)) / 1e9}
    try:
        import torch

        ta, tb, tc = (torch.from_numpy(v) for v in (a, b, c))
        best = min(_time(lambda: torch.add(tb, tc, alpha=3.0, out=ta)) for _ in range(repeats))
        rates["torch"] = moved / best / 1e9
    except ImportError:  # pragma: no cover
        pass
    return rates


#: Core skew (slowest core's time / fastest core's) from which the report names it next to a
#: layer's miss: the probes of this machine read 1.0-1.1 when its cores were equally fast.
CORE_SKEW_NOTE = 1.25


def core_times(size: int = 384, repeats: int = 5) -> dict | None:
    """Milliseconds of one single-threaded ``float32`` product ``(size, size) @ (size,
    size)`` on each core this process may use (median of ``repeats``), the calling thread
    pinned to each core in turn and then given back its cores. ``None`` where threads cannot
    be pinned or there is one core.

    On a shared VM a core can run at a fraction of the other's speed for seconds at a time
    (another machine's work on the same physical core); the benchmark probes the cores
    before and after each layer's timings so that a slow layer can be told from a slow core.

    Examples
    --------
    >>> times = core_times(size=64, repeats=1)
    >>> times is None or all(ms > 0 for ms in times.values())
    True
    """
    from ..engine import blas

    if not hasattr(os, "sched_setaffinity"):  # pragma: no cover - not Linux
        return None
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return None
    a = np.ones((size, size), np.float32)
    times = {}
    try:
        with blas.single_threaded():
            for core in cores:
                os.sched_setaffinity(0, {core})
                times[core] = 1e3 * statistics.median(_time(lambda: a @ a) for _ in range(repeats))
    finally:
        os.sched_setaffinity(0, cores)
    return times


def core_skew(times: dict | None) -> float:
    """Slowest core's time over the fastest's (``nan`` without times).

    Examples
    --------
    >>> core_skew({0: 1.0, 1: 1.5}), core_skew(None)
    (1.5, nan)
    """
    if not times:
        return float("nan")
    return max(times.values()) / min(times.values())
