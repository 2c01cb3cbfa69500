"""The core engine's speed floor: forward of a ResNet 3x3 layer against PyTorch CPU.

N=8, 64 -> 64 channels, 56x56, padding 1, float32. Interleaved runs (the order rotates each
repeat; each timed call after 0.2 s of untimed back-to-back calls of the same function,
as in ``convzoo.bench.measure``), medians, same thread count for both; prints convzoo / PyTorch
time ratios for ``algorithm="auto"`` and for the im2col GEMM path.

    python benchmarks/resnet_layer.py --repeats 21
"""

import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F

import convzoo
from convzoo.bench import measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 64, 56, 56)).astype(np.float32)
    w = (rng.standard_normal((64, 64, 3, 3)) / 24).astype(np.float32)
    xt, wt = torch.from_numpy(x), torch.from_numpy(w)
    runs = {
        "torch": lambda: F.conv2d(xt, wt, padding=1),
        "auto": lambda: convzoo.conv(x, w, padding=1),
        "gemm": lambda: convzoo.conv(x, w, padding=1, algorithm="gemm"),
    }
    times = measure.interleaved_samples(runs, args.repeats, settle=measure.SETTLE_SECONDS)
    medians = {name: float(np.median(t)) for name, t in times.items()}
    chosen = convzoo.engine.choose(
        convzoo.engine.Problem((8, 64, 58, 58), w.shape, (1, 1), (1, 1), 1, x.dtype)
    ).name
    print(f"torch {medians['torch'] * 1e3:.1f} ms (threads {torch.get_num_threads()})")
    print(
        f"convzoo auto ({chosen}) {medians['auto'] * 1e3:.1f} ms, ratio "
        f"{medians['auto'] / medians['torch']:.2f}"
    )
    print(
        f"convzoo gemm {medians['gemm'] * 1e3:.1f} ms, ratio "
        f"{medians['gemm'] / medians['torch']:.2f}"
    )


if __name__ == "__main__":
    main()
