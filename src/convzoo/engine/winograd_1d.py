"""Winograd for 1-D convolutions of up to 9 taps by nesting the kernel into a 3x3 one.

"Winograd's nesting": a 9-tap correlation ``y[p] = sum_{t<9} x[p + t] w[t]`` is a 2-D 3x3
correlation. With ``t = 3a + b`` and ``p = 3q + r``, the overlapping 2-D view
``X[i, j] = x[3i + j]`` (``j = 0..5``: rows 3 elements apart, 6 long) and the kernel
``W2[a, b] = w[3a + b]`` give::

    y[3q + r] = sum_{a, b < 3} X[q + a, r + b] W2[a, b]        (r = 0, 1, 2)

a valid 3x3 correlation whose output column ``r = 3`` (the next row's ``r = 0``) is
cropped. The 2-D F(4x4, 3x3) and F(2x2, 3x3) pipeline of :mod:`.winograd_pipeline` runs on
that view unchanged: F(4x4) computes 12 outputs (4 rows of 3) from one 6x6 tile with 36
products instead of ``12 * 9 = 108`` (3x fewer; F(2x2) needs two 4x4 tiles for 6 outputs,
about 1.7x fewer). Kernels with ``k < 9`` taps are zero-padded to 9 (the saving shrinks to
``3k/9``).

The only copy is the zero-padded input (the view needs the padding in memory); the output
is written into a ``(N, K, Q, 3)`` reshape of a ``(N, K, 3Q)`` buffer and cropped to the
output length (a view, not a copy). Gradients reuse the same views: the input gradient is
the forward correlation of the output gradient with the flipped, channel-swapped kernel, the
weight gradient is Winograd's adjoint on the view (``dW2[k, c, a, b] = dw[k, c, 3a + b]``).

References
----------
Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016,
arXiv:1509.09308 (F(4x4, 3x3) and F(2x2, 3x3); section 3 on nesting 1-D minimal
algorithms into 2-D ones).
"""

from __future__ import annotations

import math

import numpy as np

from . import winograd, winograd_pipeline
from .gemm import gemm_efficiency

__all__ = [
    "MAX_TAPS",
    "supports",
    "nested_problem",
    "CELL_COSTS",
    "cost",
    "weight_grad_cost",
    "multiplications",
    "unpadded",
    "unpadded_transpose",
    "unpadded_weight_grad",
]

#: Longest kernel the nesting handles (3 x 3 taps).
MAX_TAPS = 9

#: Time of the zero-padded input copy per element, in units of one multiply-add at BLAS
#: peak (a streaming copy; the same order as :func:`.gemm.cost`'s 8 units per gathered
#: element, with contiguous reads and writes).
COPY_COST = 4


def supports(problem, m: int = 4) -> bool:
    """1-D, at most :data:`MAX_TAPS` taps, stride 1, dilation 1, one group, numba present.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> f32 = np.dtype("float32")
    >>> supports(Problem((8, 128, 2056), (128, 128, 9), (1,), (1,), 1, f32))
    True
    >>> supports(Problem((8, 128, 2056), (128, 128, 10), (1,), (1,), 1, f32))
    False
    """
    from .direct import numba_available

    return (
        len(problem.weight_shape) == 3
        and problem.weight_shape[2] <= MAX_TAPS
        and tuple(problem.stride) == (1,)
        and tuple(problem.dilation) == (1,)
        and problem.groups == 1
        and numba_available()
    )


def _rows(out_len: int) -> int:
    """Rows ``Q`` of the nested output: ``3Q >= out_len``."""
    return max(1, math.ceil(out_len / 3))


def nested_problem(problem):
    """The 2-D 3x3 problem the nesting computes: input ``(N, C, Q + 2, 6)``, kernel
    ``(K, C, 3, 3)``, with ``Q = ceil(L_out / 3)`` output rows.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> p = Problem((8, 128, 2056), (128, 128, 9), (1,), (1,), 1, np.dtype("float32"))
    >>> q = nested_problem(p)
    >>> q.input_shape, q.weight_shape, q.output_spatial
    ((8, 128, 685, 6), (128, 128, 3, 3), (683, 4))
    """
    from .select import Problem

    n, c_in = problem.input_shape[:2]
    q = _rows(problem.output_spatial[0])
    weight = (*problem.weight_shape[:2], 3, 3)
    return Problem((n, c_in, q + 2, 6), weight, (1, 1), (1, 1), 1, problem.dtype)


