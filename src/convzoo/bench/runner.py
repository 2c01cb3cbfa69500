"""Run the suite: time, measure memory, compute ratios and roofline figures; return rows.

Library code: returns plain dicts and never prints; progress is reported through an
optional callback (the CLI draws a tqdm bar from it).
"""

from __future__ import annotations

import math
import os
import statistics

import numpy as np

from . import measure, process
from .ceiling import floor_seconds
from .suite import BATCH, suite

__all__ = [
    "Settings",
    "set_threads",
    "machine",
    "run_layer",
    "run",
    "summary",
    "TARGETS",
]

#: The issue's targets: ratios are convzoo time / PyTorch time.
TARGETS = {
    "fwd_each": 1.25,
    "fwd_geomean": 1.0,
    "bwd_each": 2.0,
    "bwd_geomean": 1.3,
    "fused": 0.8,
    "vs_numpy_geomean": 50.0,
}
FUSED = ("depthwise_separable", "shuffle_pointwise_g3")


class Settings:
    """Benchmark settings (plain attributes)."""

    def __init__(self, repeats=7, numpy_repeats=1, threads=None, quick=False, only=None,
                 batch=None, memory=True, settle=None, idle=False):  # fmt: skip
        self.repeats = repeats
        self.numpy_repeats = numpy_repeats
        self.threads = threads or os.cpu_count() or 1
        self.quick = quick
        self.only = only
        self.batch = batch or (2 if quick else BATCH)
        self.memory = memory
        self.settle = measure.SETTLE_SECONDS if settle is None else settle
        self.idle = idle


def set_threads(threads: int) -> dict:
    """Give PyTorch, numba and convzoo's kernel pool the same thread count; report them.

    NumPy's BLAS keeps the count it started with (``OPENBLAS_NUM_THREADS``, default all
    cores): ``benchmarks/run.py --threads N`` sets that variable before NumPy loads.
    """
    from ..engine.parallel import num_threads, set_num_threads

    set_num_threads(threads)
    used = {"convzoo": num_threads()}
    try:
        import torch

        torch.set_num_threads(threads)
        used["torch"] = torch.get_num_threads()
    except ImportError:  # pragma: no cover
        pass
    try:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        used["numba"] = numba.get_num_threads()
    except ImportError:  # pragma: no cover
        pass
    used["blas"] = os.environ.get("OPENBLAS_NUM_THREADS", f"default ({os.cpu_count()} cores)")
    return used


