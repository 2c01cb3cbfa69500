"""numba kernels of Winograd F(3x3, 4x4): 4x4 kernels, 3x3 output tiles, 6x6 input tiles.

With the same six interpolation points as F(4x4, 3x3) (0, 1, -1, 2, -2 and infinity) the
input transform ``B^T`` is the same matrix (:func:`.winograd_jit.bt4`); only ``A^T`` (3 x 6)
and ``G`` (6 x 4) change::

    A^T = [[1, 1,  1, 1,  1, 0],        G = [[ 1/4,     0,    0,     0],
           [0, 1, -1, 2, -2, 0],             [-1/6,  -1/6, -1/6,  -1/6],
           [0, 1,  1, 4,  4, 1]]             [-1/6,   1/6, -1/6,   1/6],
                                             [1/24,  1/12,  1/6,   1/3],
                                             [1/24, -1/12,  1/6,  -1/3],
                                             [   0,     0,    0,     1]]

:mod:`.winograd_strided` uses them for stride-2 layers split into stride-1 phases. The kernels
take the arguments of :mod:`.winograd_jit`'s (so :func:`.winograd_pipeline.run` and
``run_weight_grad`` drive them) for the case they serve: dilation 1. The output kernel
applies ``A^T`` along the tile rows first, then computes each output row's three columns
per tile and stores them in place: no ``[i, j, tile]`` buffer and no scattered store.
"""

from __future__ import annotations

import numpy as np

from .winograd_jit import _OPTIONS, gather_grad, input_passes_f4, njit

__all__ = ["A_T", "G", "KERNELS", "PHASE_INPUT", "input_f3", "input_s2", "output_f3", "grad_f3"]

#: ``A^T`` (3 x 6) and ``G`` (6 x 4) of F(3x3, 4x4); ``B^T`` is F(4x4, 3x3)'s.
A_T = np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 1]], dtype=np.float64)
G = np.array(
    [
        [1 / 4, 0, 0, 0],
        [-1 / 6, -1 / 6, -1 / 6, -1 / 6],
        [-1 / 6, 1 / 6, -1 / 6, 1 / 6],
        [1 / 24, 1 / 12, 1 / 6, 1 / 3],
        [1 / 24, -1 / 12, 1 / 6, -1 / 3],
        [0, 0, 0, 1],
    ]
)


@njit(inline="always", **_OPTIONS)
def at3(s, so, ss, t, to, ts, n):  # A^T of F(3x3, 4x4): 6 cells -> 3
    s0, s1, s2 = s[so : so + n], s[so + ss : so + ss + n], s[so + 2 * ss : so + 2 * ss + n]
    s3, s4 = s[so + 3 * ss : so + 3 * ss + n], s[so + 4 * ss : so + 4 * ss + n]
    s5 = s[so + 5 * ss : so + 5 * ss + n]
    o0, o1, o2 = t[to : to + n], t[to + ts : to + ts + n], t[to + 2 * ts : to + 2 * ts + n]
    for q in range(n):
        p0, p1, p2, p3, p4, p5 = s0[q], s1[q], s2[q], s3[q], s4[q], s5[q]
        s12, d12, s34, d34 = p1 + p2, p1 - p2, p3 + p4, p3 - p4
        o0[q], o1[q], o2[q] = p0 + s12 + s34, d12 + 2 * d34, s12 + 4 * s34 + p5


@njit(inline="always", **_OPTIONS)
def a3(s, so, ss, t, to, ts, n):  # A = (A^T)^T of F(3x3, 4x4): 3 cells -> 6
    s0, s1, s2 = s[so : so + n], s[so + ss : so + ss + n], s[so + 2 * ss : so + 2 * ss + n]
    o0, o1, o2 = t[to : to + n], t[to + ts : to + ts + n], t[to + 2 * ts : to + 2 * ts + n]
    o3, o4 = t[to + 3 * ts : to + 3 * ts + n], t[to + 4 * ts : to + 4 * ts + n]
    o5 = t[to + 5 * ts : to + 5 * ts + n]
    for q in range(n):
        g0, g1, g2 = s0[q], s1[q], s2[q]
        e02, e4 = g0 + g2, g0 + 4 * g2
        o0[q], o1[q], o2[q] = g0, e02 + g1, e02 - g1
        o3[q], o4[q], o5[q] = e4 + 2 * g1, e4 - 2 * g1, g2


