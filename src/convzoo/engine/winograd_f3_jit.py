"""numba kernels of Winograd F(3x3, r x r), r = 4 or 2: 3x3 output tiles of 4x4 or 2x2 kernels.

With the interpolation points of Lavin & Gray's F(4x4, 3x3) (0, 1, -1, 2, -2, infinity: 6x6
tiles) and F(2x2, 3x3) (0, 1, -1, infinity: 4x4 tiles), the input transforms ``B^T`` are
those same matrices (:func:`.winograd_jit.bt4`, :func:`.winograd_jit.bt2`); only ``A^T``
and ``G`` change. For F(3x3, 4x4)::

    A^T = [[1, 1,  1, 1,  1, 0],        G = [[ 1/4,     0,    0,     0],
           [0, 1, -1, 2, -2, 0],             [-1/6,  -1/6, -1/6,  -1/6],
           [0, 1,  1, 4,  4, 1]]             [-1/6,   1/6, -1/6,   1/6],
                                             [1/24,  1/12,  1/6,   1/3],
                                             [1/24, -1/12,  1/6,  -1/3],
                                             [   0,     0,    0,     1]]

and for F(3x3, 2x2)::

    A^T = [[1, 1,  1,  0],              G = [[  1,    0],
           [0, 1, -1,  0],                   [1/2,  1/2],
           [0, 1,  1, -1]]                   [1/2, -1/2],
                                             [  0,    1]]

:mod:`.winograd_strided` uses them for stride-2 layers split into stride-1 phases. The kernels
take the arguments of :mod:`.winograd_jit`'s (so :func:`.winograd_pipeline.run` and
``run_weight_grad`` drive them) for the case they serve: dilation 1. The input kernels read
either a stride-1 layer's tiles or, for the forward pass, the four stride phases of each
input channel in place (cells two apart). The output kernels, which store output rows in
place, are :mod:`.winograd_rows_jit`'s.
"""

from __future__ import annotations

import numpy as np

from .winograd_jit import _OPTIONS, bt2, gather_grad, input_passes_f4, njit
from .winograd_rows_jit import (
    output_phases_f3,
    output_phases_f3r2,
    output_rows_f3,
    output_rows_f3r2,
)

__all__ = ["TRANSFORMS", "KERNELS", "PHASE_INPUT", "PHASE_OUTPUT", "phase_transform"]

_A_T4 = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 1]]
_G4 = [
    [1 / 4, 0, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6, 1 / 6],
    [1 / 24, 1 / 12, 1 / 6, 1 / 3],
    [1 / 24, -1 / 12, 1 / 6, -1 / 3],
    [0, 0, 0, 1],
]
_A_T2 = [[1, 1, 1, 0], [0, 1, -1, 0], [0, 1, 1, -1]]
_G2 = [[1, 0], [1 / 2, 1 / 2], [1 / 2, -1 / 2], [0, 1]]
#: ``{r: (A^T, G)}`` of F(3x3, r x r): ``(3, a)`` and ``(a, r)`` with ``a = r + 2``; ``B^T`` is
#: that of F(4x4, 3x3) (``r = 4``) or F(2x2, 3x3) (``r = 2``), :data:`.winograd.TRANSFORMS`.
TRANSFORMS = {
    r: (np.array(at, dtype=np.float64), np.array(g, dtype=np.float64))
    for r, at, g in ((4, _A_T4, _G4), (2, _A_T2, _G2))
}


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
def a3r2(s, so, ss, t, to, ts, n):  # A of F(3x3, 2x2): 3 cells -> 4
    s0, s1, s2 = s[so : so + n], s[so + ss : so + ss + n], s[so + 2 * ss : so + 2 * ss + n]
    o0, o1 = t[to : to + n], t[to + ts : to + ts + n]
    o2, o3 = t[to + 2 * ts : to + 2 * ts + n], t[to + 3 * ts : to + 3 * ts + n]
    for q in range(n):
        g0, g1, g2 = s0[q], s1[q], s2[q]
        o0[q], o1[q], o2[q], o3[q] = g0, g0 + g1 + g2, g0 - g1 + g2, -g2


@njit(**_OPTIONS)  # not inlined: compiled once, shared by the input kernels
def gather_cells(x, c, row0, row1, th, top, left, step, spacing, a, tw, cells):
    # cells [i, j, tile] <- the a x a cells of channel c's tiles in tile rows [row0, row1)
    # (row = b*th + ty): cell (i, j) of tile (ty, tx) is x[b, c, step*ty + spacing*i + top,
    # step*tx + spacing*j + left], zero outside x (step 3, spacing 1: a stride-1 layer's
    # tiles; step 6, spacing 2: those of one stride phase, read in place)
    height, width = x.shape[2], x.shape[3]
    us = np.uint64(spacing)
    for row in range(row0, row1):
        b, ty = row // th, row % th
        base = (row - row0) * tw
        for i in range(a):
            yy = step * ty + spacing * i + top
            out = cells[i]
            if not 0 <= yy < height:
                for j in range(a):
                    for t in range(tw):
                        out[j, base + t] = 0.0
                continue
            source = x[b, c, yy]
            for t in range(tw):
                p = step * t + left
                if p >= 0 and p + (a - 1) * spacing < width:
                    q = np.uint64(p)
                    for j in range(a):
                        out[j, base + t] = source[q + j * us]
                else:
                    for j in range(a):
                        col = p + spacing * j
                        out[j, base + t] = source[col] if 0 <= col < width else 0.0


