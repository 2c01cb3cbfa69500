"""Winograd for 3x3x3 convolutions: a sum over the depth taps of 2-D F(m x m, 3 x 3).

A 3x3x3 stride-1 correlation is, for every output slice ``o``, three 2-D 3x3 correlations
summed over the depth taps ``t``::

    y[:, :, o] = sum_t corr2d(x[:, :, o - pad + t], w[:, :, t])

and a sum of 2-D correlations over input slices is one 2-D correlation whose input channels
are the (tap, channel) pairs. So each output slice is one run of the 2-D Winograd pipeline
(:mod:`.winograd_pipeline`) on ``3 * C`` channels: the three input slices it reads, laid
out next to each other, against the transformed kernels of the three taps side by side
(``(a*a, K, 3*C)``). The element-wise products shrink by ``9 m^2 / a^2`` as in 2-D (4x for
F(4x4)); each input slice is transformed three times (once per output slice it feeds), the
price of reusing the 2-D kernels unchanged.

Slices outside the input (the depth padding) are left out of the sum rather than
transformed as zeros: the first and last output slices read two taps. The input is copied
once per sample to ``(D, C, H, W)`` (depth first), so the slices of one output are
contiguous; that copy is the only workspace besides the pipeline's per-thread chunks.

Gradients: the input gradient is the same correlation of the output gradient with the
flipped, channel-swapped kernel (:func:`unpadded_transpose`); the weight gradient sums, for
each depth tap, the 2-D Winograd weight gradients of the (input slice, output-gradient
slice) pairs that tap connects (:func:`unpadded_weight_grad`).

References
----------
Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016,
arXiv:1509.09308 (section 4; 3-D Winograd is the same nesting applied to a third axis).
"""

from __future__ import annotations

import math

import numpy as np

from . import winograd_pipeline

__all__ = ["supports", "tiles", "unpadded", "unpadded_transpose", "unpadded_weight_grad"]


def supports(problem) -> bool:
    """3x3x3 kernels, stride 1, no dilation along depth, one group.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> def p(dilation):
    ...     return Problem((1, 4, 6, 8, 8), (4, 4, 3, 3, 3), (1, 1, 1), dilation, 1,
    ...                    np.dtype("float32"))
    >>> supports(p((1, 2, 2))), supports(p((2, 1, 1)))
    (True, False)
    """
    return (
        tuple(problem.weight_shape[2:]) == (3, 3, 3)
        and set(problem.stride) == {1}
        and problem.dilation[0] == 1
        and problem.groups == 1
    )


def tiles(problem, m: int) -> int:
    """2-D tiles of all output slices: ``N * D_out * tiles per slice``.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> tiles(Problem((2, 4, 6, 10, 10), (4, 4, 3, 3, 3), (1, 1, 1), (1, 1, 1), 1,
    ...                np.dtype("float32")), 4)
    32
    """
    od, oh, ow = problem.output_spatial
    counts = winograd_pipeline.tile_counts
    dh, dw = problem.dilation[1:]
    return problem.input_shape[0] * od * counts(oh, m, dh) * counts(ow, m, dw)


def _taps(o: int, lo: int, depth: int) -> tuple[int, int]:
    """Depth taps ``[first, last)`` of output slice ``o`` whose input slice exists."""
    z0 = o - lo
    return max(0, -z0), min(3, depth - z0)


def _stacked_weights(w, m, dtype, flip=False):
    """``{(first, last): U}``: the taps' transformed kernels side by side, ``(a*a, K, n*C)``
    for every range of taps an output slice uses (all three, or two at a border)."""
    per_tap = [winograd_pipeline.transform_weights(w[:, :, t], m, dtype, flip) for t in range(3)]
    return {
        (first, last): np.ascontiguousarray(np.concatenate(per_tap[first:last], axis=2))
        for first in range(3)
        for last in range(first + 1, 4)
    }


def unpadded(x, w, stride, dilation, groups, padding, m: int = 4, flip: bool = False):
    """3x3x3 correlation of ``x`` zero-padded by ``padding`` (never materialised).

    ``x`` (N, C, D, H, W), ``w`` (K, C, 3, 3, 3); with ``flip``, the correlation with the
    adjoint's kernel (``w`` flipped, channels swapped: ``x`` then has ``K`` channels).
    ``padding`` ``((lo, hi),) * 3``, negative to crop.

    Examples
    --------
    >>> import numpy as np
    >>> y = unpadded(np.ones((1, 1, 3, 3, 3)), np.ones((1, 1, 3, 3, 3)), (1, 1, 1),
    ...              (1, 1, 1), 1, ((1, 1),) * 3, m=2)
    >>> y.shape, float(y[0, 0, 1, 1, 1]), float(y[0, 0, 0, 0, 0])
    ((1, 1, 3, 3, 3), 27.0, 8.0)
    """
    depth, height, width = x.shape[2:]
    (lo_d, hi_d), (lo_h, hi_h), (lo_w, hi_w) = padding
    dh, dw = dilation[1:]
    out = (depth + lo_d + hi_d - 2, height + lo_h + hi_h - 2 * dh, width + lo_w + hi_w - 2 * dw)
    if flip:  # (C, K, 3, 3, 3) -> the adjoint's (K, C, 3, 3, 3), depth taps reversed
        w = w[:, :, ::-1]
    stacked = _stacked_weights(w, m, x.dtype, flip)
    n_batch = x.shape[0]
    y = np.empty((n_batch, stacked[0, 3].shape[1], *out), dtype=x.dtype)
    taps = [_taps(o, lo_d, depth) for o in range(out[0])]
    inner = [o for o, t in enumerate(taps) if t == (0, 3)]  # a contiguous range
    for n in range(n_batch):
        slices = np.ascontiguousarray(x[n].swapaxes(0, 1))  # (C, D, H, W) -> (D, C, H, W)
        runs = [(o, o + 1, *taps[o]) for o in range(out[0]) if taps[o] != (0, 3)]
        if inner:
            runs.append((inner[0], inner[-1] + 1, 0, 3))
        for o0, o1, first, last in runs:
            target = y[n].swapaxes(0, 1)[o0:o1]  # (K, OD, OH, OW) -> (slices, K, OH, OW)
            if first >= last:  # only padding under this slice
                target[...] = 0
                continue
            z = o0 - lo_d + first
            # output slice o0 + i reads input slices z + i .. z + i + taps: one image each,
            # (taps * C) channels, overlapping its neighbours (a view, no copy)
            plane = height * width * slices.itemsize  # (strides of a size-1 axis are free:
            image = np.lib.stride_tricks.as_strided(  # spell them out)
                slices[z:], (o1 - o0, (last - first) * slices.shape[1], height, width),
                (slices.shape[1] * plane, plane, width * slices.itemsize, slices.itemsize),
                writeable=False,
            )  # fmt: skip
            winograd_pipeline.run(
                image, stacked[first, last], (lo_h, lo_w), out[1:], (dh, dw), m, out=target
            )
    return y


