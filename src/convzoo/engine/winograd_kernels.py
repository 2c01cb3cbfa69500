"""Winograd input and output tile transforms as numba kernels (Lavin & Gray 2016, §4).

The input transform ``V = B^T d B`` of every ``a x a`` tile ``d`` (``a = m + 2``) and the
output transform ``Y = A^T M A`` are written out as the few additions and scalings their
sparse matrices need (22 non-zeros in F(4x4)'s ``B^T`` instead of 36). Both kernels work on
one row of tiles at a time and vectorise over the tiles of that row:

* a tile's first axis is transformed on whole input rows (``B^T`` applied to ``a`` rows);
* for the second axis the rows are first de-interleaved by ``m`` (column ``m*q + r`` goes to
  ``[r, q]``), so that the ``a`` cells a tile needs are ``a`` *contiguous* runs over tiles.

Zero padding is implicit: cells outside the input read as zero (no padded copy). Dilation
``d`` is handled in the same index maps: tile ``t`` along an axis is block ``t // d``, phase
``t % d``; its cells are ``d`` apart. Kernels run serially (``nogil``); the caller runs one
tile chunk per thread (:mod:`.winograd`).

References
----------
Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016,
arXiv:1509.09308.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["kernels", "source_columns", "target_columns"]


def source_columns(m: int, d: int, tiles: int, pad: int, width: int) -> tuple[np.ndarray, int]:
    """Where tile ``t``'s column ``j`` is read from: ``(index [j, t], line length)``.

    Indices point into a zero-padded copy of one input row whose cell ``col`` sits at
    ``col + max(pad, 0)``; tile ``t`` along the axis is block ``t // d``, phase ``t % d``
    and reads columns ``block*m*d + phase + j*d - pad``.

    Examples
    --------
    >>> index, length = source_columns(2, 1, 2, 1, 3)
    >>> index.tolist(), length
    ([[0, 2], [1, 3], [2, 4], [3, 5]], 6)
    """
    block, phase = np.divmod(np.arange(tiles), d)
    cols = block[None, :] * m * d + phase[None, :] + np.arange(m + 2)[:, None] * d - pad
    shift = max(pad, 0)
    return (cols + shift).astype(np.int64), max(int(cols.max()) + 1, width) + shift


def target_columns(m: int, d: int, tiles: int, width: int) -> np.ndarray:
    """Output column of tile ``t``'s column ``r``, ``[r, t]`` (``-1``: cropped).

    Examples
    --------
    >>> target_columns(2, 1, 2, 3).tolist()
    [[0, 2], [1, -1]]
    """
    block, phase = np.divmod(np.arange(tiles), d)
    cols = block[None, :] * m * d + np.arange(m)[:, None] * d + phase[None, :]
    return np.where(cols < width, cols, -1).astype(np.int64)


@functools.cache
def kernels():
    """``(input_transform, output_transform)``, compiled on first use (cached on disk)."""
    try:
        from numba import njit
    except ImportError as error:  # pragma: no cover
        raise ImportError("algorithm 'winograd' needs numba: pip install convzoo[fast]") from error

    opts = dict(cache=True, fastmath=True, nogil=True)

    # 1-D transforms of n cells at a time: t[to + r*ts + q] = sum_i M[r, i] s[so + i*ss + q]
    # on flat buffers; the rows are taken as contiguous 1-D slices so the q loops vectorise
    @njit(**opts)
    def bt4(s, so, ss, t, to, ts, n):  # B^T of F(4x4, 3x3)
        s0, s1, s2 = s[so : so + n], s[so + ss : so + ss + n], s[so + 2 * ss : so + 2 * ss + n]
        s3, s4 = s[so + 3 * ss : so + 3 * ss + n], s[so + 4 * ss : so + 4 * ss + n]
        s5 = s[so + 5 * ss : so + 5 * ss + n]
        o0, o1, o2 = t[to : to + n], t[to + ts : to + ts + n], t[to + 2 * ts : to + 2 * ts + n]
        o3, o4 = t[to + 3 * ts : to + 3 * ts + n], t[to + 4 * ts : to + 4 * ts + n]
        o5 = t[to + 5 * ts : to + 5 * ts + n]
        for q in range(n):
            d0, d1, d2, d3, d4, d5 = s0[q], s1[q], s2[q], s3[q], s4[q], s5[q]
            t1, t2, t3, t4 = d4 - 4 * d2, d3 - 4 * d1, d4 - d2, 2 * (d3 - d1)
            o0[q], o1[q], o2[q] = 4 * d0 - 5 * d2 + d4, t1 + t2, t1 - t2
            o3[q], o4[q], o5[q] = t3 + t4, t3 - t4, 4 * d1 - 5 * d3 + d5

    @njit(**opts)
    def bt2(s, so, ss, t, to, ts, n):  # B^T of F(2x2, 3x3)
        s0, s1 = s[so : so + n], s[so + ss : so + ss + n]
        s2, s3 = s[so + 2 * ss : so + 2 * ss + n], s[so + 3 * ss : so + 3 * ss + n]
        o0, o1 = t[to : to + n], t[to + ts : to + ts + n]
        o2, o3 = t[to + 2 * ts : to + 2 * ts + n], t[to + 3 * ts : to + 3 * ts + n]
        for q in range(n):
            d0, d1, d2, d3 = s0[q], s1[q], s2[q], s3[q]
            o0[q], o1[q], o2[q], o3[q] = d0 - d2, d1 + d2, d2 - d1, d1 - d3

    @njit(**opts)
    def at4(s, so, ss, t, to, ts, n):  # A^T of F(4x4, 3x3)
        s0, s1, s2 = s[so : so + n], s[so + ss : so + ss + n], s[so + 2 * ss : so + 2 * ss + n]
        s3, s4 = s[so + 3 * ss : so + 3 * ss + n], s[so + 4 * ss : so + 4 * ss + n]
        s5 = s[so + 5 * ss : so + 5 * ss + n]
        o0, o1 = t[to : to + n], t[to + ts : to + ts + n]
        o2, o3 = t[to + 2 * ts : to + 2 * ts + n], t[to + 3 * ts : to + 3 * ts + n]
        for q in range(n):
            p0, p1, p2, p3, p4, p5 = s0[q], s1[q], s2[q], s3[q], s4[q], s5[q]
            s12, d12, s34, d34 = p1 + p2, p1 - p2, p3 + p4, p3 - p4
            o0[q], o1[q] = p0 + s12 + s34, d12 + 2 * d34
            o2[q], o3[q] = s12 + 4 * s34, d12 + 8 * d34 + p5

    @njit(**opts)
    def at2(s, so, ss, t, to, ts, n):  # A^T of F(2x2, 3x3)
        s0, s1 = s[so : so + n], s[so + ss : so + ss + n]
        s2, s3 = s[so + 2 * ss : so + 2 * ss + n], s[so + 3 * ss : so + 3 * ss + n]
        o0, o1 = t[to : to + n], t[to + ts : to + ts + n]
        for q in range(n):
            o0[q], o1[q] = s0[q] + s1[q] + s2[q], s1[q] - s2[q] - s3[q]

    @njit(**opts)
    def input_transform(x, row0, row1, th, pad_top, d, m, src, length, offset, v):
        # v (a*a, C, tiles) <- B^T d B of the tiles in tile rows [row0, row1) (row = b*th + ty);
        # row i of a tile is input row y0 + i*d, its column j is line[i, src[j, t]]
        a, height, width = m + 2, x.shape[2], x.shape[3]
        tw = src.shape[1]
        n = (row1 - row0) * tw
        first, unit = np.uint64(src[0, 0]), tw < 2 or src[0, 1] - src[0, 0] == m
        line = np.zeros((a, length), dtype=v.dtype)  # zero-padded input rows
        cells = np.empty((a, a, n), dtype=v.dtype)  # [i, j, tile]
        half = np.empty((a, a, n), dtype=v.dtype)  # B^T applied along i: [r, j, tile]
        channels, vf = x.shape[1], v.ravel()
        for c in range(channels):
            for row in range(row0, row1):
                b, ty = row // th, row % th
                y0 = (ty // d) * m * d + ty % d - pad_top
                base = (row - row0) * tw
                for i in range(a):
                    yy = y0 + i * d
                    if 0 <= yy < height:
                        line[i, offset : offset + width] = x[b, c, yy]
                    else:
                        line[i, offset : offset + width] = 0.0
                    if unit and m == 4:  # column j of tile t is src[0, 0] + 4*t + j
                        for tx in range(tw):
                            p = first + 4 * tx
                            cells[i, 0, base + tx], cells[i, 1, base + tx] = (
                                line[i, p],
                                line[i, p + 1],
                            )
                            cells[i, 2, base + tx], cells[i, 3, base + tx] = (
                                line[i, p + 2],
                                line[i, p + 3],
                            )
                            cells[i, 4, base + tx], cells[i, 5, base + tx] = (
                                line[i, p + 4],
                                line[i, p + 5],
                            )
                    else:
                        for j in range(a):
                            for tx in range(tw):
                                cells[i, j, base + tx] = line[i, src[j, tx]]
            cf, hf = cells.ravel(), half.ravel()
            for j in range(a):  # along i: cells [i, j, t] -> half [r, j, t]
                if m == 4:
                    bt4(cf, j * n, a * n, hf, j * n, a * n, n)
                else:
                    bt2(cf, j * n, a * n, hf, j * n, a * n, n)
            for r in range(a):  # along j: half [r, j, t] -> v [r*a + s, c, t]
                if m == 4:
                    bt4(hf, r * a * n, n, vf, (r * a * channels + c) * n, channels * n, n)
                else:
                    bt2(hf, r * a * n, n, vf, (r * a * channels + c) * n, channels * n, n)

    @njit(**opts)
    def output_transform(mm, row0, row1, th, d, m, dst, y):
        # y (N, K, OH, OW) <- A^T M A for tile rows [row0, row1); mm (a*a, K, tiles)
        a, oh = m + 2, y.shape[2]
        tw = dst.shape[1]
        n = (row1 - row0) * tw
        half = np.empty((a, m, n), dtype=y.dtype)  # A^T applied along the columns: [r, j, t]
        out = np.empty((m, m, n), dtype=y.dtype)  # [i, j, tile]
        k_out, mf, hf, of = y.shape[1], mm.ravel(), half.ravel(), out.ravel()
        for k in range(k_out):
            for r in range(a):  # along j: mm [r*a + j, k, t] -> half [r, j, t]
                if m == 4:
                    at4(mf, (r * a * k_out + k) * n, k_out * n, hf, r * m * n, n, n)
                else:
                    at2(mf, (r * a * k_out + k) * n, k_out * n, hf, r * m * n, n, n)
            for j in range(m):  # along i: half [r, j, t] -> out [i, j, t]
                if m == 4:
                    at4(hf, j * n, m * n, of, j * n, m * n, n)
                else:
                    at2(hf, j * n, m * n, of, j * n, m * n, n)
            for row in range(row0, row1):
                b, ty = row // th, row % th
                y0 = (ty // d) * m * d + ty % d
                base = (row - row0) * tw
                for i in range(m):
                    yy = y0 + i * d
                    if yy < oh:
                        target = y[b, k, yy]
                        for j in range(m):
                            for tx in range(tw):
                                col = dst[j, tx]
                                if col >= 0:
                                    target[col] = out[i, j, base + tx]

    return input_transform, output_transform