@njit(inline="always", **_OPTIONS)
def input_passes_f2(cf, hf, vf, channel, total, n):
    # v [r*4 + s, channel, t] <- B^T d B of F(2x2, 3x3) of the gathered 4x4 cells [i, j, t]
    for j in range(4):  # along i: cells [i, j, t] -> half [r, j, t]
        bt2(cf, j * n, 4 * n, hf, j * n, 4 * n, n)
    for r in range(4):  # along j: half [r, j, t] -> v [r*4 + s, channel, t]
        bt2(hf, r * 4 * n, n, vf, (r * 4 * total + channel) * n, total * n, n)


@njit(inline="always", **_OPTIONS)
def transform_input_r4(x, row0, row1, th, top, left, tw, step, spacing, phases, v):
    # v (36, C * phases^2, tiles) <- B^T d B of the 6x6 tiles in tile rows [row0, row1); with
    # two phases per axis, channel (c, pa, pb) -> c * 4 + 2 * pa + pb reads phase (pa, pb)
    n, channels, count = (row1 - row0) * tw, x.shape[1], phases * phases
    cells = np.empty((6, 6, n), dtype=v.dtype)  # [i, j, tile]
    half = np.empty((6, 6, n), dtype=v.dtype)  # B^T applied along i: [r, j, tile]
    cf, hf, vf = cells.ravel(), half.ravel(), v.ravel()
    for c in range(channels):
        for phase in range(count):
            pa, pb = phase // phases, phase % phases
            gather_cells(x, c, row0, row1, th, top + pa, left + pb, step, spacing, 6, tw, cells)
            input_passes_f4(cf, hf, vf, c * count + phase, channels * count, n)


@njit(inline="always", **_OPTIONS)
def transform_input_r2(x, row0, row1, th, top, left, tw, step, spacing, phases, v):
    # as transform_input_r4 for the 4x4 tiles of F(3x3, 2x2): v (16, C * phases^2, tiles);
    # a kernel of its own (no branch on the tile size) keeps each compilation under 2 s
    n, channels, count = (row1 - row0) * tw, x.shape[1], phases * phases
    cells = np.empty((4, 4, n), dtype=v.dtype)
    half = np.empty((4, 4, n), dtype=v.dtype)
    cf, hf, vf = cells.ravel(), half.ravel(), v.ravel()
    for c in range(channels):
        for phase in range(count):
            pa, pb = phase // phases, phase % phases
            gather_cells(x, c, row0, row1, th, top + pa, left + pb, step, spacing, 4, tw, cells)
            channel, total = c * count + phase, channels * count
            for j in range(4):  # along i: cells [i, j, t] -> half [r, j, t]
                bt2(cf, j * n, 4 * n, hf, j * n, 4 * n, n)
            for r in range(4):  # along j: half [r, j, t] -> v [r*4 + s, channel, t]
                bt2(hf, r * 4 * n, n, vf, (r * 4 * total + channel) * n, total * n, n)


@njit(**_OPTIONS)
def input_f3r4(x, row0, row1, th, pad_top, d, pad_left, dw, tw, v):
    # v (36, C, tiles) <- B^T d B of the 6x6 tiles (3 apart) of x (N, C, H, W)
    transform_input_r4(x, row0, row1, th, -pad_top, -pad_left, tw, 3, 1, 1, v)


@njit(**_OPTIONS)
def input_s2r4(x, row0, row1, th, pad_top, d, pad_left, dw, tw, v):
    # v (36, 4C, tiles) <- B^T d B of the stride phases' 6x6 tiles, read in place from x
    transform_input_r4(x, row0, row1, th, -pad_top, -pad_left, tw, 6, 2, 2, v)


@njit(**_OPTIONS)
def input_f3r2(x, row0, row1, th, pad_top, d, pad_left, dw, tw, v):
    # v (16, C, tiles) <- B^T d B of the 4x4 tiles (3 apart) of x (N, C, H, W)
    transform_input_r2(x, row0, row1, th, -pad_top, -pad_left, tw, 3, 1, 1, v)


@njit(**_OPTIONS)
def input_s2r2(x, row0, row1, th, pad_top, d, pad_left, dw, tw, v):
    # v (16, 4C, tiles) <- B^T d B of the stride phases' 4x4 tiles, read in place from x
    transform_input_r2(x, row0, row1, th, -pad_top, -pad_left, tw, 6, 2, 2, v)


