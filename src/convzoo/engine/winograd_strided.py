"""Winograd for stride-2 layers with 4 to 8 taps per axis (a ResNet stem's 7x7): phases.

A stride-2 correlation splits into its four stride phases (Yang et al., see References):
the padded input's cells ``(2i + a, 2j + b)``, ``a, b in {0, 1}``, form four planes, the
kernel's taps ``(2i' + a, 2j' + b)`` four sub-kernels of at most ``r x r`` taps (``r =
ceil(k / 2)``), and::

    y[o1, o2] = sum over c, a, b, i', j' of  X'[(c, a, b), o1 + i', o2 + j'] W'[(c, a, b), i', j']

with ``X'[(c, a, b), i, j] = x_pad[c, 2i + a, 2j + b]`` and ``W'[(c, a, b), i', j'] =
w[c, 2i' + a, 2j' + b]`` (zero past the kernel). That is a stride-1 correlation with ``4C``
input channels and an ``r x r`` kernel, which Winograd F(3x3, r x r) computes with
``(r + 2)^2`` products per 3x3 output tile instead of ``9 r^2`` (:mod:`.winograd_f3_jit`;
the pipeline is :mod:`.winograd_pipeline`'s): 36 instead of 144 for 5 to 8 taps (``r = 4``),
16 instead of 36 for 4 taps (``r = 2``; 3 taps would leave 7 of 16 sub-kernel taps zero,
and are left to GEMM). For the 7x7 stem (3 -> 64 channels) the products drop from ``147``
to ``12 * 36 / 9 = 48`` per output (2.9x fewer; the 4x4 sub-kernels carry 15 zero taps of
64); for a 4x4 stride-2 layer (DCGAN) from ``16 C`` to ``4C * 16 / 9`` (2.25x fewer).

Gradients reuse the same pipeline: the input gradient is the stride-1 adjoint over the
phases (the flipped, channel-swapped ``W'``), whose output kernel stores each phase cell into
its cell of the input grid; the weight gradient is Winograd's adjoint on the phases (``G^T dU
G``), whose taps are put back into the kernel. No pass copies the phases: the input
transforms of the forward pass and of the weight gradient read them in place.

References
----------
Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016,
arXiv:1509.09308. Yang, Chen, Wang, Li, Yang, "Stride 2 1-D, 2-D, and 3-D Winograd for
Convolutional Neural Networks", IEEE TVLSI 28(4), 2020 (the phase decomposition).
"""

from __future__ import annotations

import math

import numpy as np

from ..shapes import conv_length
from . import winograd_pipeline
from .winograd import WEIGHT_CELL_COST
from .winograd_phases import g_matrix, transformed_taps

__all__ = [
    "sub_taps",
    "supports",
    "cost",
    "transpose_cost",
    "weight_grad_cost",
    "multiplications",
    "correlate",
    "unpadded",
    "transpose",
    "unpadded_transpose",
    "weight_grad",
    "unpadded_weight_grad",
]

#: Output tile size (F(3x3, r x r)).
TILE = 3
#: Kernel sizes (per axis) this algorithm takes: with 3 taps, 7 of the 16 taps of the 2x2
#: sub-kernels would be zeros, and Winograd's 2.25x would shrink to 1.27x.
KERNEL_SIZES = range(4, 9)
#: Measured time per cell of this algorithm's kernels, in multiply-adds at BLAS peak (2-core
#: AMD EPYC, float32; :mod:`.winograd`'s constants are those of its F(4x4, 3x3) kernels): a
#: transformed input cell (gather from the phases or a padded grid, two passes of ``B^T``),
#: a transformed product cell of the output (``A^T``, stored in place) and of the output
#: gradient (``A``); a product cell of the adjoint's output stored into the input grid
#: (``A^T``, then every other cell of a row: 0.36 ms for 0.59 million on one thread, on the
#: 4x4 layer of the benchmark, whose phase rows hold 6 tiles).
INPUT_CELL_COST, OUTPUT_CELL_COST, GRAD_CELL_COST, PHASE_STORE_CELL_COST = 34, 10, 14, 60


def supports(problem) -> bool:
    """2-D, stride 2, 4 to 8 taps per axis, no dilation, one group, numba present.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> stem = Problem((8, 3, 230, 230), (64, 3, 7, 7), (2, 2), (1, 1), 1, np.dtype("float32"))
    >>> supports(stem), supports(Problem((8, 3, 230, 230), (64, 3, 3, 3), (2, 2), (1, 1), 1,
    ...                                  np.dtype("float32")))
    (True, False)
    """
    from .direct import numba_available

    return (
        len(problem.weight_shape) == 4
        and problem.stride == (2, 2)
        and problem.dilation == (1, 1)
        and problem.groups == 1
        and all(k in KERNEL_SIZES for k in problem.weight_shape[2:])
        and numba_available()
    )