@njit(inline="always", **_OPTIONS)
def gather_f3(x, c, row0, row1, th, pad_top, pad_left, tw, cells):
    # cells [i, j, tile] <- the 6x6 cells of channel c's tiles in tile rows [row0, row1)
    # (row = b*th + ty): tile (ty, tx) starts at input cell (3ty - pad_top, 3tx - pad_left);
    # cells outside x are zero
    height, width = x.shape[2], x.shape[3]
    for row in range(row0, row1):
        b, ty = row // th, row % th
        base = (row - row0) * tw
        for i in range(6):
            yy = 3 * ty - pad_top + i
            out = cells[i]
            if not 0 <= yy < height:
                for j in range(6):
                    for t in range(tw):
                        out[j, base + t] = 0.0
                continue
            source = x[b, c, yy]
            for t in range(tw):
                p = 3 * t - pad_left
                if p >= 0 and p + 5 < width:
                    q = np.uint64(p)
                    out[0, base + t], out[1, base + t] = source[q], source[q + 1]
                    out[2, base + t], out[3, base + t] = source[q + 2], source[q + 3]
                    out[4, base + t], out[5, base + t] = source[q + 4], source[q + 5]
                else:
                    for j in range(6):
                        col = p + j
                        out[j, base + t] = source[col] if 0 <= col < width else 0.0


@njit(**_OPTIONS)
def input_f3(x, row0, row1, th, pad_top, d, pad_left, dw, tw, v):
    # v (36, C, tiles) <- B^T d B of the tiles in tile rows [row0, row1) of x (N, C, H, W)
    n, channels = (row1 - row0) * tw, x.shape[1]
    cells = np.empty((6, 6, n), dtype=v.dtype)  # [i, j, tile]
    half = np.empty((6, 6, n), dtype=v.dtype)  # B^T applied along i: [r, j, tile]
    cf, hf, vf = cells.ravel(), half.ravel(), v.ravel()
    for c in range(channels):
        gather_f3(x, c, row0, row1, th, pad_top, pad_left, tw, cells)
        input_passes_f4(cf, hf, vf, c, channels, n)


@njit(inline="always", **_OPTIONS)
def gather_s2(x, c, a, b, row0, row1, th, pad_top, pad_left, tw, cells):
    # cells [i, j, tile] <- the 6x6 cells of stride phase (a, b) of channel c: cell (i, j) of
    # tile (ty, tx) is x[c, 2(3ty + i) + a - pad_top, 2(3tx + j) + b - pad_left] (zero
    # outside x), so the phase planes are read in place
    height, width = x.shape[2], x.shape[3]
    for row in range(row0, row1):
        bi, ty = row // th, row % th
        base = (row - row0) * tw
        for i in range(6):
            yy = 6 * ty + 2 * i + a - pad_top
            out = cells[i]
            if not 0 <= yy < height:
                for j in range(6):
                    for t in range(tw):
                        out[j, base + t] = 0.0
                continue
            source = x[bi, c, yy]
            for t in range(tw):
                p = 6 * t + b - pad_left
                if p >= 0 and p + 10 < width:
                    q = np.uint64(p)
                    out[0, base + t], out[1, base + t] = source[q], source[q + 2]
                    out[2, base + t], out[3, base + t] = source[q + 4], source[q + 6]
                    out[4, base + t], out[5, base + t] = source[q + 8], source[q + 10]
                else:
                    for j in range(6):
                        col = p + 2 * j
                        out[j, base + t] = source[col] if 0 <= col < width else 0.0


