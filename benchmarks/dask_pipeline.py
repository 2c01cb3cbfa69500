"""Out-of-core benchmark: a Sobel + depthwise separable pipeline over a Zarr image on Dask.

Generates a seeded ``size x size x 3`` float32 image as Zarr chunk by chunk (12 GiB at the
default 32768), then for 1 and 2 worker processes runs

    Sobel (separable: [1,2,1]^T and [-1,0,1] factors from convzoo.separate, per channel)
    -> depthwise separable 3x3 (6 -> 3 channels, depthwise and pointwise fused per tile)

with ``convzoo.dask.apply`` from Zarr to Zarr, showing a tqdm bar. It reports the throughput
in MPixel/s and the peak resident memory of every process (driver + scheduler, nannies,
workers), sampled with psutil and read from the kernel's high-water mark (VmHWM), checks a
corner of the output against the in-memory model, and deletes the data unless --keep.

    PYTHONPATH=src python benchmarks/dask_pipeline.py --size 32768 --workers 1 2 \\
        --dir /work/dask-bench --results benchmarks/results/dask.md
"""

from __future__ import annotations

import argparse
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np

import convzoo
import convzoo.dask
from convzoo import nn


def make_image(path, size, chunk, chunk_width, seed):
    """The input image (H, W, 3) float32, one seeded chunk at a time (smooth + noise)."""
    import zarr
    from tqdm import tqdm

    array = zarr.create_array(
        path, shape=(size, size, 3), chunks=(chunk, chunk_width, 3), dtype="float32",
        compressors=None, overwrite=True,
    )  # fmt: skip
    grid = [(i, j) for i in range(-(-size // chunk)) for j in range(-(-size // chunk_width))]
    for i, j in tqdm(grid, desc="generate", unit="chunk"):
        rows = slice(i * chunk, min((i + 1) * chunk, size))
        cols = slice(j * chunk_width, min((j + 1) * chunk_width, size))
        rng = np.random.default_rng([seed, i, j])
        shape = (rows.stop - rows.start, cols.stop - cols.start, 3)
        yy, xx = np.mgrid[rows, cols].astype(np.float32) / 512.0
        smooth = np.sin(yy)[..., None] * np.cos(xx)[..., None] * np.array([1, 0.5, 0.25])
        array[rows, cols] = (smooth + 0.1 * rng.standard_normal(shape)).astype(np.float32)


def pipeline(dtype=np.float32):
    """Sobel x/y per channel as two separable depthwise passes, then a depthwise separable."""
    sobel = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    column, row = convzoo.separate(sobel)  # sobel = outer(column, row)
    vertical = nn.Conv(3, 6, (3, 1), padding=(1, 0), groups=3, bias=False,
                       padding_mode="replicate", dtype=dtype)  # fmt: skip
    horizontal = nn.Conv(6, 6, (1, 3), padding=(0, 1), groups=6, bias=False,
                         padding_mode="replicate", dtype=dtype)  # fmt: skip
    for c in range(3):  # gx = column x row, gy = row x column (the transposed kernel)
        vertical.weight[2 * c, 0, :, 0], vertical.weight[2 * c + 1, 0, :, 0] = column, row
        horizontal.weight[2 * c, 0, 0, :], horizontal.weight[2 * c + 1, 0, 0, :] = row, column
    separable = nn.DepthwiseSeparable(6, 3, 3, padding=1, rng=0, dtype=dtype)
    return nn.Sequential(vertical, horizontal, separable).eval()


class PeakMemory:
    """Peak RSS of this process and all its children, sampled with psutil in a thread."""

    def __init__(self, interval=0.2):
        import psutil

        self.psutil, self.interval, self.peaks, self.names = psutil, interval, {}, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self):
        me = self.psutil.Process()
        for proc in [me, *me.children(recursive=True)]:
            try:
                rss = proc.memory_info().rss
                hwm = _vm_hwm(proc.pid)
                self.names.setdefault(proc.pid, " ".join(proc.cmdline()[-3:])[-60:])
            except (self.psutil.NoSuchProcess, self.psutil.AccessDenied):
                continue
            self.peaks[proc.pid] = max(self.peaks.get(proc.pid, 0), rss, hwm)

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._sample()
        self._stop.set()
        self._thread.join()


def _vm_hwm(pid):
    """The kernel's peak resident set size of a process (Linux), in bytes; 0 elsewhere."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run(source, target, workers, memory_limit):
    from distributed import Client, LocalCluster, as_completed
    from tqdm import tqdm

    model = pipeline()
    x = convzoo.dask.read_zarr(source, channels_last=True, batch=False)  # (1, 3, H, W)
    y = convzoo.dask.apply(model, x)
    writes = convzoo.dask.write_zarr(
        y, target, channels_last=True, batch=False, overwrite=True, compute=False,
        compressors=None,
    )  # fmt: skip
    with PeakMemory() as memory:
        with LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True,
            memory_limit=memory_limit, dashboard_address=None,
        ) as cluster, Client(cluster) as client:  # fmt: skip
            pids = client.run(os.getpid)
            start = time.perf_counter()
            futures = client.compute(writes)
            for _ in tqdm(as_completed(futures), total=len(futures), desc=f"{workers} worker(s)",
                          unit="tile"):  # fmt: skip
                pass
            seconds = time.perf_counter() - start
            memory._sample()
    worker_peak = max(memory.peaks.get(pid, 0) for pid in pids.values())
    return {
        "workers": workers,
        "seconds": seconds,
        "mpix_per_s": x.shape[2] * x.shape[3] / seconds / 1e6,
        "worker_peak": worker_peak,
        "process_peak": max(memory.peaks.values()),
        "driver_peak": memory.peaks[os.getpid()],
        "processes": len(memory.peaks),
    }


def check_corner(source, target, size=300):
    """The output's top-left corner equals the in-memory model on that corner (+ halo)."""
    import zarr

    image = zarr.open_array(source, mode="r")[: size + 8, : size + 8]
    expected = pipeline()(image.transpose(2, 0, 1)[None])[0].transpose(1, 2, 0)[:size, :size]
    got = zarr.open_array(target, mode="r")[:size, :size]
    return float(np.abs(got - expected).max())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=32768, help="image height = width")
    parser.add_argument("--chunk", type=int, default=256, help="Zarr chunk height")
    parser.add_argument("--chunk-width", type=int, default=4096, help="Zarr chunk width")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--memory-limit", default="4GiB", help="per worker process")
    parser.add_argument("--dir", default="/work/dask-bench", help="where the Zarr data goes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the Zarr data")
    parser.add_argument("--results", help="append a Markdown table of the results here")
    args = parser.parse_args()

    root = Path(args.dir)
    root.mkdir(parents=True, exist_ok=True)
    image_bytes = args.size * args.size * 3 * 4
    free = shutil.disk_usage(root).free
    if free < 2.2 * image_bytes:
        raise SystemExit(f"need {2.2 * image_bytes / 2**30:.1f} GiB free in {root}; have "
                         f"{free / 2**30:.1f} GiB")  # fmt: skip
    source, target = root / "image.zarr", root / "edges.zarr"
    rows = []
    try:
        make_image(source, args.size, args.chunk, min(args.chunk_width, args.size), args.seed)
        for workers in args.workers:
            result = run(source, target, workers, args.memory_limit)
            result["corner_error"] = check_corner(source, target)
            rows.append(result)
            print(
                f"{workers} worker(s): {result['seconds']:.1f} s, "
                f"{result['mpix_per_s']:.1f} MPixel/s, peak RSS worker "
                f"{result['worker_peak'] / 2**30:.2f} GiB, any process "
                f"{result['process_peak'] / 2**30:.2f} GiB, corner error "
                f"{result['corner_error']:.1e}"
            )
    finally:
        if not args.keep:
            shutil.rmtree(source, ignore_errors=True)
            shutil.rmtree(target, ignore_errors=True)
    if args.results:
        _append_results(args, image_bytes, rows)


def _append_results(args, image_bytes, rows):
    import platform

    lines = [
        f"\n## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {args.size}x{args.size}x3 "
        f"float32 ({image_bytes / 2**30:.2f} GiB), Zarr chunks {args.chunk}x{args.chunk_width}, "
        f"memory limit {args.memory_limit}/worker, {os.cpu_count()} cores, "
        f"{platform.processor() or platform.machine()}\n",
        "| workers | seconds | MPixel/s | peak RSS per worker (GiB) | peak RSS any process "
        "(GiB) | max abs error (corner vs in-memory) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['workers']} | {r['seconds']:.1f} | {r['mpix_per_s']:.1f} | "
            f"{r['worker_peak'] / 2**30:.2f} | {r['process_peak'] / 2**30:.2f} | "
            f"{r['corner_error']:.1e} |"
        )
    with open(args.results, "a") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
