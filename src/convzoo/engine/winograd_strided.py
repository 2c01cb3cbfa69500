"""Winograd for stride-2 layers with 5 to 8 taps per axis (a ResNet stem's 7x7): phases.

A stride-2 correlation splits into its four stride phases (Yang et al., see References):
the padded input's cells ``(2i + a, 2j + b)``, ``a, b in {0, 1}``, form four planes, the
kernel's taps ``(2i' + a, 2j' + b)`` four sub-kernels of at most 4 x 4 taps, and::

    y[o1, o2] = sum over c, a, b, i', j' of  X'[(c, a, b), o1 + i', o2 + j'] W'[(c, a, b), i', j']

with ``X'[(c, a, b), i, j] = x_pad[c, 2i + a, 2j + b]`` and ``W'[(c, a, b), i', j'] =
w[c, 2i' + a, 2j' + b]`` (zero past the kernel). That is a stride-1 correlation with ``4C``
input channels and a 4x4 kernel, which Winograd F(3x3, 4x4) computes with 36 products per
3x3 output tile instead of 144 (:mod:`.winograd_f3_jit`; the pipeline is
:mod:`.winograd_pipeline`'s). For the 7x7 stem (3 -> 64 channels) the products drop from
``147`` to ``12 * 36 / 9 = 48`` per output (2.9x fewer; the 4x4 sub-kernels carry 15 zero
taps of 64).

Gradients reuse the same pipeline: the input gradient is the stride-1 adjoint over the
phases (the flipped, channel-swapped ``W'``), merged back into the input grid; the weight
gradient is Winograd's adjoint on the phases (``G^T dU G``), whose taps are put back into
the kernel. The phase split is one copy of the input (``4C`` planes of ``(OH + 3) x (OW +
3)``: about the input's size).

References
----------
Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016,
arXiv:1509.09308. Yang, Chen, Wang, Li, Yang, "Stride 2 1-D, 2-D, and 3-D Winograd for
Convolutional Neural Networks", IEEE TVLSI 28(4), 2020 (the phase decomposition).
"""

from __future__ import annotations

import math

import numpy as np

from . import winograd_pipeline
from .winograd import WEIGHT_CELL_COST

__all__ = [
    "TAPS",
    "supports",
    "cost",
    "transpose_cost",
    "weight_grad_cost",
    "multiplications",
    "split_phases",
    "merge_phases",
    "phase_kernel",
    "correlate",
    "unpadded",
    "transpose",
    "unpadded_transpose",
    "weight_grad",
    "unpadded_weight_grad",
]

#: Taps per axis of a phase's sub-kernel (F(3x3, 4x4)), and output tile size.
TAPS, TILE = 4, 3
#: Kernel sizes (per axis) this algorithm takes: shorter kernels leave most of the 4x4
#: sub-kernels' products multiplying zeros (3 taps: 4 of 16 per phase would be real).
KERNEL_SIZES = range(5, 2 * TAPS + 1)
#: Measured time per cell of this algorithm's kernels, in multiply-adds at BLAS peak (2-core
#: AMD EPYC, float32; :mod:`.winograd`'s constants are those of its F(4x4, 3x3) kernels): a
#: transformed input cell (gather from the phases or a padded grid, two passes of ``B^T``),
#: a transformed product cell of the output (``A^T``, stored in place) and of the output
#: gradient (``A``); and a cell of the phase split or merge (a strided copy).
INPUT_CELL_COST, OUTPUT_CELL_COST, GRAD_CELL_COST, SPLIT_CELL_COST = 34, 10, 14, 8


def supports(problem) -> bool:
    """2-D, stride 2, 5 to 8 taps per axis, no dilation, one group, numba present.

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
    a = TILE + TAPS - 1
    c_out, c_in = problem.weight_shape[:2]
    elementwise = a * a * c_out * 4 * c_in * _tiles(problem)
    return {
        "direct": problem.macs,
        "elementwise": elementwise,
        "saving": problem.macs / elementwise,
    }


def _pipeline_cost(c_in: int, c_out: int, tiles: int, out_cell: float) -> float:
    """Products and transforms of one F(3x3, 4x4) run, ``c_in`` -> ``c_out`` channels.

    The products ``(c_out, c_in) @ (c_in, tiles of a chunk)`` stay in cache and were measured
    within 25% of BLAS peak on one thread even at 4 input channels (64 x 4: 75, 64 x 12: 95,
    12 x 64: 105 GFLOP/s, peak 97), so they are costed at peak: :func:`.gemm.gemm_efficiency`
    describes im2col products, whose packing dominates at a short reduction.
    """
    a2 = (TILE + TAPS - 1) ** 2
    products = a2 * c_out * c_in * tiles
    transforms = (INPUT_CELL_COST * c_in + out_cell * c_out) * a2 * tiles
    return products + transforms + WEIGHT_CELL_COST * a2 * c_out * c_in


def _phase_cells(problem) -> int:
    oh, ow = problem.output_spatial
    c_in = 4 * problem.weight_shape[1]
    return problem.input_shape[0] * c_in * (oh + TAPS - 1) * (ow + TAPS - 1)


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
    return _pipeline_cost(c_in, c_out, _tiles(problem), OUTPUT_CELL_COST)


def transpose_cost(problem) -> float:
    """Estimated time of :func:`transpose` for the forward ``problem``: the phases' adjoint,
    a full F(3x3, 4x4) correlation from ``K`` to ``4C`` channels on ``(OH + 3) x (OW + 3)``
    cells, and the merge into the input grid. With many output channels and few input ones
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
    tiles = problem.input_shape[0] * math.ceil(oh / TILE + 1) * math.ceil(ow / TILE + 1)
    c_out, c_in = problem.weight_shape[0], 4 * problem.weight_shape[1]
    adjoint = _pipeline_cost(c_out, c_in, tiles, OUTPUT_CELL_COST)
    return adjoint + SPLIT_CELL_COST * _phase_cells(problem)