@njit(**_OPTIONS)
def input_s2(x, row0, row1, th, pad_top, d, pad_left, dw, tw, v):
    # v (36, 4C, tiles) <- B^T d B of the stride phases' tiles of x (N, C, H, W): channel
    # 4c + 2a + b is phase (a, b) of x's channel c (see gather_s2)
    n, channels = (row1 - row0) * tw, x.shape[1]
    cells = np.empty((6, 6, n), dtype=v.dtype)
    half = np.empty((6, 6, n), dtype=v.dtype)
    cf, hf, vf = cells.ravel(), half.ravel(), v.ravel()
    for c in range(channels):
        for a in range(2):
            for b in range(2):
                gather_s2(x, c, a, b, row0, row1, th, pad_top, pad_left, tw, cells)
                input_passes_f4(cf, hf, vf, 4 * c + 2 * a + b, 4 * channels, n)


@njit(**_OPTIONS)
def output_f3(mm, row0, row1, th, d, dst, y):
    # y (N, K, OH, OW) <- A^T M A for tile rows [row0, row1); mm (36, K, tiles)
    tw = dst.shape[1]
    n, k_out, oh, ow = (row1 - row0) * tw, y.shape[1], y.shape[2], y.shape[3]
    inside = min(ow // 3, tw)  # tiles whose three columns are all in the output
    half = np.empty((3, 6, n), dtype=y.dtype)  # A^T applied along i: [i, s, tile]
    mf, hf = mm.ravel(), half.ravel()
    for k in range(k_out):
        for s in range(6):  # along i: mm [r*6 + s, k, t] -> half [i, s, t]
            at3(mf, (s * k_out + k) * n, 6 * k_out * n, hf, s * n, 6 * n, n)
        for row in range(row0, row1):  # along j, stored in place: half [i, s, t] -> y
            b, ty = row // th, row % th
            base = (row - row0) * tw
            for i in range(min(3, oh - 3 * ty)):
                target = y[b, k, 3 * ty + i]
                at = (i * 6 * n) + base
                p0, p1, p2 = (
                    hf[at : at + tw],
                    hf[at + n : at + n + tw],
                    hf[at + 2 * n : at + 2 * n + tw],
                )
                p3, p4 = hf[at + 3 * n : at + 3 * n + tw], hf[at + 4 * n : at + 4 * n + tw]
                p5 = hf[at + 5 * n : at + 5 * n + tw]
                for t in range(inside):
                    s12, d12, s34, d34 = p1[t] + p2[t], p1[t] - p2[t], p3[t] + p4[t], p3[t] - p4[t]
                    target[3 * t] = p0[t] + s12 + s34
                    target[3 * t + 1] = d12 + 2 * d34
                    target[3 * t + 2] = s12 + 4 * s34 + p5[t]
                for t in range(inside, tw):  # the last tile, cropped
                    s12, d12, s34, d34 = p1[t] + p2[t], p1[t] - p2[t], p3[t] + p4[t], p3[t] - p4[t]
                    target[3 * t] = p0[t] + s12 + s34
                    if 3 * t + 1 < ow:
                        target[3 * t + 1] = d12 + 2 * d34


@njit(**_OPTIONS)
def grad_f3(g, row0, row1, th, d, dst, z):
    # z (36, K, tiles) <- A dY A^T of the output-gradient tiles of tile rows [row0, row1)
    n, k_out = (row1 - row0) * dst.shape[1], g.shape[1]
    cells = np.empty((3, 3, n), dtype=z.dtype)  # [i, j, tile]
    half = np.empty((6, 3, n), dtype=z.dtype)  # A applied along i: [r, j, tile]
    cf, hf, zf = cells.ravel(), half.ravel(), z.ravel()
    for k in range(k_out):
        gather_grad(g, k, row0, row1, th, 1, 3, dst, cells)
        for j in range(3):  # along i: cells [i, j, t] -> half [r, j, t]
            a3(cf, j * n, 3 * n, hf, j * n, 3 * n, n)
        for r in range(6):  # along j: half [r, j, t] -> z [r*6 + s, k, t]
            a3(hf, r * 3 * n, n, zf, (r * 6 * k_out + k) * n, k_out * n, n)


#: ``(input, output, output-gradient)`` kernels of F(3x3, 4x4), and the input kernel that
#: reads the four stride phases of a stride-2 layer's input in place.
KERNELS = (input_f3, output_f3, grad_f3)
PHASE_INPUT = input_s2