def sub_taps(kernel) -> int:
    """Taps per axis ``r`` of the phases' sub-kernels: 2 for kernels of up to 4 taps per axis,
    else 4 (sub-kernels of 3 taps are zero-padded to 4: one kernel size fewer to compile).

    Examples
    --------
    >>> sub_taps((7, 7)), sub_taps((4, 4)), sub_taps((4, 5))
    (4, 2, 4)
    """
    return 2 if max(kernel) <= 4 else 4


def _tiles(problem) -> int:
    oh, ow = problem.output_spatial
    return problem.input_shape[0] * math.ceil(oh / TILE) * math.ceil(ow / TILE)


def multiplications(problem) -> dict:
    """Multiplications of the phases' Winograd products against the direct method.

    Returns a dict: ``direct`` (the layer's multiply-adds), ``elementwise`` (``36 * K * 4C *
    tiles``) and ``saving`` (their ratio).

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> stem = Problem((1, 3, 230, 230), (64, 3, 7, 7), (2, 2), (1, 1), 1, np.dtype("float32"))
    >>> counts = multiplications(stem)
    >>> counts["direct"], counts["elementwise"], round(counts["saving"], 2)
    (118013952, 39923712, 2.96)
    """
    a = TILE + sub_taps(problem.weight_shape[2:]) - 1
    c_out, c_in = problem.weight_shape[:2]
    elementwise = a * a * c_out * 4 * c_in * _tiles(problem)
    return {
        "direct": problem.macs,
        "elementwise": elementwise,
        "saving": problem.macs / elementwise,
    }


def _pipeline_cost(c_in: int, c_out: int, tiles: int, out_cell: float, r: int) -> float:
    """Products and transforms of one F(3x3, r x r) run, ``c_in`` -> ``c_out`` channels.

    The products ``(c_out, c_in) @ (c_in, tiles of a chunk)`` stay in cache and were measured
    within 25% of BLAS peak on one thread even at 4 input channels (64 x 4: 75, 64 x 12: 95,
    12 x 64: 105 GFLOP/s, peak 97), so they are costed at peak: :func:`.gemm.gemm_efficiency`
    describes im2col products, whose packing dominates at a short reduction.
    """
    a2 = (TILE + r - 1) ** 2
    products = a2 * c_out * c_in * tiles
    transforms = (INPUT_CELL_COST * c_in + out_cell * c_out) * a2 * tiles
    return products + transforms + WEIGHT_CELL_COST * a2 * c_out * c_in


def cost(problem) -> float:
    """Estimated time of :func:`correlate` in units of one multiply-add at BLAS peak (those
    of :func:`.gemm.cost` and :func:`.winograd.cost`): Winograd's products and transforms on
    the ``4C`` phase channels, read in place.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine import gemm
    >>> from convzoo.engine.select import Problem
    >>> stem = Problem((8, 3, 230, 230), (64, 3, 7, 7), (2, 2), (1, 1), 1, np.dtype("float32"))
    >>> bool(cost(stem) < gemm.cost(stem))
    True
    """
    c_out, c_in = problem.weight_shape[0], 4 * problem.weight_shape[1]
    r = sub_taps(problem.weight_shape[2:])
    return _pipeline_cost(c_in, c_out, _tiles(problem), OUTPUT_CELL_COST, r)


def transpose_cost(problem) -> float:
    """Estimated time of :func:`transpose` for the forward ``problem``: the phases' adjoint,
    a full F(3x3, r x r) correlation from ``K`` to ``4C`` channels on ``(OH + r - 1) x (OW +
    r - 1)`` cells, stored into the input grid. With many output channels and few input ones
    (a stem) its input transform dominates, and GEMM's col2im is cheaper.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine import gemm
    >>> from convzoo.engine.select import Problem
    >>> stem = Problem((8, 3, 230, 230), (64, 3, 7, 7), (2, 2), (1, 1), 1, np.dtype("float32"))
    >>> bool(transpose_cost(stem) > gemm.cost(stem))
    True
    """
    oh, ow = problem.output_spatial
    r = sub_taps(problem.weight_shape[2:])
    tiles = problem.input_shape[0] * math.ceil((oh + r - 1) / TILE) * math.ceil((ow + r - 1) / TILE)
    c_out, c_in = problem.weight_shape[0], 4 * problem.weight_shape[1]
    return _pipeline_cost(c_out, c_in, tiles, PHASE_STORE_CELL_COST, r)


