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

Padding is applied upstream; tiles that overhang the output are computed on zeros and
cropped. On flattened tiles both transforms are Kronecker products (``vec(B^T d B) =
(B^T kron B^T) vec(d)``), so each is a single BLAS product; numba kernels (run in parallel
over ``(image, channel)`` planes, :mod:`.parallel`, cached on disk) only gather the
overlapping tiles and scatter the output tiles back.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from . import winograd_threads
from .gemm import gemm_efficiency
from .parallel import num_threads, parallel_for
from .winograd_kernels import kernels, source_columns, target_columns

__all__ = [
    "TRANSFORMS",
    "supports",
    "cost",
    "correlate",
    "unpadded",
    "transpose",
    "unpadded_transpose",
    "transform_weights",
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

#: Transformed-tile workspace per chunk of the batch (bytes): small enough to stay in cache
#: (measured: 4-8x less memory traffic and 3-5x faster than one 32 MiB chunk).
WORKSPACE_BYTES = 4 * 2**20


def supports(problem, m: int = 4) -> bool:
    """3x3 kernels, 2-D, stride 1, any dilation (polyphase), one group, numba present."""
    from .direct import numba_available

    return (
        tuple(problem.weight_shape[2:]) == (3, 3)
        and problem.stride == (1, 1)
        and problem.groups == 1
        and numba_available()
    )


def _tiles(problem, m):
    (oh, ow), (dh, dw) = problem.output_spatial, problem.dilation
    return problem.input_shape[0] * _tile_counts(oh, m, dh) * _tile_counts(ow, m, dw)


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
    bt, g, at = TRANSFORMS[m]
    a = m + 2
    c_out, c_in = problem.weight_shape[:2]
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


def cost(problem, m: int = 4) -> float:
    """BLAS time of the ``a*a`` products and of the two Kronecker transforms, plus the
    gather/scatter passes and a per-BLAS-call overhead (units of :func:`.gemm.cost`).

    The dense Kronecker transforms cost ``a^4`` per input tile and ``m^2 a^2`` per output
    tile and channel, which is why F(4x4) (``a = 6``) wins over F(2x2) only when channels
    are many: the measured crossover on a 2-core machine is near 128 channels.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> from convzoo.engine import gemm
    >>> p = Problem((8, 64, 58, 58), (64, 64, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    >>> bool(cost(p) < gemm.cost(p))
    True
    """
    a = m + 2
    c_out, c_in = problem.weight_shape[:2]
    tiles = _tiles(problem, m)
    products = a * a * c_out * c_in * tiles / gemm_efficiency(c_out, c_in, tiles)
    copied = (a * a * c_in + m * m * c_out) * tiles  # transformed tiles written and read
    return products + 4 * copied


#: Transformed-tile workspace per chunk and thread (bytes): the input tiles ``V`` and the
#: products ``M`` of one chunk stay in that core's L2 cache between the three stages.
WORKSPACE_BYTES = 2**20


def transform_weights(w, m: int, dtype, flip: bool = False) -> np.ndarray:
    """``U = G g G^T`` of every 3x3 kernel, laid out for the ``a*a`` products.

    With ``flip``, the kernel of the adjoint (flipped, in/out channels swapped) is
    transformed instead: ``(K, C, 3, 3) -> (a*a, C, K)``.

    Parameters
    ----------
    w : ndarray, shape (K, C, 3, 3)

    Returns
    -------
    ndarray, shape (a*a, K, C)
        On flattened kernels the transform is one product with ``G kron G``.

    Examples
    --------
    >>> import numpy as np
    >>> transform_weights(np.ones((1, 1, 3, 3)), 2, np.float64)[:, 0, 0].tolist()[:4]
    [1.0, 1.5, 0.5, 1.0]
    """
    g = TRANSFORMS[m][1]
    a = m + 2
    k, c = w.shape[:2]
    flat = w.reshape(k, c, 9).astype(dtype, copy=False)
    # (K, C, 9) -> (9, K, C), or flipped and swapped: (K, C, 9) -> (9, C, K)
    flat = flat[:, :, ::-1].transpose(2, 1, 0) if flip else flat.transpose(2, 0, 1)
    kron = np.kron(g, g).astype(dtype)  # (a*a, 9)
    out = kron @ np.ascontiguousarray(flat).reshape(9, -1)
    return out.reshape(a * a, *flat.shape[1:])


def _tile_counts(out_size: int, m: int, d: int) -> int:
    return math.ceil(out_size / (m * d)) * d


def _run(x, u, pad, out_shape, d, m):
    """``y[o] = sum_t x[o - pad + d*t] U-transformed weights``, out-of-range cells zero.

    ``x`` (N, C, H, W), ``u`` (a*a, K, C) from :func:`transform_weights`, ``pad`` the
    (top, left) offsets, ``out_shape`` (OH, OW), ``d`` the (row, column) dilation.
    Chunks of tile rows go to threads; each runs transform, products and inverse transform
    on its chunk with single-threaded BLAS (:mod:`.winograd_threads`).
    """
    input_transform, output_transform = kernels()
    x = np.ascontiguousarray(x)
    n, c_in, _, width = x.shape
    a, k_out = m + 2, u.shape[1]
    (oh, ow), (dh, dw) = out_shape, d
    th, tw = _tile_counts(oh, m, dh), _tile_counts(ow, m, dw)
    src, length = source_columns(m, dw, tw, pad[1], width)
    dst = target_columns(m, dw, tw, ow)
    y = np.empty((n, k_out, oh, ow), dtype=x.dtype)
    row_bytes = a * a * (c_in + k_out) * tw * x.itemsize
    rows = n * th
    threads = num_threads() if winograd_threads.available() else 1
    step = max(1, min(WORKSPACE_BYTES // row_bytes, math.ceil(rows / threads)))
    starts = list(range(0, rows, step))
    claim = itertools.count()  # next chunk to take (dynamic: threads may run unevenly)

    def worker(first, last):
        v_buf = np.empty(a * a * c_in * step * tw, dtype=x.dtype)
        m_buf = np.empty(a * a * k_out * step * tw, dtype=x.dtype)
        for index in claim:
            if index >= len(starts):
                return
            row0 = starts[index]
            row1 = min(rows, row0 + step)
            tiles = (row1 - row0) * tw
            v = v_buf[: a * a * c_in * tiles].reshape(a * a, c_in, tiles)
            mm = m_buf[: a * a * k_out * tiles].reshape(a * a, k_out, tiles)
            input_transform(x, row0, row1, th, pad[0], dh, m, src, length, max(pad[1], 0), v)
            np.matmul(u, v, out=mm)  # (a*a, K, C) @ (a*a, C, T) -> (a*a, K, T)
            output_transform(mm, row0, row1, th, dh, m, dst, y)

    with winograd_threads.single_threaded_blas():
        parallel_for(worker, min(threads, len(starts)))
    return y


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
    return unpadded(xp, w, stride, dilation, groups, ((0, 0), (0, 0)), m)


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
    d = _spatial_dilation(dilation)
    size = [n + lo + hi - 2 * dd for n, (lo, hi), dd in zip(x.shape[2:], padding, d)]
    u = transform_weights(w, m, x.dtype)
    return _run(x, u, (padding[0][0], padding[1][0]), size, d, m)


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
    d = _spatial_dilation(dilation)
    u = transform_weights(w, m, g.dtype, flip=True)
    return _run(g, u, (2 * d[0], 2 * d[1]), tuple(full_spatial), d, m)


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
    d = _spatial_dilation(dilation)
    u = transform_weights(w, m, g.dtype, flip=True)
    pad = (2 * d[0] - padding[0][0], 2 * d[1] - padding[1][0])
    return _run(g, u, pad, tuple(spatial), d, m)
