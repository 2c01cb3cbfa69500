"""Seeded random configurations for the Dask equality tests (shared by the test files)."""

from __future__ import annotations

import numpy as np

import convzoo

PADDINGS = ("int", "tuple", "pairs", "valid", "same", "same_lower", "full")
MODES = ("zeros", "constant", "reflect", "replicate", "circular", "symmetric")


def _padding(rng, form, ndim):
    if form == "int":
        return int(rng.integers(0, 3))
    if form == "tuple":
        return tuple(int(p) for p in rng.integers(0, 3, ndim))
    if form == "pairs":
        return tuple((int(a), int(b)) for a, b in rng.integers(0, 4, (ndim, 2)))
    return form


def _chunks(rng, shape):
    """Random chunk sizes per axis, often smaller than the halo."""
    return tuple(int(rng.integers(1, n + 1)) for n in shape)


def conv_case(seed: int, transposed: bool = False):
    """A random valid (x, weight, bias, keywords, chunks, label) for conv or conv_transpose."""
    rng = np.random.default_rng(seed)
    while True:
        ndim = int(rng.choice([1, 2, 3], p=[0.35, 0.45, 0.2]))
        small = ndim == 3
        groups = int(rng.choice([1, 1, 2, 3]))
        c_in = groups * int(rng.integers(1, 3))
        c_out = groups * int(rng.integers(1, 3))
        kernel = tuple(int(k) for k in rng.integers(1, 4 if small else 5, ndim))
        stride = tuple(int(s) for s in rng.integers(1, 4, ndim))
        dilation = tuple(int(d) for d in rng.integers(1, 3 if small else 4, ndim))
        spatial = tuple(int(n) for n in rng.integers(3, 8 if small else 24, ndim))
        batch = int(rng.integers(1, 4))
        form = str(rng.choice(PADDINGS))
        keywords = {"stride": stride, "dilation": dilation, "groups": groups}
        if transposed:
            w_shape = (c_in, c_out // groups, *kernel)
            if form in ("same_lower", "full"):
                form = "same"
            keywords["padding"] = _padding(rng, form, ndim)
            keywords["output_padding"] = tuple(
                int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation)
            )
        else:
            w_shape = (c_out, c_in // groups, *kernel)
            mode = str(rng.choice(MODES))
            keywords["padding"] = _padding(rng, form, ndim)
            keywords["padding_mode"] = mode
            if mode == "constant":
                keywords["padding_value"] = float(rng.standard_normal())
        if rng.random() < 0.3:
            keywords["group_split"] = int(
                rng.choice([q for q in range(1, groups + 1) if groups % q == 0])
            )
        x_shape = (batch, c_in, *spatial)
        numpy_keywords = {k: v for k, v in keywords.items() if k != "group_split"}
        try:
            convzoo.make_spec("case", x_shape, w_shape, transposed=transposed, **numpy_keywords)
        except ValueError:
            continue
        x = rng.standard_normal(x_shape)
        weight = rng.standard_normal(w_shape)
        bias = rng.standard_normal(c_out) if rng.random() < 0.5 else None
        chunks = _chunks(rng, x_shape)
        label = (
            f"{'T' if transposed else ''}{ndim}d-x{x_shape}-w{w_shape}-chunks{chunks}-"
            + "-".join(f"{k}={v}" for k, v in keywords.items())
        )
        return x, weight, bias, keywords, numpy_keywords, chunks, label