def weight_grad_cost(problem) -> float:
    """Estimated time of :func:`weight_grad`: the input (phases read in place) and
    output-gradient transforms and the products summed over tiles; infinite when even one
    thread's sums of the products would pass :data:`.winograd_pipeline.WEIGHT_GRAD_SUMS_BYTES`.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine import gemm
    >>> from convzoo.engine.select import Problem
    >>> stem = Problem((8, 3, 230, 230), (64, 3, 7, 7), (2, 2), (1, 1), 1, np.dtype("float32"))
    >>> bool(weight_grad_cost(stem) < gemm.weight_grad_cost(stem))
    True
    """
    c_out, c_in = problem.weight_shape[0], 4 * problem.weight_shape[1]
    r = sub_taps(problem.weight_shape[2:])
    a = TILE + r - 1
    if 2 * a * a * c_out * c_in * problem.dtype.itemsize > winograd_pipeline.WEIGHT_GRAD_SUMS_BYTES:
        return math.inf  # even one thread's (a*a, K, 4C) sums would pass the memory bound
    return _pipeline_cost(c_in, c_out, _tiles(problem), GRAD_CELL_COST, r)


def _kernels(r: int, gradient: bool = False):
    from .winograd_f3_jit import KERNELS

    input_transform, output_transform, grad_transform = KERNELS[r]
    return (input_transform, grad_transform) if gradient else (input_transform, output_transform)


def correlate(xp, w, stride=(2, 2), dilation=(1, 1), groups=1):
    """Stride-2 correlation of a padded input through its phases (module docstring).

    Parameters
    ----------
    xp : ndarray, shape (N, C_in, H, W)
    w : ndarray, shape (C_out, C_in, kh, kw), 4 <= kh, kw <= 8

    Returns
    -------
    ndarray, shape (N, C_out, (H - kh) // 2 + 1, (W - kw) // 2 + 1)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(81.0).reshape(1, 1, 9, 9)
    >>> y = correlate(x, np.ones((1, 1, 7, 7)))
    >>> y.shape, float(np.round(y[0, 0, 1, 0], 9)), float(x[0, 0, 2:9, 0:7].sum())
    ((1, 1, 2, 2), 2352.0, 2352.0)
    """
    return unpadded(xp, w, stride, dilation, groups, ((0, 0), (0, 0)))


def unpadded(x, w, stride, dilation, groups, padding):
    """:func:`correlate` of ``x`` zero-padded by ``padding`` ``((top, bottom), (left,
    right))``; the input kernel reads the phases of ``x`` in place (no padded copy).

    Examples
    --------
    >>> import numpy as np
    >>> y = unpadded(np.ones((1, 1, 8, 8)), np.ones((1, 1, 7, 7)), (2, 2), (1, 1), 1,
    ...              ((3, 3), (3, 3)))
    >>> np.round(y[0, 0, 0], 9).tolist()
    [16.0, 24.0, 28.0, 20.0]
    """
    from .winograd_f3_jit import PHASE_INPUT

    rows = zip(x.shape[2:], w.shape[2:], padding, strict=True)
    oh, ow = (conv_length(n, k, 2, 1, lo, hi) for n, k, (lo, hi) in rows)
    r = sub_taps(w.shape[2:])
    u = transformed_taps(w, r, x.dtype)
    transforms = (PHASE_INPUT[r], _kernels(r)[1])  # reads the phases of x in place
    pad = (padding[0][0], padding[1][0])
    return winograd_pipeline.run(x, u, pad, (oh, ow), (1, 1), TILE, transforms=transforms)


def transpose(g, w, stride, dilation, groups, full_spatial):
    """Adjoint of :func:`correlate` in its input: ``(N, C_in, *full_spatial)``.

    Examples
    --------
    >>> import numpy as np
    >>> dx = transpose(np.ones((1, 1, 1, 1)), np.arange(49.0).reshape(1, 1, 7, 7), (2, 2),
    ...                (1, 1), 1, (7, 7))
    >>> np.round(dx[0, 0, 1], 9).tolist()  # the kernel's row 1
    [7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0]
    """
    zeros = ((0, 0), (0, 0))
    return unpadded_transpose(g, w, stride, dilation, groups, zeros, tuple(full_spatial))