def machine(threads: int) -> dict:
    """Measured roofs and versions."""
    import platform

    info = {"cpu_count": os.cpu_count(), "threads": set_threads(threads), "numpy": np.__version__}
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:  # pragma: no cover
        pass
    info["python"] = platform.python_version()
    info["process"] = process.describe()
    info["processor"] = platform.processor() or platform.machine()
    info["sgemm_gflops"] = measure.peak_sgemm_gflops()
    info["stream_gbs"] = measure.stream_gbs()
    info["peak_gflops"] = max(info["sgemm_gflops"].values())
    info["peak_gbs"] = max(info["stream_gbs"].values())
    info["load_before"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return info


def run_layer(layer, settings: Settings, roofs: dict, rng_seed: int = 0) -> dict:
    """Time one layer forward and backward against PyTorch and the textbook version."""
    case = layer.build(np.random.default_rng(rng_seed), settings.batch)
    ops = case.ops
    row = {"layer": layer.name, "description": layer.description, "algorithm": case.algorithm}
    for phase in ("fwd", "bwd"):
        before = measure.core_times()
        samples = measure.interleaved_samples(
            {"convzoo": ops[f"convzoo_{phase}"], "torch": ops[f"torch_{phase}"]},
            settings.repeats,
            settle=settings.settle,
            idle=settings.idle,
        )
        times = {name: statistics.median(values) for name, values in samples.items()}
        # the cores' speeds around the timings: a slower core slows both libraries' calls
        skews = (measure.core_skew(before), measure.core_skew(measure.core_times()))
        row[f"{phase}_core_skew"] = max((v for v in skews if not math.isnan(v)), default=math.nan)
        flops = case.flops * (1 if phase == "fwd" else 2)
        traffic = case.bytes_fwd if phase == "fwd" else case.bytes_bwd
        # the textbook version's timed calls are prepared like the others' (its untimed
        # calls first), so that PyTorch's spinning workers have left the cores to it
        numpy_time = statistics.median(
            measure.interleaved_samples(
                {"numpy": ops[f"numpy_{phase}"]},
                settings.numpy_repeats,
                warmup=0,
                settle=settings.settle,
                idle=settings.idle,
            )["numpy"]
        )
        row[f"{phase}_convzoo_ms"] = 1e3 * times["convzoo"]
        row[f"{phase}_torch_ms"] = 1e3 * times["torch"]
        row[f"{phase}_numpy_ms"] = 1e3 * numpy_time
        row[f"{phase}_ratio"] = times["convzoo"] / times["torch"]
        # best-of-repeats ratio: less sensitive to other jobs on a shared machine
        row[f"{phase}_ratio_best"] = min(samples["convzoo"]) / min(samples["torch"])
        row[f"{phase}_speedup_vs_numpy"] = numpy_time / times["convzoo"]
        fewest = case.fewest_flops * (1 if phase == "fwd" else 2)  # grad-in + grad-w
        floor = floor_seconds(fewest, traffic, roofs)
        row[f"{phase}_fewest_gflop"] = fewest / 1e9  # the floor's compute part, at the peak
        row[f"{phase}_floor_ms"] = 1e3 * floor
        row[f"{phase}_ceiling_vs_numpy"] = numpy_time / floor
        row[f"{phase}_gflops"] = flops / times["convzoo"] / 1e9
        row[f"{phase}_torch_gflops"] = flops / times["torch"] / 1e9
        row[f"{phase}_gbs"] = traffic / times["convzoo"] / 1e9
        intensity = flops / traffic
        row[f"{phase}_intensity"] = intensity
        row[f"{phase}_roof_gflops"] = min(roofs["peak_gflops"], intensity * roofs["peak_gbs"])
        if settings.memory:
            row[f"{phase}_peak_mib"] = measure.peak_traced_bytes(ops[f"convzoo_{phase}"]) / 2**20
    row["in_out_mib"] = case.in_out_bytes / 2**20
    row["memory_budget_mib"] = max(row["in_out_mib"], 64.0)
    return row


def run(settings: Settings, progress=None):
    """Run every layer; ``progress(layer_name)`` is called before each. Returns (rows, machine)."""
    process.keep_freed_memory()  # before any timing (see .process)
    roofs = machine(settings.threads)
    layers = suite(settings.quick, settings.only)
    rows = []
    for layer in layers:
        if progress is not None:
            progress(layer.name)
        rows.append(run_layer(layer, settings, roofs))
    roofs["load_after"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return rows, roofs


def _geomean(values):
    values = [v for v in values if v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def summary(rows) -> dict:
    """Geometric means and target checks over the rows.

    Examples
    --------
    >>> s = summary([{"layer": "a", "fwd_ratio": 0.5, "bwd_ratio": 2.0,
    ...               "fwd_speedup_vs_numpy": 100.0, "bwd_speedup_vs_numpy": 25.0,
    ...               "fwd_ceiling_vs_numpy": 400.0, "bwd_ceiling_vs_numpy": 100.0}])
    >>> s["fwd_geomean"], s["bwd_geomean"], round(s["vs_numpy_geomean"], 6)
    (0.5, 2.0, 50.0)
    >>> round(s["vs_numpy_ceiling_geomean"], 6)  # what no algorithm could beat
    200.0
    """
    out = {
        "fwd_geomean": _geomean(r["fwd_ratio"] for r in rows),
        "bwd_geomean": _geomean(r["bwd_ratio"] for r in rows),
        "vs_numpy_geomean": _geomean(
            v for r in rows for v in (r["fwd_speedup_vs_numpy"], r["bwd_speedup_vs_numpy"])
        ),
        "vs_numpy_ceiling_geomean": _geomean(
            r.get(f"{phase}_ceiling_vs_numpy", math.nan) for r in rows for phase in ("fwd", "bwd")
        ),
        "fwd_geomean_best": _geomean(r.get("fwd_ratio_best", float("nan")) for r in rows),
        "bwd_geomean_best": _geomean(r.get("bwd_ratio_best", float("nan")) for r in rows),
    }
    out["fwd_misses"] = [r["layer"] for r in rows if r["fwd_ratio"] > TARGETS["fwd_each"]]
    out["bwd_misses"] = [r["layer"] for r in rows if r["bwd_ratio"] > TARGETS["bwd_each"]]
    out["fused_misses"] = [
        r["layer"] for r in rows if r["layer"] in FUSED and r["fwd_ratio"] > TARGETS["fused"]
    ]
    out["memory_misses"] = [
        r["layer"]
        for r in rows
        if max(r.get("fwd_peak_mib", 0), r.get("bwd_peak_mib", 0)) > r.get("memory_budget_mib", 1e9)
    ]
    return out
