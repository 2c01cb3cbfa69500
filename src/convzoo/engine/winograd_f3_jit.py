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
``run_weight_grad`` drive them) for the case they serve: dilation 1. The output kernel,
which stores output rows in place, is :mod:`.winograd_rows_jit`'s ``output_rows_f3``.
"""

from __future__ import annotations

import numpy as np

from .winograd_jit import _OPTIONS, gather_grad, input_passes_f4, njit
from .winograd_rows_jit import output_rows_f3

__all__ = ["A_T", "G", "KERNELS", "PHASE_INPUT", "input_f3", "input_s2", "grad_f3"]

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
def gather_cells(x, c, row0, row1, th, top, left, step, spacing, tw, cells):
    # cells [i, j, tile] <- the 6x6 cells of channel c's tiles in tile rows [row0, row1)
    # (row = b*th + ty): cell (i, j) of tile (ty, tx) is x[b, c, step*ty + spacing*i + top,
    # step*tx + spacing*j + left], zero outside x (step 3, spacing 1: a stride-1 layer's
    # tiles; step 6, spacing 2: those of one stride phase, read in place)
    height, width = x.shape[2], x.shape[3]
    us = np.uint64(spacing)
    for row in range(row0, row1):
        b, ty = row // th, row % th
        base = (row - row0) * tw
        for i in range(6):
            yy = step * ty + spacing * i + top
            out = cells[i]
            if not 0 <= yy < height:
                for j in range(6):
                    for t in range(tw):
                        out[j, base + t] = 0.0
                continue
            source = x[b, c, yy]
            for t in range(tw):
                p = step * t + left
                if p >= 0 and p + 5 * spacing < width:
                    q = np.uint64(p)
                    out[0, base + t], out[1, base + t] = source[q], source[q + us]
                    out[2, base + t], out[3, base + t] = source[q + 2 * us], source[q + 3 * us]
                    out[4, base + t], out[5, base + t] = source[q + 4 * us], source[q + 5 * us]
                else:
                    for j in range(6):
                        col = p + spacing * j
                        out[j, base + t] = source[col] if 0 <= col < width else 0.0


@njit(**_OPTIONS)
def input_f3(x, row0, row1, th, pad_top, d, pad_left, dw, tw, v):
    # v (36, C, tiles) <- B^T d B of the tiles in tile rows [row0, row1) of x (N, C, H, W)
    n, channels = (row1 - row0) * tw, x.shape[1]
    cells = np.empty((6, 6, n), dtype=v.dtype)  # [i, j, tile]
    half = np.empty((6, 6, n), dtype=v.dtype)  # B^T applied along i: [r, j, tile]
    cf, hf, vf = cells.ravel(), half.ravel(), v.ravel()
    for c in range(channels):
        gather_cells(x, c, row0, row1, th, -pad_top, -pad_left, 3, 1, tw, cells)
        input_passes_f4(cf, hf, vf, c, channels, n)


@njit(**_OPTIONS)
def input_s2(x, row0, row1, th, pad_top, d, pad_left, dw, tw, v):
    # v (36, 4C, tiles) <- B^T d B of the stride phases' tiles of x (N, C, H, W): channel
    # 4c + 2a + b is phase (a, b) of x's channel c: cells two apart, tiles six apart
    n, channels = (row1 - row0) * tw, x.shape[1]
    cells = np.empty((6, 6, n), dtype=v.dtype)
    half = np.empty((6, 6, n), dtype=v.dtype)
    cf, hf, vf = cells.ravel(), half.ravel(), v.ravel()
    for c in range(channels):
        for a in range(2):
            for b in range(2):
                top, left = a - pad_top, b - pad_left
                gather_cells(x, c, row0, row1, th, top, left, 6, 2, tw, cells)
                input_passes_f4(cf, hf, vf, 4 * c + 2 * a + b, 4 * channels, n)


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
KERNELS = (input_f3, output_rows_f3, grad_f3)
PHASE_INPUT = input_s2
