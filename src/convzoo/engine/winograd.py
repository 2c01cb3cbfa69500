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

import functools
import math

import numpy as np

from .gemm import gemm_efficiency
from .parallel import parallel_for

__all__ = ["TRANSFORMS", "supports", "cost", "correlate", "multiplications"]

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


@functools.cache
def _kernels():
    try:
        from numba import njit
    except ImportError as error:  # pragma: no cover
        raise ImportError("algorithm 'winograd' needs numba: pip install convzoo[fast]") from error

    opts = dict(cache=True, fastmath=True, nogil=True)  # threads: see .parallel

    @njit(**opts)
    def gather_tiles(start, stop, xp, a, th, tw, out):
        # out: (a*a, C, n*th*tw) <- every a x a tile of xp (n, C, th*m + 2, tw*m + 2)
        channels = xp.shape[1]
        m = np.uint64(a - 2)
        utw = np.uint64(tw)
        for job in range(start, stop):  # (image, channel) planes
            b, c = job // channels, job % channels
            for ty in range(th):
                col = (b * th + ty) * tw
                for i in range(a):
                    src = xp[b, c, ty * (a - 2) + i]
                    for j in range(a):
                        dst = out[i * a + j, c, col : col + tw]
                        uj = np.uint64(j)
                        for tx in range(utw):
                            dst[tx] = src[tx * m + uj]

    @njit(**opts)
    def scatter_tiles(start, stop, tiles, m, th, tw, y):
        # y (n, K, oh, ow) <- tiles (m*m, K, n*th*tw), cropped at the border
        k_out, oh, ow = y.shape[1], y.shape[2], y.shape[3]
        um, utw = np.uint64(m), np.uint64(tw)
        row = np.empty(tw * m, dtype=y.dtype)
        for job in range(start, stop):  # (image, output channel) planes
            b, k = job // k_out, job % k_out
            for ty in range(th):
                col = (b * th + ty) * tw
                for i in range(m):
                    yy = ty * m + i
                    if yy >= oh:
                        break
                    for j in range(m):
                        src = tiles[i * m + j, k, col : col + tw]
                        uj = np.uint64(j)
                        for tx in range(utw):
                            row[tx * um + uj] = src[tx]
                    y[b, k, yy, :] = row[:ow]

    return gather_tiles, scatter_tiles


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
    oh, ow = problem.output_spatial
    return problem.input_shape[0] * math.ceil(oh / m) * math.ceil(ow / m)


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
    kron = (a**4 * c_in + m * m * a * a * c_out) * tiles  # dense transform GEMMs
    copied = (a * a * c_in + m * m * c_out) * tiles  # gather and scatter
    if problem.dilation != (1, 1):  # polyphase split and merge copy input and output
        copied += math.prod(problem.input_shape) + c_out * math.prod(problem.output_spatial)
    image_tiles = max(1, tiles // problem.input_shape[0])
    chunks = math.ceil(problem.input_shape[0] / _chunk(problem.input_shape[0], 0, image_tiles))
    calls = a * a * chunks  # small BLAS calls each pay a thread hand-off
    return products + kron + 8 * copied + 20_000 * calls


#: Fewest tiles per chunk: below this the ``a*a`` products get too thin for BLAS and the
#: transformed weights are re-read for too little work.
MIN_TILES = 384


def _chunk(n_batch, per_image_bytes, tiles_per_image):
    by_budget = WORKSPACE_BYTES // max(per_image_bytes, 1)
    by_width = math.ceil(MIN_TILES / max(tiles_per_image, 1))
    return max(1, min(n_batch, max(by_budget, by_width)))


def correlate(xp, w, stride=(1, 1), dilation=(1, 1), groups=1, m: int = 4):
    """3x3 stride-1 correlation of a padded input by Winograd F(m x m, 3 x 3).

    Parameters
    ----------
    xp : ndarray, shape (N, C_in, H + 2, W + 2)
    w : ndarray, shape (C_out, C_in, 3, 3)
    m : {2, 4}
        Output tile size.

    Returns
    -------
    ndarray, shape (N, C_out, H, W)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(36.0).reshape(1, 1, 6, 6)
    >>> w = np.ones((1, 1, 3, 3))
    >>> y = correlate(x, w, m=2)
    >>> y.shape, float(y[0, 0, 0, 0]), float(x[0, 0, :3, :3].sum())
    ((1, 1, 4, 4), 63.0, 63.0)
    """
    if tuple(dilation) != (1, 1):
        return _polyphase(xp, w, tuple(dilation), m)
    gather_tiles, scatter_tiles = _kernels()
    bt, g, at = (t.astype(xp.dtype) for t in TRANSFORMS[m])
    a = m + 2
    n_batch, c_in, height, width = xp.shape
    c_out = w.shape[0]
    oh, ow = height - 2, width - 2
    th, tw = math.ceil(oh / m), math.ceil(ow / m)
    # U = G g G^T: (a, 3) @ (K, C, 3, 3) @ (3, a) -> (K, C, a, a) -> (a*a, K, C)
    u = np.matmul(np.matmul(g, w.astype(xp.dtype, copy=False)), g.T)
    u = np.ascontiguousarray(u.transpose(2, 3, 0, 1)).reshape(a * a, c_out, c_in)
    # V = B^T d B and Y = A^T M A on flattened tiles are Kronecker products (one GEMM each)
    b_kron, a_kron = np.kron(bt, bt), np.kron(at, at)  # (a*a, a*a), (m*m, a*a)
    extra = ((0, 0), (0, 0), (0, th * m + 2 - height), (0, tw * m + 2 - width))
    xp = np.ascontiguousarray(np.pad(xp, extra) if any(e for _, e in extra) else xp)
    y = np.empty((n_batch, c_out, oh, ow), dtype=xp.dtype)
    step = _chunk(n_batch, a * a * th * tw * (2 * c_in + c_out) * xp.itemsize, th * tw)
    for start in range(0, n_batch, step):
        part = xp[start : start + step]
        tiles = part.shape[0] * th * tw
        d = np.empty((a * a, c_in, tiles), dtype=xp.dtype)
        parallel_for(gather_tiles, part.shape[0] * c_in, part, a, th, tw, d)
        v = np.matmul(b_kron, d.reshape(a * a, -1)).reshape(a * a, c_in, tiles)
        del d
        mm = np.matmul(u, v)  # (a*a, K, C) @ (a*a, C, T) -> (a*a, K, T)
        del v
        out_tiles = np.matmul(a_kron, mm.reshape(a * a, -1)).reshape(m * m, c_out, tiles)
        out = y[start : start + step]
        parallel_for(scatter_tiles, out.shape[0] * c_out, out_tiles, m, th, tw, out)
    return y


def _polyphase(xp, w, dilation, m):
    """Dilated 3x3 as ``dh*dw`` undilated ones on the polyphase components (space-to-batch).

    Output ``p = d*q + r`` only reads input cells ``d*(q + t) + r``: component ``r`` of the
    input (every ``d``-th cell from ``r``) correlated with the undilated kernel gives
    component ``r`` of the output. The components are stacked on the batch axis.
    """
    (dh, dw), (n, c, height, width) = dilation, xp.shape
    hq, wq = math.ceil(height / dh), math.ceil(width / dw)
    grid = np.zeros((n, c, hq * dh, wq * dw), dtype=xp.dtype)
    grid[..., :height, :width] = xp
    # (n, C, hq, dh, wq, dw) -> (dh, dw, n, C, hq, wq) -> (dh*dw*n, C, hq, wq)
    phases = grid.reshape(n, c, hq, dh, wq, dw).transpose(3, 5, 0, 1, 2, 4)
    yq = correlate(phases.reshape(dh * dw * n, c, hq, wq), w, m=m)
    k = yq.shape[1]
    # (dh, dw, n, K, hq-2, wq-2) -> (n, K, hq-2, dh, wq-2, dw) -> (n, K, H', W')
    y = yq.reshape(dh, dw, n, k, hq - 2, wq - 2).transpose(2, 3, 4, 0, 5, 1)
    y = y.reshape(n, k, (hq - 2) * dh, (wq - 2) * dw)
    return np.ascontiguousarray(y[..., : height - 2 * dh, : width - 2 * dw])
