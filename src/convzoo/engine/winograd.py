"""Winograd minimal filtering F(2x2, 3x3) and F(4x4, 3x3) for 3x3 stride-1 convolutions.

Lavin & Gray (arXiv:1509.09308) compute an ``m x m`` output tile of a 3x3 correlation from
an ``a x a`` input tile (``a = m + 2``) with ``a*a`` multiplications instead of ``9*m*m``::

    Y = A^T [ (G g G^T) * (B^T d B) ] A

``U = G g G^T`` (weights) and ``V = B^T d B`` (input tiles) are transformed once; the
element-wise product summed over input channels becomes ``a*a`` independent matrix products
``M[xi] = U[xi] @ V[xi]`` of shape ``(C_out, C_in) @ (C_in, tiles)``, done by BLAS. The
multiplication count of that stage is ``a^2 / (9 m^2)`` of the direct method: 4/9 for F(2x2)
(2.25x fewer) and 1/4 for F(4x4) (4x fewer).

The price is accuracy: the transforms of F(4x4, 3x3) have entries up to 8 and 1/24, so in
float32 its error is about 10x that of F(2x2) (see :func:`multiplications` and the tests:
both stay below 1e-3 relative to a float64 reference on unit-variance data).

Where the time goes and how it is kept short (:mod:`.winograd_pipeline`): the input and
output transforms are numba kernels that apply the sparse ``B^T`` and ``A^T`` as a few
additions (:mod:`.winograd_kernels`), read the *unpadded* input (cells outside it are zero:
no padded copy) and handle dilation in their index maps (a dilated 3x3 is tiled with cells
``d`` apart); each thread runs whole chunks of tiles (transform, products with
single-threaded BLAS, inverse transform) so the transformed tiles stay in its cache.

Gradients use the same machinery: the input gradient of a 3x3 stride-1 correlation is a
3x3 stride-1 correlation of the output gradient with the flipped, channel-swapped kernel
(:func:`transpose`, :func:`unpadded_transpose`), and the weight gradient is Winograd's own
adjoint, ``dW = G^T [sum over tiles (A dY A^T) * (B^T d B)] G`` (Lavin & Gray, section 5;
:func:`weight_grad`).

Other ranks reuse the same 2-D pipeline: a 3x3x3 layer is a sum over its depth taps of 2-D
runs (:mod:`.winograd_3d`), a 1-D kernel of up to 9 taps is nested into a 3x3 one
(:mod:`.winograd_1d`); every function below hands those problems to its module.

References
----------
Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016,
arXiv:1509.09308.
"""

from __future__ import annotations

import math

import numpy as np

from . import winograd_1d, winograd_3d, winograd_pipeline
from .gemm import gemm_efficiency

__all__ = [
    "TRANSFORMS",
    "supports",
    "cost",
    "correlate",
    "unpadded",
    "transpose",
    "unpadded_transpose",
    "weight_grad",
    "unpadded_weight_grad",
    "multiplications",
]

