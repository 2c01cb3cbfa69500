"""The Winograd pipeline: tile chunks, one per thread, through transform, products, inverse.

Forward (and input gradient, the same correlation with the adjoint kernel): each thread
takes a chunk of tile rows, writes its transformed input tiles ``V`` (``(a*a, C, tiles)``),
multiplies them by the transformed weights ``U`` (``a*a`` products ``(K, C) @ (C, tiles)``,
BLAS on that thread only, :func:`.blas.single_threaded`) and transforms the products back into
the output. Chunks are sized so ``V`` and the products stay in the core's L2 cache. When
``U`` itself is too large for a core's cache (:data:`SHARED_U_BYTES`), the chunks go in
rounds of one per thread whose products the threads share by transformed cell, so that
each ``(K, C)`` matrix of ``U`` is read once per round rather than once per chunk.

Weight gradient (Lavin & Gray 2016, section 5, via the adjoint of the forward identity
``Y = A^T [U * V] A``): ``dU = sum over tiles of (A dY A^T) * V``, so each thread transforms
output-gradient tiles ``Z = A dY A^T`` and input tiles ``V`` of its chunk and accumulates
the ``a*a`` products ``Z @ V^T``; then ``dW = G^T dU G``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from . import blas
from .parallel import num_threads, parallel_for
from .winograd_kernels import kernels, target_columns

__all__ = [
    "WORKSPACE_BYTES",
    "SHARED_U_BYTES",
    "transform_weights",
    "threaded_matmul",
    "tile_counts",
    "chunk_rows",
    "run",
    "run_weight_grad",
    "weight_grad_threads",
]

#: Transformed-tile workspace per chunk and thread (bytes): the input tiles ``V`` and the
#: products ``M`` of one chunk stay in that core's L2 cache between the three stages.
WORKSPACE_BYTES = 4 * 2**20

#: Fewest tiles per chunk (unless the problem has fewer): thinner products waste BLAS, and
#: each chunk streams the whole ``U`` (``a*a*K*C``) from memory.
MIN_TILES = 64


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
        ``U[a_i*a + b_i, k, c] = (G w[k, c] G^T)[a_i, b_i]``.

    Examples
    --------
    >>> import numpy as np
    >>> transform_weights(np.ones((1, 1, 3, 3)), 2, np.float64)[:, 0, 0].tolist()[:4]
    [1.0, 1.5, 0.5, 1.0]
    """
    a = m + 2
    k, c = w.shape[:2]
    w3 = np.ascontiguousarray(w.reshape(k, c, 9), dtype=dtype)  # read in place by the kernel
    u = np.empty((a * a, k * c), dtype=dtype)
    parallel_for(kernels(m)[3], k * c, w3, bool(flip), u)  # G g G^T, two passes of G
    return u.reshape(a * a, *((c, k) if flip else (k, c)))