#: Measured time of the tile transforms per transformed cell and channel, in the units of
#: :data:`.winograd.INPUT_CELL_COST` (one multiply-add at BLAS peak, single thread, float32,
#: 2-core AMD EPYC): ``{m: (input, output, output gradient)}``. F(4x4) runs the nested
#: kernels of :mod:`.winograd_1d_jit`; F(2x2) the 2-D kernels, two tiles per tile row.
CELL_COSTS = {4: (31, 20, 16), 2: (74, 23, 25)}


def _tiles(problem, m: int) -> int:
    """Tiles of the nested problem: ``N * ceil(Q / m) * ceil(3 / m)``."""
    return problem.input_shape[0] * math.ceil(_rows(problem.output_spatial[0]) / m) * (-(-3 // m))


def _copy_cost(problem) -> float:
    n, c_in = problem.input_shape[:2]
    return COPY_COST * n * c_in * (3 * _rows(problem.output_spatial[0]) + 9)


def _products_cost(problem, m: int) -> float:
    a, tiles = m + 2, _tiles(problem, m)
    c_out, c_in = problem.weight_shape[:2]
    return a * a * c_out * c_in * tiles / gemm_efficiency(c_out, c_in, tiles)


def cost(problem, m: int = 4) -> float:
    """Estimated time of :func:`unpadded` in the units of :func:`.winograd.cost` (one
    multiply-add at BLAS peak): the ``a*a`` products of the nested tiles at their BLAS
    efficiency, the tile transforms (:data:`CELL_COSTS` per cell and channel), the weight
    transform (:data:`.winograd.WEIGHT_CELL_COST`) and the zero-padded input copy
    (:data:`COPY_COST` per element).

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> from convzoo.engine import gemm
    >>> f32 = np.dtype("float32")
    >>> k9 = Problem((8, 128, 2056), (128, 128, 9), (1,), (1,), 1, f32)
    >>> bool(cost(k9) < gemm.cost(k9))
    True
    >>> thin = Problem((8, 4, 2056), (4, 4, 9), (1,), (1,), 1, f32)
    >>> bool(cost(thin) < gemm.cost(thin))
    False
    """
    a, tiles = m + 2, _tiles(problem, m)
    c_out, c_in = problem.weight_shape[:2]
    cell_in, cell_out, _ = CELL_COSTS[m]
    transforms = (cell_in * c_in + cell_out * c_out) * a * a * tiles
    weights = winograd.WEIGHT_CELL_COST * a * a * c_out * c_in
    return _products_cost(problem, m) + transforms + weights + _copy_cost(problem)


def weight_grad_cost(problem, m: int = 4) -> float:
    """Estimated time of :func:`unpadded_weight_grad`: the products and the input and
    output-gradient transforms (:data:`CELL_COSTS`), the copies of the input and the output
    gradient; infinite where :func:`.winograd.weight_grad_cost` is (the per-thread sums of
    the products would pass the memory bound).

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> from convzoo.engine import gemm
    >>> p = Problem((8, 128, 2056), (128, 128, 9), (1,), (1,), 1, np.dtype("float32"))
    >>> bool(weight_grad_cost(p) < gemm.weight_grad_cost(p))
    True
    """
    if math.isinf(winograd.weight_grad_cost(nested_problem(problem), m)):
        return math.inf
    a, tiles = m + 2, _tiles(problem, m)
    c_out, c_in = problem.weight_shape[:2]
    cell_in, _, cell_grad = CELL_COSTS[m]
    transforms = (cell_in * c_in + cell_grad * c_out) * a * a * tiles
    grad_copy = COPY_COST * problem.input_shape[0] * c_out * 3 * _rows(problem.output_spatial[0])
    return _products_cost(problem, m) + transforms + _copy_cost(problem) + grad_copy


def multiplications(problem, m: int = 4) -> dict:
    """Multiplications of the nested Winograd method against the direct method.

    Returns a dict like :func:`.winograd.multiplications`: ``direct``
    (``N*K*C*k*L_out``), ``elementwise`` (``a*a*K*C*tiles`` of the nested 2-D problem),
    ``transforms`` (its transform multiplications, upper bound) and ``saving``
    (``direct / elementwise``: ``3k/9`` for F(4x4) on long inputs, 3x for ``k = 9``).

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> f32 = np.dtype("float32")
    >>> p = Problem((8, 128, 2056), (128, 128, 9), (1,), (1,), 1, f32)
    >>> counts = multiplications(p, 4)
    >>> counts["direct"], counts["elementwise"], round(counts["saving"], 2)
    (2415919104, 806879232, 2.99)
    >>> p7 = Problem((8, 128, 2054), (128, 128, 7), (1,), (1,), 1, f32)
    >>> round(multiplications(p7, 4)["saving"], 2), round(multiplications(p, 2)["saving"], 2)
    (2.33, 1.68)
    """
    counts = winograd.multiplications(nested_problem(problem), m)
    counts["direct"] = problem.macs
    counts["saving"] = problem.macs / counts["elementwise"]
    return counts


def _padded_copy(x, lo: int, size: int):
    """``(N, C, size)`` zero-filled copy ``xpad[s] = x[s - lo]`` (``lo`` may be negative:
    ``x`` is cropped)."""
    n, c_in, length = x.shape
    buffer = np.zeros((n, c_in, size), dtype=x.dtype)
    first, last = max(0, -lo), min(length, size - lo)  # the part of x inside the buffer
    if first < last:
        buffer[:, :, first + lo : last + lo] = x[:, :, first:last]
    return buffer


def _tile_rows(out_len: int, m: int) -> int:
    """Tile rows of the nested problem per signal: ``ceil(Q / m)``."""
    return math.ceil(_rows(out_len) / m)


def _nested_view(x, lo: int, out_len: int, m: int = 4):
    """``(N, C, R, 6)`` overlapping view ``X[i, j] = xpad[3i + j]`` of a zero-filled copy
    ``xpad[s] = x[s - lo]`` (``lo`` may be negative: ``x`` is cropped), ``R = m * ceil(Q / m)
    + 2`` rows: every tile row the F(m x m) pipeline reads.

    Examples
    --------
    >>> import numpy as np
    >>> view = _nested_view(np.arange(1.0, 6.0).reshape(1, 1, 5), 1, 4, m=2)
    >>> view[0, 0].tolist()
    [[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], [3.0, 4.0, 5.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]
    """  # noqa: E501
    rows = m * _tile_rows(out_len, m) + 2
    buffer = _padded_copy(x, lo, 3 * rows + 3)  # X[rows - 1, 5] = xpad[3 * rows + 2]
    s_n, s_c, s_t = buffer.strides
    # (N, C, 3*rows + 3) -> (N, C, rows, 6), rows overlapping by 3 elements
    return np.lib.stride_tricks.as_strided(
        buffer, (*buffer.shape[:2], rows, 6), (s_n, s_c, 3 * s_t, s_t), writeable=False
    )


def _nested_weights(w, m: int, dtype):
    """``U`` of the nested kernels: ``(K, C, k) -> (K, C, 9) -> (K, C, 3, 3)``, transformed."""
    k_out, c_in, taps = w.shape
    w9 = np.zeros((k_out, c_in, MAX_TAPS), dtype=dtype)
    w9[:, :, :taps] = w
    return winograd_pipeline.transform_weights(w9.reshape(k_out, c_in, 3, 3), m, dtype)


def _forward(x, w, lo: int, out_len: int, m: int):
    """``y[n, k, p] = sum_{c, t} x[n, c, p + t - lo] w[k, c, t]`` for ``p < out_len``."""
    n, k_out = x.shape[0], w.shape[0]
    u = _nested_weights(w, m, x.dtype)
    view = _nested_view(x, lo, out_len, m)
    tiles = _tile_rows(out_len, m)
    rows = m * tiles
    y = np.empty((n, k_out, 3 * rows), dtype=x.dtype)
    nested_out = y.reshape(n, k_out, rows, 3)  # (N, K, 3R) -> (N, K, R, 3), written in place
    transforms = None
    if m == 4:  # one tile per tile row: the nested kernels
        from .winograd_1d_jit import input_nested_f4, output_nested_f4

        transforms = (input_nested_f4, output_nested_f4)
    winograd_pipeline.run(view, u, (0, 0), (rows, 3), (1, 1), m, nested_out, transforms)
    return y if 3 * rows == out_len else y[:, :, :out_len]


def unpadded(x, w, stride, dilation, groups, padding, m: int = 4):
    """1-D correlation of ``x`` zero-padded by ``padding`` ``((lo, hi),)``, by nesting.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, L)
    w : ndarray, shape (C_out, C_in, k)
        ``k <= 9``.
    padding : tuple of (int, int)
    m : {2, 4}
        Output tile size of the 2-D algorithm.

    Returns
    -------
    ndarray, shape (N, C_out, L + lo + hi - k + 1)
        A cropped view of a slightly longer buffer when the length is not a multiple of 3.

    Notes
    -----
    ``y[3q + r] = sum_{a,b<3} xpad[3(q + a) + r + b] w[3a + b]``: a valid 3x3 correlation of
    the view ``X[i, j] = xpad[3i + j]`` with ``W2[a, b] = w[3a + b]``.

    Examples
    --------
    >>> import numpy as np
    >>> x, w = np.arange(10.0).reshape(1, 1, 10), np.ones((1, 1, 9))
    >>> unpadded(x, w, (1,), (1,), 1, ((4, 4),))[0, 0, :3].round(9).tolist()
    [10.0, 15.0, 21.0]
    """
    (lo, hi), taps = padding[0], w.shape[2]
    out_len = x.shape[2] + lo + hi - taps + 1
    return _forward(x, w, lo, out_len, m)


def _swap_and_flip(w):
    """The adjoint's kernel: ``(K, C, k) -> (C, K, k)``, taps reversed."""
    return w.transpose(1, 0, 2)[:, :, ::-1]


def unpadded_transpose(g, w, stride, dilation, groups, padding, spatial, m: int = 4):
    """Gradient of :func:`unpadded` in its (unpadded) input of length ``spatial[0]``.

    The forward correlation of ``g`` with the flipped, channel-swapped kernel, zero-padded
    by ``k - 1 - lo`` on the left (negative: cropped).

    Examples
    --------
    >>> import numpy as np
    >>> g = np.ones((1, 1, 3))
    >>> dx = unpadded_transpose(g, np.ones((1, 1, 3)), (1,), (1,), 1, ((1, 1),), (3,))
    >>> dx.round(9)[0, 0].tolist()
    [2.0, 3.0, 2.0]
    """
    lo, taps = padding[0][0], w.shape[2]
    return _forward(g, _swap_and_flip(w), taps - 1 - lo, spatial[0], m)


def transpose(g, w, stride, dilation, groups, full_spatial, m: int = 4):
    """Adjoint of the unpadded correlation in its input: ``(N, C_in, *full_spatial)``.

    Examples
    --------
    >>> import numpy as np
    >>> dx = transpose(np.ones((1, 1, 1)), np.arange(3.0).reshape(1, 1, 3), (1,), (1,), 1, (3,))
    >>> (dx.round(12) + 0.0)[0, 0].tolist()  # + 0.0: no negative zero
    [0.0, 1.0, 2.0]
    """
    return unpadded_transpose(g, w, stride, dilation, groups, ((0, 0),), full_spatial, m)


def unpadded_weight_grad(x, g, kernel, stride, dilation, groups, padding, m: int = 4):
    """Weight gradient of :func:`unpadded`: ``dw[k, c, t] = sum_{n, p} g[n, k, p]
    xpad[n, c, p + t]``, by Winograd's adjoint on the nested view.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, L)
    g : ndarray, shape (N, C_out, L_out)
    kernel : tuple of int
        ``(k,)``, ``k <= 9``.

    Returns
    -------
    ndarray, shape (C_out, C_in, k)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(5.0).reshape(1, 1, 5)
    >>> dw = unpadded_weight_grad(x, np.ones((1, 1, 3)), (3,), (1,), (1,), 1, ((0, 0),))
    >>> dw.round(9)[0, 0].tolist()
    [3.0, 6.0, 9.0]
    """
    lo, out_len, taps = padding[0][0], g.shape[2], kernel[0]
    view = _nested_view(x, lo, out_len, m)
    n, k_out, rows = g.shape[0], g.shape[1], view.shape[2] - 2
    # (N, K, L_out) -> zero-padded (N, K, 3R) -> (N, K, R, 3): columns past L_out are zero
    grad = np.zeros((n, k_out, 3 * rows), dtype=x.dtype)
    grad[:, :, :out_len] = g
    transforms = None
    if m == 4:  # one tile per tile row: the nested kernels
        from .winograd_1d_jit import grad_nested_f4, input_nested_f4

        transforms = (input_nested_f4, grad_nested_f4)
    dw2 = winograd_pipeline.run_weight_grad(view, grad.reshape(n, k_out, rows, 3), (0, 0),
                                            (1, 1), m, transforms)  # fmt: skip
    # (K, C, 3, 3) -> (K, C, 9) -> (K, C, k)
    return dw2.reshape(k_out, x.shape[1], MAX_TAPS)[:, :, :taps].astype(x.dtype, copy=True)