@njit(inline="always", **_OPTIONS)
def transform_grad(g, row0, row1, th, dst, z, a):
    # z (a*a, K, tiles) <- A dY A^T of the 3x3 output-gradient tiles of tile rows [row0, row1)
    n, k_out = (row1 - row0) * dst.shape[1], g.shape[1]
    cells = np.empty((3, 3, n), dtype=z.dtype)  # [i, j, tile]
    half = np.empty((a, 3, n), dtype=z.dtype)  # A applied along i: [r, j, tile]
    cf, hf, zf = cells.ravel(), half.ravel(), z.ravel()
    for k in range(k_out):
        gather_grad(g, k, row0, row1, th, 1, 3, dst, cells)
        for j in range(3):  # along i: cells [i, j, t] -> half [r, j, t]
            if a == 6:
                a3(cf, j * n, 3 * n, hf, j * n, 3 * n, n)
            else:
                a3r2(cf, j * n, 3 * n, hf, j * n, 3 * n, n)
        for r in range(a):  # along j: half [r, j, t] -> z [r*a + s, k, t]
            if a == 6:
                a3(hf, r * 3 * n, n, zf, (r * 6 * k_out + k) * n, k_out * n, n)
            else:
                a3r2(hf, r * 3 * n, n, zf, (r * 4 * k_out + k) * n, k_out * n, n)


@njit(**_OPTIONS)
def grad_f3r4(g, row0, row1, th, d, dst, z):
    # z (36, K, tiles) <- A dY A^T of F(3x3, 4x4)
    transform_grad(g, row0, row1, th, dst, z, 6)


@njit(**_OPTIONS)
def grad_f3r2(g, row0, row1, th, d, dst, z):
    # z (16, K, tiles) <- A dY A^T of F(3x3, 2x2)
    transform_grad(g, row0, row1, th, dst, z, 4)


@njit(inline="always", **_OPTIONS)
def weighted_rows(out, weights, rows):
    # out[q] = sum_i weights[i] * rows[i, q] for the 2 or 4 rows of F(3x3, r x r): one pass
    w0, w1, s0, s1 = weights[0], weights[1], rows[0], rows[1]
    if rows.shape[0] == 2:
        for q in range(out.shape[0]):
            out[q] = w0 * s0[q] + w1 * s1[q]
        return
    w2, w3, s2, s3 = weights[2], weights[3], rows[2], rows[3]
    for q in range(out.shape[0]):
        out[q] = w0 * s0[q] + w1 * s1[q] + w2 * s2[q] + w3 * s3[q]


@njit(**_OPTIONS)
def phase_transform(start, stop, w, flip, g, u):
    # u (a*a, K, 4C) <- G s G^T of the phases' r x r sub-kernels s of w (K, C, kh, kw), for
    # kernels k in [start, stop), with g = G (a, r): sub-kernel (k, 4c + 2p + q) has taps s[i,
    # j] = w[k, c, 2i + p, 2j + q] (zero past the kernel); with flip, those of the adjoint,
    # flipped: w[k, c, 2(r-1-i) + p, 2(r-1-j) + q]. Per kernel, the taps are gathered into rows
    # along 4C, then G is applied along i and along j, each a loop that vectorises.
    c_in, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    (a, r), width = g.shape, 4 * c_in
    source = np.empty(4 * r * r, dtype=np.int64)  # flat kernel tap of sub-tap t, phase p
    for i in range(r):
        for j in range(r):
            for phase in range(4):
                ti = 2 * (r - 1 - i if flip else i) + phase // 2
                tj = 2 * (r - 1 - j if flip else j) + phase % 2
                source[4 * (i * r + j) + phase] = ti * kw + tj if ti < kh and tj < kw else -1
    taps = np.zeros((r, r, width), dtype=u.dtype)  # [i, j, 4c + phase]
    flat_taps = taps.reshape(r * r, width)
    half = np.empty((a, r, width), dtype=u.dtype)  # G applied along i: [x, j, 4c + phase]
    kernels = w.reshape(w.shape[0], c_in, kh * kw)
    for k in range(start, stop):
        for c in range(c_in):
            kernel = kernels[k, c]
            for e in range(4 * r * r):
                if source[e] >= 0:
                    flat_taps[e // 4, 4 * c + e % 4] = kernel[source[e]]
        for x in range(a):
            for j in range(r):
                weighted_rows(half[x, j], g[x], taps[:, j])
        for x in range(a):
            for y in range(a):
                weighted_rows(u[x * a + y, k], g[y], half[x])


#: ``{r: (input, output, output-gradient)}`` kernels of F(3x3, r x r).
KERNELS = {4: (input_f3r4, output_rows_f3, grad_f3r4), 2: (input_f3r2, output_rows_f3r2, grad_f3r2)}
#: ``{r: input kernel}`` reading the four stride phases of a stride-2 layer's input in place.
PHASE_INPUT = {4: input_s2r4, 2: input_s2r2}
#: ``{r: output kernel}`` storing the phases' adjoint into the input grid.
PHASE_OUTPUT = {4: output_phases_f3, 2: output_phases_f3r2}