def threaded_matmul(left, right):
    """``left @ right`` with the columns split over the engine's threads, each product on
    single-threaded BLAS (a wide, short product such as ``(36, 9) @ (9, K*C)`` is memory
    bound, and threaded BLAS on a busy machine was measured 10x slower).

    Examples
    --------
    >>> import numpy as np
    >>> threaded_matmul(np.eye(2), np.arange(6.0).reshape(2, 3)).tolist()
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    """
    out = np.empty((left.shape[0], right.shape[1]), dtype=np.result_type(left, right))
    threads = num_threads() if blas.threads_available() else 1
    blocks = min(threads, max(1, right.shape[1] // 4096))
    bounds = np.linspace(0, right.shape[1], blocks + 1).astype(int)

    def block(first, last):
        for lo, hi in zip(bounds[first:last], bounds[first + 1 : last + 1], strict=True):
            np.matmul(left, right[:, lo:hi], out=out[:, lo:hi])

    with blas.single_threaded():
        parallel_for(block, blocks)
    return out


def tile_counts(out_size: int, m: int, d: int) -> int:
    return math.ceil(out_size / (m * d)) * d


def chunk_rows(rows: int, threads: int, most: int) -> int:
    """Tile rows per chunk: at most ``most``, and the same number of chunks for every thread.

    Examples
    --------
    >>> chunk_rows(32, 2, 14)  # 4 chunks of 8 rather than 14 + 14 + 4
    8
    """
    per_thread = math.ceil(rows / (threads * max(most, 1)))
    return max(1, math.ceil(rows / (threads * per_thread)))


def run(x, u, pad, out_shape, d, m, out=None, transforms=None, store_args=()):
    """``y[n, k, o] = sum_{c, t} x[n, c, o - pad + d*t] w[k, c, t]``, cells of ``x`` outside
    it being zero, with ``u = transform_weights(w)``.

    ``x`` (N, C, H, W), ``u`` (a*a, K, C), ``pad`` the (top, left) offsets (negative: crop),
    ``out_shape`` (OH, OW), ``d`` the (row, column) dilation; returns (N, K, OH, OW), written
    into ``out`` if given. ``x`` and ``out`` may be strided views (rows of unit stride are
    read and written in place; :mod:`.winograd_3d` and :mod:`.winograd_1d` pass slices and
    overlapping views). ``transforms``, if given, replaces the ``(input, output)`` kernels
    (:mod:`.winograd_1d_jit`'s for the nested 1-D layout), and ``store_args`` are passed
    to the output kernel after its usual arguments (:mod:`.winograd_strided`'s kernels that
    store the stride phases into an input grid ``out``, of another shape, take its offsets).
    Chunks of tile rows go to threads; each runs transform, products and inverse transform
    on its chunk with single-threaded BLAS (:func:`.blas.single_threaded`).

    Examples
    --------
    >>> import numpy as np
    >>> u = transform_weights(np.ones((1, 1, 3, 3)), 4, np.float64)
    >>> y = run(np.ones((1, 1, 3, 3)), u, (1, 1), (3, 3), (1, 1), 4)
    >>> np.round(y[0, 0], 12).tolist()
    [[4.0, 6.0, 4.0], [6.0, 9.0, 6.0], [4.0, 6.0, 4.0]]
    """
    if transforms is None:
        input_transform, output_transform, _, _ = kernels(m, dilated=tuple(d) != (1, 1))
    else:
        input_transform, output_transform = transforms
    if x.strides[-1] != x.itemsize:
        x = np.ascontiguousarray(x)
    # a = m + r - 1 for an r x r kernel; the input kernel writes u's C channels (x's own,
    # or for :mod:`.winograd_strided` the four stride phases of each of x's)
    n, (a_a, k_out, c_in) = x.shape[0], u.shape
    a = math.isqrt(a_a)
    (oh, ow), (dh, dw) = out_shape, d
    th, tw = tile_counts(oh, m, dh), tile_counts(ow, m, dw)
    dst = target_columns(m, dw, tw, ow)
    y = np.empty((n, k_out, oh, ow), dtype=x.dtype) if out is None else out
    row_bytes = a * a * (c_in + k_out) * tw * x.itemsize
    rows = n * th
    threads = num_threads() if blas.threads_available() else 1
    step = chunk_rows(rows, threads, max(WORKSPACE_BYTES // row_bytes, -(-MIN_TILES // tw)))
    starts = list(range(0, rows, step))

    def buffers(row0):
        tiles = (min(rows, row0 + step) - row0) * tw
        v = np.empty((a * a, c_in, tiles), dtype=x.dtype)
        return v, np.empty((a * a, k_out, tiles), dtype=x.dtype)

    def transform_in(row0, v):
        input_transform(x, row0, min(rows, row0 + step), th, pad[0], dh, pad[1], dw, tw, v)

    def transform_out(row0, mm):
        output_transform(mm, row0, min(rows, row0 + step), th, dh, dst, y, *store_args)

    if threads > 1 and len(starts) > 1 and u.nbytes > SHARED_U_BYTES:
        with blas.single_threaded():
            _in_rounds(u, starts, threads, buffers, transform_in, transform_out)
        return y
    claim = itertools.count()  # next chunk to take (dynamic: threads may run unevenly)

    def worker(first, last):
        v_buf, m_buf = (b.ravel() for b in buffers(0))
        for index in claim:
            if index >= len(starts):
                return
            row0 = starts[index]
            tiles = (min(rows, row0 + step) - row0) * tw
            v = v_buf[: a * a * c_in * tiles].reshape(a * a, c_in, tiles)
            mm = m_buf[: a * a * k_out * tiles].reshape(a * a, k_out, tiles)
            transform_in(row0, v)
            np.matmul(u, v, out=mm)  # (a*a, K, C) @ (a*a, C, T) -> (a*a, K, T)
            transform_out(row0, mm)

    with blas.single_threaded():
        parallel_for(worker, min(threads, len(starts)))
    return y


#: Transformed weights ``U`` larger than this (bytes) are not streamed by every chunk: the
#: chunks go in rounds of one per thread, whose products the threads share by transformed
#: cell, each ``(K, C)`` matrix of ``U`` read once per round (:func:`_in_rounds`; on
#: resnet3x3_256, 9.4 MB of ``U``: 5.9 -> 5.4 ms). Smaller ``U`` stay in each core's cache.
SHARED_U_BYTES = 4 * 2**20


def _in_rounds(u, starts, threads, buffers, transform_in, transform_out):
    """:func:`run`'s chunks in rounds of one per thread: the threads transform their chunks'
    input tiles, then share the round's products by transformed cell (each ``U[xi]`` read
    once for all the round's chunks), then transform their chunks' products back."""

    def inputs(start, stop, work):
        for row0, v, _ in work[start:stop]:
            transform_in(row0, v)

    def products(start, stop, work):
        for xi in range(start, stop):
            for _, v, mm in work:
                np.matmul(u[xi], v[xi], out=mm[xi])

    def outputs(start, stop, work):
        for row0, _, mm in work[start:stop]:
            transform_out(row0, mm)

    for first in range(0, len(starts), threads):
        work = [(row0, *buffers(row0)) for row0 in starts[first : first + threads]]
        parallel_for(inputs, len(work), work)
        parallel_for(products, u.shape[0], work)
        parallel_for(outputs, len(work), work)


#: Workspace per chunk and thread for the weight gradient (bytes): ``Z`` and ``V`` of a chunk;
#: larger than :data:`WORKSPACE_BYTES` so each chunk's products are long sums over tiles.
WEIGHT_GRAD_WORKSPACE_BYTES = 4 * 2**20

#: Bound on the per-thread ``(a*a, K, C)`` sums of the weight gradient (one array per thread,
#: counted twice for the final reduction and mapping): threads beyond it are not used (the
#: engine's peak-memory budget is 64 MiB).
WEIGHT_GRAD_SUMS_BYTES = 48 * 2**20


def weight_grad_threads(a: int, c_out: int, c_in: int, itemsize: int) -> int:
    """Threads :func:`run_weight_grad` uses: all, unless their sums would pass the bound.

    Examples
    --------
    >>> weight_grad_threads(6, 512, 512, 8)  # 36*512*512*8 bytes = 72 MiB per sum
    1
    """
    per_thread = 2 * a * a * c_out * c_in * itemsize
    threads = num_threads() if blas.threads_available() else 1
    return max(1, min(threads, WEIGHT_GRAD_SUMS_BYTES // per_thread))


def run_weight_grad(x, g, pad, d, m, transforms=None, g_matrix=None, channels=None):
    """``dW[k, c, t] = sum_o g[k, o] x[c, o - pad + d*t]`` (out-of-range ``x`` zero) by
    Winograd: ``(K, C, 3, 3)`` from ``x`` (N, C, H, W) and ``g`` (N, K, OH, OW). As in
    :func:`run`, ``x`` and ``g`` may be strided or overlapping views whose rows have unit
    stride (they are read in place). ``transforms``, if given, replaces the input and
    output-gradient kernels of :func:`.winograd_kernels.kernels` (same arguments; the
    nested 1-D kernels of :mod:`.winograd_1d_jit`, or those of another kernel size), and
    ``g_matrix`` the ``(a, r)`` matrix ``G`` of F(m x m, 3 x 3) (another kernel size
    ``r``: the result is then ``(K, C, r, r)``); ``channels``, if given, is the number of
    channels the input kernel writes (``4C`` for :mod:`.winograd_strided`'s, which reads the
    stride phases of ``x`` in place; the result is then ``(K, channels, r, r)``).

    Each thread accumulates its chunks' ``a*a`` products ``Z @ V^T`` in its own ``(a*a, K,
    C)`` sum; the sums are added and mapped back by ``G^T dU G`` (one product with
    ``(G kron G)^T``).

    Examples
    --------
    >>> import numpy as np
    >>> dw = run_weight_grad(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), (1, 1), (1, 1), 4)
    >>> np.round(dw[0, 0], 12).tolist()
    [[4.0, 6.0, 4.0], [6.0, 9.0, 6.0], [4.0, 6.0, 4.0]]
    """
    from .winograd import TRANSFORMS

    if transforms is None:
        input_transform, _, grad_transform, _ = kernels(m)
    else:
        input_transform, grad_transform = transforms
    gt = TRANSFORMS[m][1] if g_matrix is None else g_matrix
    taps = gt.shape[1]
    if x.strides[-1] != x.itemsize:
        x = np.ascontiguousarray(x)
    if g.dtype != x.dtype or g.strides[-1] != g.itemsize:
        g = np.ascontiguousarray(g, dtype=x.dtype)
    n, c_in = x.shape[0], x.shape[1] if channels is None else channels
    a, k_out = gt.shape[0], g.shape[1]
    (oh, ow), (dh, dw) = g.shape[2:], d
    th, tw = tile_counts(oh, m, dh), tile_counts(ow, m, dw)
    dst = target_columns(m, dw, tw, ow)
    row_bytes = a * a * (c_in + k_out) * tw * x.itemsize
    rows = n * th
    threads = weight_grad_threads(a, k_out, c_in, x.itemsize)
    step = chunk_rows(rows, threads, WEIGHT_GRAD_WORKSPACE_BYTES // row_bytes)
    starts = list(range(0, rows, step))
    claim = itertools.count()
    sums = []

    def worker(first, last):
        v_buf = np.empty(a * a * c_in * step * tw, dtype=x.dtype)
        z_buf = np.empty(a * a * k_out * step * tw, dtype=x.dtype)
        total, product = None, None
        for index in claim:
            if index >= len(starts):
                break
            row0 = starts[index]
            row1 = min(rows, row0 + step)
            tiles = (row1 - row0) * tw
            v = v_buf[: a * a * c_in * tiles].reshape(a * a, c_in, tiles)
            z = z_buf[: a * a * k_out * tiles].reshape(a * a, k_out, tiles)
            input_transform(x, row0, row1, th, pad[0], dh, pad[1], dw, tw, v)
            grad_transform(g, row0, row1, th, dh, dst, z)
            vt = v.transpose(0, 2, 1)  # (a*a, C, T) -> (a*a, T, C)
            if total is None:
                total = np.matmul(z, vt)  # (a*a, K, T) @ (a*a, T, C) -> (a*a, K, C)
                product = np.empty_like(total[0])
            else:  # one (K, C) product at a time: no second (a*a, K, C) array
                for xi in range(a * a):
                    np.matmul(z[xi], vt[xi], out=product)
                    total[xi] += product
        if total is not None:
            sums.append(total)

    with blas.single_threaded():
        parallel_for(worker, min(threads, len(starts)))
    du = sums[0]
    for other in sums[1:]:
        du += other
    kron = np.kron(gt, gt).astype(x.dtype)  # (a*a, r*r)
    dw_flat = threaded_matmul(kron.T, du.reshape(a * a, -1))  # (r*r, a*a) @ (a*a, K*C)
    # (r*r, K, C) -> (K, C, r*r) -> (K, C, r, r)
    flat = dw_flat.reshape(taps * taps, k_out, c_in).transpose(1, 2, 0)
    return np.ascontiguousarray(flat).reshape(k_out, c_in, taps, taps)