_F2 = (
    [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
    [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
    [[1, 1, 1, 0], [0, 1, -1, -1]],
)
_F4 = (
    [
        [4, 0, -5, 0, 1, 0],
        [0, -4, -4, 1, 1, 0],
        [0, 4, -4, -1, 1, 0],
        [0, -2, -1, 2, 1, 0],
        [0, 2, -1, -2, 1, 0],
        [0, 4, 0, -5, 0, 1],
    ],
    [
        [1 / 4, 0, 0],
        [-1 / 6, -1 / 6, -1 / 6],
        [-1 / 6, 1 / 6, -1 / 6],
        [1 / 24, 1 / 12, 1 / 6],
        [1 / 24, -1 / 12, 1 / 6],
        [0, 0, 1],
    ],
    [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
)
#: ``{m: (B^T, G, A^T)}`` for output tile size ``m`` (Lavin & Gray 2016, section 4).
TRANSFORMS = {m: tuple(np.array(t, dtype=np.float64) for t in f) for m, f in ((2, _F2), (4, _F4))}


def supports(problem, m: int = 4) -> bool:
    """3x3 kernels, 2-D, stride 1, any dilation, one group, numba present; or 3x3x3 kernels,
    3-D, the same with no dilation along depth (:mod:`.winograd_3d`); or 1-D kernels of up to
    9 taps, stride 1, dilation 1, one group (nested into 3x3: :mod:`.winograd_1d`).

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> p = Problem((1, 8, 10, 10), (8, 8, 3, 3), (1, 1), (2, 2), 1, np.dtype("float32"))
    >>> supports(p), supports(Problem((1, 8, 10, 10), (8, 8, 3, 3), (2, 2), (1, 1), 1,
    ...                               np.dtype("float32")))
    (True, False)
    >>> supports(Problem((8, 128, 2056), (128, 128, 9), (1,), (1,), 1, np.dtype("float32")))
    True
    """
    if len(problem.weight_shape) == 3:
        return winograd_1d.supports(problem, m)
    from .direct import numba_available

    if len(problem.weight_shape) == 5:
        return winograd_3d.supports(problem) and numba_available()
    return (
        tuple(problem.weight_shape[2:]) == (3, 3)
        and problem.stride == (1, 1)
        and problem.groups == 1
        and numba_available()
    )


def _tiles(problem, m):
    if len(problem.weight_shape) == 5:
        return winograd_3d.tiles(problem, m)
    (oh, ow), (dh, dw) = problem.output_spatial, problem.dilation
    counts = winograd_pipeline.tile_counts
    return problem.input_shape[0] * counts(oh, m, dh) * counts(ow, m, dw)


def multiplications(problem, m: int = 4) -> dict:
    """Multiplications of the Winograd method against the direct method for ``problem``.

    Returns a dict: ``direct`` (``N*K*C*9*H_out*W_out``), ``elementwise`` (the
    ``a*a*K*C*tiles`` products that replace them, Lavin & Gray's count), ``transforms``
    (multiplications by non-zero, non-unit transform entries, upper bound), and
    ``saving`` (``direct / elementwise``; below ``9m^2/a^2`` when tiles overhang).

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> p = Problem((1, 64, 58, 58), (64, 64, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    >>> counts = multiplications(p, 4)
    >>> counts["direct"], counts["elementwise"], round(counts["saving"], 2)
    (115605504, 28901376, 4.0)
    >>> round(multiplications(p, 2)["saving"], 2)
    2.25
    """
    if len(problem.weight_shape) == 3:
        return winograd_1d.multiplications(problem, m)
    bt, g, at = TRANSFORMS[m]
    a = m + 2
    c_out, c_in = problem.weight_shape[:2]
    if len(problem.weight_shape) == 5:  # every output slice reads 3 input slices
        c_in *= 3
    tiles = _tiles(problem, m)
    elementwise = a * a * c_out * c_in * tiles

    def scaled(matrix):  # entries that are neither 0 nor +-1 need a multiplication
        return int(np.count_nonzero((matrix != 0) & (np.abs(matrix) != 1)))

    per_input_tile = a * scaled(bt) * 2  # B^T d then (.) B: a columns/rows each
    per_output_tile = a * scaled(at) + m * scaled(at)
    transforms = tiles * (c_in * per_input_tile + c_out * per_output_tile)
    return {
        "direct": problem.macs,
        "elementwise": elementwise,
        "transforms": transforms,
        "saving": problem.macs / elementwise,
    }


#: Measured time of the tile transforms per transformed cell and channel, in units of one
#: multiply-add at BLAS peak (single thread, float32, 2-core AMD EPYC): the input transform
#: (copy with zero padding, two passes of ``B^T``) and the output or output-gradient one.
INPUT_CELL_COST, OUTPUT_CELL_COST = 67, 32
#: Same, per transformed weight ``U[xi, k, c]`` (written once, then read by every chunk): it
#: dominates when channels are many and images small (e.g. 256 channels at 14 x 14, batch 1).
WEIGHT_CELL_COST = 40


def cost(problem, m: int = 4) -> float:
    """Estimated time of :func:`correlate` in units of one multiply-add at BLAS peak
    (those of :func:`.gemm.cost`): the ``a*a`` products at their BLAS efficiency plus the
    tile and weight transforms (:data:`INPUT_CELL_COST`, :data:`OUTPUT_CELL_COST`,
    :data:`WEIGHT_CELL_COST` per cell).

    F(4x4) does ``(a/m)^2 = 2.25`` transformed cells per output against F(2x2)'s 4, and
    fewer products, so it wins unless the image is small next to its 4x4 tiles (the
    overhanging cells are computed and thrown away).

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> from convzoo.engine import gemm
    >>> p = Problem((8, 64, 58, 58), (64, 64, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    >>> bool(cost(p, 4) < min(cost(p, 2), gemm.cost(p)))
    True
    """
    if len(problem.weight_shape) == 3:
        return winograd_1d.cost(problem, m)
    if len(problem.weight_shape) == 5:
        return cost(winograd_3d.cost_problem(problem), m) + winograd_3d.copy_cost(problem)
    a = m + 2
    c_out, c_in = problem.weight_shape[:2]
    tiles = _tiles(problem, m)
    products = a * a * c_out * c_in * tiles / gemm_efficiency(c_out, c_in, tiles)
    transforms = (INPUT_CELL_COST * c_in + OUTPUT_CELL_COST * c_out) * a * a * tiles
    return products + transforms + WEIGHT_CELL_COST * a * a * c_out * c_in


def weight_grad_cost(problem, m: int = 4) -> float:
    """Estimated time of :func:`weight_grad`: that of :func:`cost` (the same products, summed
    over tiles, and transforms; the per-thread sums of the ``(a*a, K, C)`` products take the
    place of the weight transform), or infinite when even one thread's sums would pass the
    memory bound
    (:data:`.winograd_pipeline.WEIGHT_GRAD_SUMS_BYTES`, e.g. 512 x 512 channels in float64).

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> from convzoo.engine import gemm
    >>> p = Problem((8, 64, 58, 58), (64, 64, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    >>> bool(weight_grad_cost(p) < gemm.weight_grad_cost(p))
    True
    """
    if len(problem.weight_shape) == 3:
        return winograd_1d.weight_grad_cost(problem, m)
    a = m + 2
    c_out, c_in = problem.weight_shape[:2]
    if 2 * a * a * c_out * c_in * problem.dtype.itemsize > winograd_pipeline.WEIGHT_GRAD_SUMS_BYTES:
        return math.inf
    return cost(problem, m)


def _spatial_dilation(dilation):
    return tuple(dilation) if dilation is not None else (1, 1)


def correlate(xp, w, stride=(1, 1), dilation=(1, 1), groups=1, m: int = 4):
    """3x3 stride-1 correlation of a padded input by Winograd F(m x m, 3 x 3).

    Parameters
    ----------
    xp : ndarray, shape (N, C_in, H, W)
    w : ndarray, shape (C_out, C_in, 3, 3)
    dilation : tuple of int
    m : {2, 4}
        Output tile size.

    Returns
    -------
    ndarray, shape (N, C_out, H - 2*d_h, W - 2*d_w)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(36.0).reshape(1, 1, 6, 6)
    >>> w = np.ones((1, 1, 3, 3))
    >>> y = correlate(x, w, m=2)
    >>> y.shape, float(y[0, 0, 0, 0]), float(x[0, 0, :3, :3].sum())
    ((1, 1, 4, 4), 63.0, 63.0)
    """
    return unpadded(xp, w, stride, dilation, groups, ((0, 0),) * (xp.ndim - 2), m)


def unpadded(x, w, stride, dilation, groups, padding, m: int = 4):
    """:func:`correlate` of ``x`` zero-padded by ``padding`` ``((top, bottom), (left,
    right))``, without the padded copy.

    Examples
    --------
    >>> import numpy as np
    >>> y = unpadded(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), (1, 1), (1, 1), 1,
    ...              ((1, 1), (1, 1)), m=2)
    >>> y[0, 0].tolist()
    [[4.0, 6.0, 4.0], [6.0, 9.0, 6.0], [4.0, 6.0, 4.0]]
    """
    if x.ndim == 3:
        return winograd_1d.unpadded(x, w, stride, dilation, groups, padding, m)
    if x.ndim == 5:
        return winograd_3d.unpadded(x, w, stride, dilation, groups, padding, m)
    d = _spatial_dilation(dilation)
    size = [n + lo + hi - 2 * dd for n, (lo, hi), dd in zip(x.shape[2:], padding, d)]
    u = winograd_pipeline.transform_weights(w, m, x.dtype)
    return winograd_pipeline.run(x, u, (padding[0][0], padding[1][0]), size, d, m)


def transpose(g, w, stride, dilation, groups, full_spatial, m: int = 4):
    """Adjoint of :func:`correlate` in its input: ``(N, C_in, *full_spatial)``.

    A full correlation of ``g`` with the flipped, channel-swapped kernel (implicit padding
    ``2d``: no zero-padded copy of ``g``).

    Examples
    --------
    >>> import numpy as np
    >>> transpose(np.ones((1, 1, 1, 1)), np.arange(9.0).reshape(1, 1, 3, 3), (1, 1),
    ...           (1, 1), 1, (3, 3), m=2)[0, 0].tolist()
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]
    """
    if g.ndim == 3:
        return winograd_1d.transpose(g, w, stride, dilation, groups, full_spatial, m)
    if g.ndim == 5:
        zeros, full = ((0, 0),) * 3, tuple(full_spatial)
        return winograd_3d.unpadded_transpose(g, w, stride, dilation, groups, zeros, full, m)
    d = _spatial_dilation(dilation)
    u = winograd_pipeline.transform_weights(w, m, g.dtype, flip=True)
    return winograd_pipeline.run(g, u, (2 * d[0], 2 * d[1]), tuple(full_spatial), d, m)


def unpadded_transpose(g, w, stride, dilation, groups, padding, spatial, m: int = 4):
    """Gradient of :func:`unpadded` in its (unpadded) input: :func:`transpose` cropped by
    ``padding``, computed directly on the ``spatial`` grid.

    Examples
    --------
    >>> import numpy as np
    >>> unpadded_transpose(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), (1, 1), (1, 1), 1,
    ...                    ((1, 1), (1, 1)), (3, 3), m=2)[0, 0, 0].tolist()
    [4.0, 6.0, 4.0]
    """
    if g.ndim == 3:
        return winograd_1d.unpadded_transpose(g, w, stride, dilation, groups, padding, spatial, m)
    if g.ndim == 5:
        return winograd_3d.unpadded_transpose(g, w, stride, dilation, groups, padding, spatial, m)
    d = _spatial_dilation(dilation)
    u = winograd_pipeline.transform_weights(w, m, g.dtype, flip=True)
    pad = (2 * d[0] - padding[0][0], 2 * d[1] - padding[1][0])
    return winograd_pipeline.run(g, u, pad, tuple(spatial), d, m)


def weight_grad(xp, g, kernel, stride, dilation, groups, m: int = 4):
    """Weight gradient of :func:`correlate` by Winograd (Lavin & Gray 2016, section 5).

    Parameters
    ----------
    xp : ndarray, shape (N, C_in, H, W)
    g : ndarray, shape (N, C_out, H - 2*d_h, W - 2*d_w)

    Returns
    -------
    ndarray, shape (C_out, C_in, 3, 3)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> dw = weight_grad(x, np.ones((1, 1, 2, 2)), (3, 3), (1, 1), (1, 1), 1, m=2)
    >>> float(dw[0, 0, 0, 0]), float(x[0, 0, :2, :2].sum())
    (10.0, 10.0)
    """
    zeros = ((0, 0),) * (xp.ndim - 2)
    return unpadded_weight_grad(xp, g, kernel, stride, dilation, groups, zeros, m)


def unpadded_weight_grad(x, g, kernel, stride, dilation, groups, padding, m: int = 4):
    """:func:`weight_grad` of ``x`` zero-padded by ``padding``, without the padded copy.

    Examples
    --------
    >>> import numpy as np
    >>> dw = unpadded_weight_grad(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), (3, 3),
    ...                           (1, 1), (1, 1), 1, ((1, 1), (1, 1)), m=2)
    >>> dw[0, 0].tolist()
    [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    if x.ndim == 3:
        return winograd_1d.unpadded_weight_grad(x, g, kernel, stride, dilation, groups, padding, m)
    if x.ndim == 5:
        return winograd_3d.unpadded_weight_grad(x, g, kernel, stride, dilation, groups, padding, m)
    d = _spatial_dilation(dilation)
    pad = (padding[0][0], padding[1][0])
    return winograd_pipeline.run_weight_grad(x, g, pad, d, m).astype(x.dtype, copy=False)
