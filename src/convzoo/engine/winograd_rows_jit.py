"""Winograd output transforms that store output rows in place (no dilation): numba kernels.

The output transform ``Y = A^T M A`` of :mod:`.winograd_jit` (``output_f4``) applies ``A^T``
along the tile columns, then along the rows into an ``[i, j, tile]`` buffer, then scatters
that buffer into the output through a map of target columns: the map is what dilation
needs. Without dilation the ``m`` columns of tile ``t`` are simply ``m t ... m t + m - 1``,
so these kernels apply ``A^T`` along the tile rows first (``[i, s, tile]``) and then compute
each output row's ``m`` columns per tile from ``a`` contiguous slices and store them in place:
no buffer, no scatter, no column map (0.41 -> 0.24 ms per chunk on a 12 -> 64-channel
layer, 0.23 -> 0.15 ms on resnet3x3_64's chunks). Both tile sizes of 6x6 transformed tiles
share the loop: F(4x4, 3x3) (``m = 4``) and F(3x3, 4x4) (``m = 3``); so do the 4x4 tiles of
F(3x3, 2x2) (:mod:`.winograd_f3_jit`).
Separate kernels from ``output_f4`` so that each compiles in under 2 s.

The phases' adjoint of :mod:`.winograd_strided` (a stride-2 layer's input gradient, or a
stride-2 transposed convolution) computes the four stride phases of each channel; its output
kernels (``output_phases_*``) store each phase row straight into its cells of the input grid
(every other cell of a row), so the phases are never written out and merged (0.3-0.6 ms
saved on the benchmark's 4x4 transposed layer, whose phase rows hold 6 tiles).
"""

from __future__ import annotations

import numpy as np

from .winograd_jit import _OPTIONS, at4, njit

__all__ = [
    "output_rows_f4",
    "output_rows_f3",
    "output_rows_f3r2",
    "output_phases_f3",
    "output_phases_f3r2",
]


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
def at3r2(s, so, ss, t, to, ts, n):  # A^T of F(3x3, 2x2): 4 cells -> 3
    s0, s1 = s[so : so + n], s[so + ss : so + ss + n]
    s2, s3 = s[so + 2 * ss : so + 2 * ss + n], s[so + 3 * ss : so + 3 * ss + n]
    o0, o1, o2 = t[to : to + n], t[to + ts : to + ts + n], t[to + 2 * ts : to + 2 * ts + n]
    for q in range(n):
        s12 = s1[q] + s2[q]
        o0[q], o1[q], o2[q] = s0[q] + s12, s1[q] - s2[q], s12 - s3[q]


@njit(inline="always", **_OPTIONS)
def row_f3r2(p0, p1, p2, p3, target, inside, tw, ow):
    # target[3t + j] <- (A^T p)[j] of F(3x3, 2x2) for every tile t of the row
    for t in range(inside):
        s12 = p1[t] + p2[t]
        target[3 * t] = p0[t] + s12
        target[3 * t + 1] = p1[t] - p2[t]
        target[3 * t + 2] = s12 - p3[t]
    for t in range(inside, tw):
        target[3 * t] = p0[t] + p1[t] + p2[t]
        if 3 * t + 1 < ow:
            target[3 * t + 1] = p1[t] - p2[t]


@njit(inline="always", **_OPTIONS)
def row_f4(p0, p1, p2, p3, p4, p5, target, inside, tw, ow):
    # target[4t + j] <- (A^T p)[j] for every tile t of the row (the last one cropped)
    for t in range(inside):
        s12, d12, s34, d34 = p1[t] + p2[t], p1[t] - p2[t], p3[t] + p4[t], p3[t] - p4[t]
        target[4 * t] = p0[t] + s12 + s34
        target[4 * t + 1] = d12 + 2 * d34
        target[4 * t + 2] = s12 + 4 * s34
        target[4 * t + 3] = d12 + 8 * d34 + p5[t]
    for t in range(inside, tw):
        s12, d12, s34, d34 = p1[t] + p2[t], p1[t] - p2[t], p3[t] + p4[t], p3[t] - p4[t]
        target[4 * t] = p0[t] + s12 + s34
        if 4 * t + 1 < ow:
            target[4 * t + 1] = d12 + 2 * d34
        if 4 * t + 2 < ow:
            target[4 * t + 2] = s12 + 4 * s34