def unpadded_transpose(g, w, stride, dilation, groups, padding, spatial):
    """Gradient of :func:`unpadded` in its (unpadded) input, ``(N, C_in, *spatial)``: the
    phases' stride-1 adjoint (a full correlation of ``g`` with the flipped, channel-swapped
    sub-kernels), whose output kernel stores each phase cell into its cell of the input
    grid (no phase planes written and merged).

    Examples
    --------
    >>> import numpy as np
    >>> dx = unpadded_transpose(np.ones((1, 1, 4, 4)), np.ones((1, 1, 7, 7)), (2, 2), (1, 1),
    ...                         1, ((3, 3), (3, 3)), (8, 8))
    >>> np.round(dx[0, 0, 0], 9).tolist()  # windows that hold each cell of row 0
    [4.0, 6.0, 6.0, 8.0, 6.0, 6.0, 4.0, 4.0]
    """
    oh, ow = g.shape[2:]
    if g.dtype != w.dtype:
        g = g.astype(np.result_type(g, w))
    from .winograd_f3_jit import PHASE_OUTPUT

    r = sub_taps(w.shape[2:])
    u = transformed_taps(w, r, g.dtype, flip=True)
    (rows, cols), (top, left) = (oh + r - 1, ow + r - 1), (padding[0][0], padding[1][0])
    dx = np.empty((g.shape[0], w.shape[1], *spatial), dtype=g.dtype)
    dx[:, :, max(0, 2 * rows - top) :] = 0  # cells past every phase cell (no window holds them)
    dx[:, :, :, max(0, 2 * cols - left) :] = 0
    transforms = (_kernels(r)[0], PHASE_OUTPUT[r])  # the phases stored into dx in place
    return winograd_pipeline.run(
        g, u, (r - 1, r - 1), (rows, cols), (1, 1), TILE, dx, transforms, (top, left, rows, cols)
    )


def weight_grad(xp, g, kernel, stride, dilation, groups):
    """Weight gradient of :func:`correlate`: ``(C_out, C_in, *kernel)``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(81.0).reshape(1, 1, 9, 9)
    >>> dw = weight_grad(x, np.ones((1, 1, 2, 2)), (7, 7), (2, 2), (1, 1), 1)
    >>> float(np.round(dw[0, 0, 0, 0], 9)), float(x[0, 0, 0:3:2, 0:3:2].sum())
    (40.0, 40.0)
    """
    zeros = ((0, 0), (0, 0))
    return unpadded_weight_grad(xp, g, kernel, stride, dilation, groups, zeros)


def unpadded_weight_grad(x, g, kernel, stride, dilation, groups, padding):
    """:func:`weight_grad` of ``x`` zero-padded by ``padding``: Winograd's adjoint on the
    phases, ``(K, 4C, r, r)``, its taps put back into the ``(K, C, kh, kw)`` kernel.

    Examples
    --------
    >>> import numpy as np
    >>> dw = unpadded_weight_grad(np.ones((1, 1, 8, 8)), np.ones((1, 1, 4, 4)), (7, 7),
    ...                           (2, 2), (1, 1), 1, ((3, 3), (3, 3)))
    >>> np.round(dw[0, 0, 0], 9).tolist()  # cells of x each tap of row 0 meets
    [4.0, 6.0, 6.0, 8.0, 8.0, 6.0, 6.0]
    """
    from .winograd_f3_jit import PHASE_INPUT

    r = sub_taps(kernel)
    if g.dtype != x.dtype:
        g = g.astype(x.dtype)
    transforms = (PHASE_INPUT[r], _kernels(r, gradient=True)[1])  # the phases read in place
    pad = (padding[0][0], padding[1][0])
    dw_r = winograd_pipeline.run_weight_grad(
        x, g, pad, (1, 1), TILE, transforms, g_matrix(r), channels=4 * x.shape[1]
    )
    k_out, c4 = dw_r.shape[:2]
    # (K, C, a, b, i, j) -> (K, C, 2i + a, 2j + b), cut to the kernel
    full = dw_r.reshape(k_out, c4 // 4, 2, 2, r, r).transpose(0, 1, 4, 2, 5, 3)
    full = full.reshape(k_out, c4 // 4, 2 * r, 2 * r)
    return np.ascontiguousarray(full[:, :, : kernel[0], : kernel[1]], dtype=x.dtype)