def unpadded_transpose(g, w, stride, dilation, groups, padding, spatial, m: int = 4):
    """Gradient of :func:`unpadded` in its (unpadded) input, ``(N, C, *spatial)``: the
    correlation of ``g`` with the flipped, channel-swapped kernel, padded ``2d - lo``.

    Examples
    --------
    >>> import numpy as np
    >>> gx = unpadded_transpose(np.ones((1, 1, 3, 3, 3)), np.ones((1, 1, 3, 3, 3)),
    ...                         (1, 1, 1), (1, 1, 1), 1, ((1, 1),) * 3, (3, 3, 3), m=2)
    >>> gx.shape, float(gx[0, 0, 1, 1, 1]), float(gx[0, 0, 0, 0, 0])
    ((1, 1, 3, 3, 3), 27.0, 8.0)
    """
    reach = (2, 2 * dilation[1], 2 * dilation[2])
    # before: 2d - lo; after: whatever makes the result `spatial` long
    flipped = tuple(
        (r - lo, n - o + lo) for r, (lo, _), n, o in zip(reach, padding, spatial, g.shape[2:])
    )
    return unpadded(g, w, stride, dilation, groups, flipped, m, flip=True)


def unpadded_weight_grad(x, g, kernel, stride, dilation, groups, padding, m: int = 4):
    """Weight gradient of :func:`unpadded`, ``(K, C, 3, 3, 3)``.

    Tap ``t`` connects input slice ``o - lo + t`` with output slice ``o``; for each tap,
    the pairs of one sample are the batch of one 2-D Winograd weight gradient
    (:func:`.winograd_pipeline.run_weight_grad`).

    Examples
    --------
    >>> import numpy as np
    >>> dw = unpadded_weight_grad(np.ones((1, 1, 2, 2, 2)), np.ones((1, 1, 2, 2, 2)),
    ...                           (3, 3, 3), (1, 1, 1), (1, 1, 1), 1, ((1, 1),) * 3, m=2)
    >>> float(dw[0, 0, 1, 1, 1]), float(dw[0, 0, 0, 0, 0])
    (8.0, 1.0)
    """
    depth = x.shape[2]
    lo_d = padding[0][0]
    pad = (padding[1][0], padding[2][0])
    out_depth = g.shape[2]
    dw = np.zeros((g.shape[1], x.shape[1], 3, 3, 3), dtype=np.result_type(x, g))
    for n in range(x.shape[0]):
        slices = np.ascontiguousarray(x[n].swapaxes(0, 1))  # (C, D, H, W) -> (D, C, H, W)
        grads = np.ascontiguousarray(g[n].swapaxes(0, 1), dtype=x.dtype)  # (OD, K, OH, OW)
        for t in range(3):
            first, last = max(0, lo_d - t), min(out_depth, depth + lo_d - t)
            if first >= last:
                continue
            z = first - lo_d + t
            dw[:, :, t] += winograd_pipeline.run_weight_grad(
                slices[z : z + last - first], grads[first:last], pad, tuple(dilation[1:]), m
            )
    return dw.astype(x.dtype, copy=False)


def cost_problem(problem):
    """The 2-D problem whose Winograd cost equals this one's: every output slice as an
    image with ``3 * C`` input channels.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> cost_problem(Problem((2, 4, 6, 10, 10), (8, 4, 3, 3, 3), (1, 1, 1), (1, 1, 1), 1,
    ...                      np.dtype("float32"))).input_shape
    (8, 12, 10, 10)
    """
    from .select import Problem

    n, c_in, _, height, width = problem.input_shape
    images = n * problem.output_spatial[0]
    return Problem(
        (images, 3 * c_in, height, width), (problem.weight_shape[0], 3 * c_in, 3, 3),
        (1, 1), tuple(problem.dilation[1:]), 1, problem.dtype,
    )  # fmt: skip


def copy_cost(problem) -> float:
    """The per-sample depth-first copy of the input, 8 units per element (as
    :func:`.gemm.cost` counts its copies)."""
    return 8 * math.prod(problem.input_shape)