def weight_grad_cost(problem) -> float:
    """Estimated time of :func:`weight_grad`: the phase split, the input and output-gradient
    transforms and the products summed over tiles.

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
    gradient = _pipeline_cost(c_in, c_out, _tiles(problem), GRAD_CELL_COST)
    return gradient + SPLIT_CELL_COST * _phase_cells(problem)


def _phase_ranges(size: int, lo: int, length: int, phase: int) -> tuple[int, int]:
    """Phase cells ``[first, last)`` of one axis whose input cell ``2i + phase - lo`` exists."""
    first = max(0, -(-(lo - phase) // 2))
    last = min(length, (size - 1 + lo - phase) // 2 + 1)
    return first, max(first, last)


def split_phases(x, top: int, left: int, rows: int, cols: int) -> np.ndarray:
    """The four stride phases of ``x`` padded by ``top`` rows and ``left`` columns (zeros
    outside ``x``): ``(N, C, H, W) -> (N, 4C, rows, cols)``, channel ``4c + 2a + b`` holding
    ``x[c, 2i + a - top, 2j + b - left]``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> split_phases(x, 1, 1, 2, 2)[0, 3].tolist()  # a = b = 1: cells (2i, 2j) of x
    [[0.0, 2.0], [8.0, 10.0]]
    """
    n, c, height, width = x.shape
    out = np.zeros((n, c, 2, 2, rows, cols), dtype=x.dtype)
    for a in range(2):
        i0, i1 = _phase_ranges(height, top, rows, a)
        for b in range(2):
            j0, j1 = _phase_ranges(width, left, cols, b)
            if i1 > i0 and j1 > j0:
                out[:, :, a, b, i0:i1, j0:j1] = x[
                    :, :, 2 * i0 + a - top : 2 * i1 + a - top : 2,
                    2 * j0 + b - left : 2 * j1 + b - left : 2,
                ]  # fmt: skip
    return out.reshape(n, 4 * c, rows, cols)


def merge_phases(phases, top: int, left: int, spatial) -> np.ndarray:
    """Adjoint of :func:`split_phases`: ``(N, 4C, rows, cols) -> (N, C, *spatial)``, each
    input cell taking its phase cell (cells no phase cell holds are zero).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> bool((merge_phases(split_phases(x, 1, 1, 3, 3), 1, 1, (4, 4)) == x).all())
    True
    """
    n, c4, rows, cols = phases.shape
    height, width = spatial
    grouped = phases.reshape(n, c4 // 4, 2, 2, rows, cols)
    out = np.zeros((n, c4 // 4, height, width), dtype=phases.dtype)
    for a in range(2):
        i0, i1 = _phase_ranges(height, top, rows, a)
        for b in range(2):
            j0, j1 = _phase_ranges(width, left, cols, b)
            if i1 > i0 and j1 > j0:
                out[
                    :, :, 2 * i0 + a - top : 2 * i1 + a - top : 2,
                    2 * j0 + b - left : 2 * j1 + b - left : 2,
                ] = grouped[:, :, a, b, i0:i1, j0:j1]  # fmt: skip
    return out


def phase_kernel(w) -> np.ndarray:
    """The phases' sub-kernels: ``(K, C, kh, kw) -> (K, 4C, 4, 4)``, channel ``4c + 2a + b``
    holding taps ``w[:, c, 2i + a, 2j + b]`` (zero past the kernel).

    Examples
    --------
    >>> import numpy as np
    >>> w = np.arange(49.0).reshape(1, 1, 7, 7)
    >>> phase_kernel(w)[0, 3, :, 0].tolist()  # a = b = 1: taps (2i + 1, 1)
    [8.0, 22.0, 36.0, 0.0]
    """
    k, c, kh, kw = w.shape
    full = np.zeros((k, c, 2 * TAPS, 2 * TAPS), dtype=w.dtype)
    full[:, :, :kh, :kw] = w
    # (K, C, 2i + a, 2j + b) -> (K, C, a, b, i, j)
    phased = full.reshape(k, c, TAPS, 2, TAPS, 2).transpose(0, 1, 3, 5, 2, 4)
    return np.ascontiguousarray(phased).reshape(k, 4 * c, TAPS, TAPS)


def _transformed(w4, dtype, flip: bool = False) -> np.ndarray:
    """``U = G g G^T`` of 4x4 kernels, ``(K, C, 4, 4) -> (36, K, C)``; with ``flip``, of the
    adjoint's kernels (flipped, channels swapped): ``(36, C, K)``."""
    from .winograd_f3_jit import G

    if flip:
        w4 = w4[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    u = np.einsum("xi,kcij,yj->xykc", G, w4.astype(np.float64), G, optimize=True)
    return np.ascontiguousarray(u.reshape(G.shape[0] ** 2, *w4.shape[:2]), dtype=dtype)


def _kernels(gradient: bool = False):
    from .winograd_f3_jit import KERNELS

    input_f3, output_f3, grad_f3 = KERNELS
    return (input_f3, grad_f3) if gradient else (input_f3, output_f3)


def _output_spatial(spatial, kernel, padding):
    return tuple((n + lo + hi - k) // 2 + 1 for n, k, (lo, hi) in zip(spatial, kernel, padding))


def correlate(xp, w, stride=(2, 2), dilation=(1, 1), groups=1):
    """Stride-2 correlation of a padded input through its phases (module docstring).

    Parameters
    ----------
    xp : ndarray, shape (N, C_in, H, W)
    w : ndarray, shape (C_out, C_in, kh, kw), 5 <= kh, kw <= 8

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
    right))``; the padding goes into the phase split (no padded copy).

    Examples
    --------
    >>> import numpy as np
    >>> y = unpadded(np.ones((1, 1, 8, 8)), np.ones((1, 1, 7, 7)), (2, 2), (1, 1), 1,
    ...              ((3, 3), (3, 3)))
    >>> y[0, 0, 0].tolist()
    [16.0, 24.0, 28.0, 20.0]
    """
    from .winograd_f3_jit import PHASE_INPUT

    oh, ow = _output_spatial(x.shape[2:], w.shape[2:], padding)
    u = _transformed(phase_kernel(w), x.dtype)
    transforms = (PHASE_INPUT, _kernels()[1])  # reads the phases of x in place
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
    sub-kernels), merged back into the input grid.

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
    u = _transformed(phase_kernel(w), g.dtype, flip=True)
    shape = (oh + TAPS - 1, ow + TAPS - 1)
    pad = (TAPS - 1, TAPS - 1)
    phases = winograd_pipeline.run(g, u, pad, shape, (1, 1), TILE, transforms=_kernels())
    return merge_phases(phases, padding[0][0], padding[1][0], spatial)


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
    phases, ``(K, 4C, 4, 4)``, its taps put back into the ``(K, C, kh, kw)`` kernel.

    Examples
    --------
    >>> import numpy as np
    >>> dw = unpadded_weight_grad(np.ones((1, 1, 8, 8)), np.ones((1, 1, 4, 4)), (7, 7),
    ...                           (2, 2), (1, 1), 1, ((3, 3), (3, 3)))
    >>> np.round(dw[0, 0, 0], 9).tolist()  # cells of x each tap of row 0 meets
    [4.0, 6.0, 6.0, 8.0, 8.0, 6.0, 6.0]
    """
    from .winograd_f3_jit import G

    oh, ow = g.shape[2:]
    phases = split_phases(x, padding[0][0], padding[1][0], oh + TAPS - 1, ow + TAPS - 1)
    if g.dtype != x.dtype:
        g = g.astype(x.dtype)
    dw4 = winograd_pipeline.run_weight_grad(
        phases, g, (0, 0), (1, 1), TILE, transforms=_kernels(gradient=True), g_matrix=G
    )
    k_out, c4 = dw4.shape[:2]
    # (K, C, a, b, i, j) -> (K, C, 2i + a, 2j + b), cut to the kernel
    full = dw4.reshape(k_out, c4 // 4, 2, 2, TAPS, TAPS).transpose(0, 1, 4, 2, 5, 3)
    full = full.reshape(k_out, c4 // 4, 2 * TAPS, 2 * TAPS)
    return np.ascontiguousarray(full[:, :, : kernel[0], : kernel[1]], dtype=x.dtype)