@njit(inline="always", **_OPTIONS)
def row_f3(p0, p1, p2, p3, p4, p5, target, inside, tw, ow):
    # target[3t + j] <- (A^T p)[j] for every tile t of the row (the last one cropped)
    for t in range(inside):
        s12, d12, s34, d34 = p1[t] + p2[t], p1[t] - p2[t], p3[t] + p4[t], p3[t] - p4[t]
        target[3 * t] = p0[t] + s12 + s34
        target[3 * t + 1] = d12 + 2 * d34
        target[3 * t + 2] = s12 + 4 * s34 + p5[t]
    for t in range(inside, tw):
        s12, d12, s34, d34 = p1[t] + p2[t], p1[t] - p2[t], p3[t] + p4[t], p3[t] - p4[t]
        target[3 * t] = p0[t] + s12 + s34
        if 3 * t + 1 < ow:
            target[3 * t + 1] = d12 + 2 * d34


@njit(inline="always", **_OPTIONS)
def store_rows(mm, row0, row1, th, tw, y, m, a):
    # y (N, K, OH, OW) <- A^T M A for tile rows [row0, row1) of m x m output tiles and
    # a x a transformed tiles; mm (a*a, K, tiles)
    n, k_out, oh, ow = (row1 - row0) * tw, y.shape[1], y.shape[2], y.shape[3]
    inside = min(ow // m, tw)  # tiles whose m columns are all in the output
    half = np.empty((m, a, n), dtype=y.dtype)  # A^T applied along i: [i, s, tile]
    mf, hf = mm.ravel(), half.ravel()
    for k in range(k_out):
        half_rows(mf, k, k_out, n, hf, m, a)
        for row in range(row0, row1):  # along j, stored in place: half [i, s, t] -> y
            b, ty = row // th, row % th
            base = (row - row0) * tw
            for i in range(min(m, oh - m * ty)):
                at = i * a * n + base
                p0, p1 = hf[at : at + tw], hf[at + n : at + n + tw]
                p2, p3 = hf[at + 2 * n : at + 2 * n + tw], hf[at + 3 * n : at + 3 * n + tw]
                target = y[b, k, m * ty + i]
                if a == 4:
                    row_f3r2(p0, p1, p2, p3, target, inside, tw, ow)
                    continue
                p4, p5 = hf[at + 4 * n : at + 4 * n + tw], hf[at + 5 * n : at + 5 * n + tw]
                if m == 4:
                    row_f4(p0, p1, p2, p3, p4, p5, target, inside, tw, ow)
                else:
                    row_f3(p0, p1, p2, p3, p4, p5, target, inside, tw, ow)


@njit(inline="always", **_OPTIONS)
def half_rows(mf, k, k_out, n, hf, m, a):
    # A^T along i of channel k's tiles: mm [r*a + s, k, t] -> half [i, s, t]
    for s in range(a):
        at = (s * k_out + k) * n
        if m == 4:
            at4(mf, at, 6 * k_out * n, hf, s * n, 6 * n, n)
        elif a == 6:
            at3(mf, at, 6 * k_out * n, hf, s * n, 6 * n, n)
        else:
            at3r2(mf, at, 4 * k_out * n, hf, s * n, 4 * n, n)


@njit(inline="always", **_OPTIONS)
def tile_row(hf, at, n, t, a):
    # the 3 output cells (A^T p) of tile t's row, p = hf[at + s*n + t] for s < a
    p0, p1, p2, p3 = hf[at + t], hf[at + n + t], hf[at + 2 * n + t], hf[at + 3 * n + t]
    if a == 4:  # F(3x3, 2x2)
        s12 = p1 + p2
        return p0 + s12, p1 - p2, s12 - p3
    p4, p5 = hf[at + 4 * n + t], hf[at + 5 * n + t]  # F(3x3, 4x4)
    s12, d12, s34, d34 = p1 + p2, p1 - p2, p3 + p4, p3 - p4
    return p0 + s12 + s34, d12 + 2 * d34, s12 + 4 * s34 + p5


@njit(inline="always", **_OPTIONS)
def store_phase_rows(mm, row0, row1, th, tw, y, a, top, left, rows, cols):
    # y (N, C, H, W) <- A^T M A of F(3x3, r x r) on the phases (rows x cols planes, channel
    # 4c + 2p + q) for tile rows [row0, row1): phase cell (i, j) of channel 4c + 2p + q is
    # y[c, 2i + p - top, 2j + q - left] (cells outside y are dropped)
    n, k_out, height, width = (row1 - row0) * tw, mm.shape[1], y.shape[2], y.shape[3]
    half = np.empty((3, a, n), dtype=y.dtype)
    mf, hf = mm.ravel(), half.ravel()
    for k in range(k_out):
        c, p, q = k // 4, (k // 2) % 2, k % 2
        j0 = max(0, (left - q + 1) // 2)  # phase columns whose cell is in y: [j0, j1)
        j1 = min(cols, (width - 1 + left - q) // 2 + 1)
        half_rows(mf, k, k_out, n, hf, 3, a)
        for row in range(row0, row1):
            b, ty = row // th, row % th
            base = (row - row0) * tw
            for i in range(min(3, rows - 3 * ty)):
                target_row = 2 * (3 * ty + i) + p - top
                if target_row < 0 or target_row >= height:
                    continue
                target, at = y[b, c, target_row], i * a * n + base
                for t in range(tw):  # phase columns 3t, 3t + 1, 3t + 2: cells 2 apart
                    v0, v1, v2 = tile_row(hf, at, n, t, a)
                    j = 3 * t
                    cell = 2 * j + q - left
                    if j0 <= j and j + 3 <= j1:  # the whole tile row is in y
                        target[cell], target[cell + 2], target[cell + 4] = v0, v1, v2
                        continue
                    if j0 <= j < j1:
                        target[cell] = v0
                    if j0 <= j + 1 < j1:
                        target[cell + 2] = v1
                    if j0 <= j + 2 < j1:
                        target[cell + 4] = v2


@njit(**_OPTIONS)
def output_rows_f4(mm, row0, row1, th, d, dst, y):
    # output_f4's result when there is no dilation (d == 1, dst[j, t] == 4t + j)
    store_rows(mm, row0, row1, th, dst.shape[1], y, 4, 6)


@njit(**_OPTIONS)
def output_rows_f3(mm, row0, row1, th, d, dst, y):
    # y (N, K, OH, OW) <- A^T M A of F(3x3, 4x4) for tile rows [row0, row1), no dilation
    store_rows(mm, row0, row1, th, dst.shape[1], y, 3, 6)


@njit(**_OPTIONS)
def output_rows_f3r2(mm, row0, row1, th, d, dst, y):
    # y (N, K, OH, OW) <- A^T M A of F(3x3, 2x2) for tile rows [row0, row1), no dilation
    store_rows(mm, row0, row1, th, dst.shape[1], y, 3, 4)


@njit(**_OPTIONS)
def output_phases_f3(mm, row0, row1, th, d, dst, y, top, left, rows, cols):
    # the phases' F(3x3, 4x4) output stored into the input grid y (store_phase_rows)
    store_phase_rows(mm, row0, row1, th, dst.shape[1], y, 6, top, left, rows, cols)


@njit(**_OPTIONS)
def output_phases_f3r2(mm, row0, row1, th, d, dst, y, top, left, rows, cols):
    # the phases' F(3x3, 2x2) output stored into the input grid y (store_phase_rows)
    store_phase_rows(mm, row0, row1, th, dst.shape[1], y, 4, top, left, rows, cols)
