"""The numba kernels of the Winograd engine (see :mod:`.winograd_kernels` for the method).

Module-level functions, so that numba's on-disk cache (``cache=True``) finds them again in a
later process (kernels nested in a factory, or taking kernels as arguments, are recompiled
every time). Helpers are inlined at numba's level (``inline="always"``) and each tile size
has its own kernels, which keeps each kernel's first compilation under 2 s. Only
:func:`.winograd_kernels.kernels` imports this module, after checking that numba is
installed.
"""

from __future__ import annotations

import numpy as np

try:
    from numba import njit
except ImportError:  # pragma: no cover - kernels() names the missing extra first

    def njit(**_options):
        return lambda function: function


__all__ = ["KERNELS"]

_OPTIONS = dict(cache=True, fastmath=True, nogil=True)  # threads: see .parallel


# 1-D transforms of n cells at a time: t[to + r*ts + q] = sum_i M[r, i] s[so + i*ss + q]
# on flat buffers; the rows are taken as contiguous 1-D slices so the q loops vectorise
@njit(inline="always", **_OPTIONS)
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


@njit(inline="always", **_OPTIONS)
def bt2(s, so, ss, t, to, ts, n):  # B^T of F(2x2, 3x3)
    s0, s1 = s[so : so + n], s[so + ss : so + ss + n]
    s2, s3 = s[so + 2 * ss : so + 2 * ss + n], s[so + 3 * ss : so + 3 * ss + n]
    o0, o1 = t[to : to + n], t[to + ts : to + ts + n]
    o2, o3 = t[to + 2 * ts : to + 2 * ts + n], t[to + 3 * ts : to + 3 * ts + n]
    for q in range(n):
        d0, d1, d2, d3 = s0[q], s1[q], s2[q], s3[q]
        o0[q], o1[q], o2[q], o3[q] = d0 - d2, d1 + d2, d2 - d1, d1 - d3


@njit(inline="always", **_OPTIONS)
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


@njit(inline="always", **_OPTIONS)
def at2(s, so, ss, t, to, ts, n):  # A^T of F(2x2, 3x3)
    s0, s1 = s[so : so + n], s[so + ss : so + ss + n]
    s2, s3 = s[so + 2 * ss : so + 2 * ss + n], s[so + 3 * ss : so + 3 * ss + n]
    o0, o1 = t[to : to + n], t[to + ts : to + ts + n]
    for q in range(n):
        o0[q], o1[q] = s0[q] + s1[q] + s2[q], s1[q] - s2[q] - s3[q]


@njit(inline="always", **_OPTIONS)
def a4(s, so, ss, t, to, ts, n):  # A = (A^T)^T of F(4x4, 3x3): 4 cells -> 6
    s0, s1 = s[so : so + n], s[so + ss : so + ss + n]
    s2, s3 = s[so + 2 * ss : so + 2 * ss + n], s[so + 3 * ss : so + 3 * ss + n]
    o0, o1, o2 = t[to : to + n], t[to + ts : to + ts + n], t[to + 2 * ts : to + 2 * ts + n]
    o3, o4 = t[to + 3 * ts : to + 3 * ts + n], t[to + 4 * ts : to + 4 * ts + n]
    o5 = t[to + 5 * ts : to + 5 * ts + n]
    for q in range(n):
        g0, g1, g2, g3 = s0[q], s1[q], s2[q], s3[q]
        e02, o13, e2, o3x = g0 + g2, g1 + g3, g0 + 4 * g2, 2 * g1 + 8 * g3
        o0[q], o1[q], o2[q] = g0, e02 + o13, e02 - o13
        o3[q], o4[q], o5[q] = e2 + o3x, e2 - o3x, g3


@njit(inline="always", **_OPTIONS)
def a2(s, so, ss, t, to, ts, n):  # A of F(2x2, 3x3): 2 cells -> 4
    s0, s1 = s[so : so + n], s[so + ss : so + ss + n]
    o0, o1 = t[to : to + n], t[to + ts : to + ts + n]
    o2, o3 = t[to + 2 * ts : to + 2 * ts + n], t[to + 3 * ts : to + 3 * ts + n]
    for q in range(n):
        o0[q], o1[q], o2[q], o3[q] = s0[q], s0[q] + s1[q], s0[q] - s1[q], -s1[q]


@njit(inline="always", **_OPTIONS)
def g4(s, so, ss, t, to, ts, n):  # G of F(4x4, 3x3): 3 kernel taps -> 6
    s0, s1, s2 = s[so : so + n], s[so + ss : so + ss + n], s[so + 2 * ss : so + 2 * ss + n]
    o0, o1, o2 = t[to : to + n], t[to + ts : to + ts + n], t[to + 2 * ts : to + 2 * ts + n]
    o3, o4 = t[to + 3 * ts : to + 3 * ts + n], t[to + 4 * ts : to + 4 * ts + n]
    o5 = t[to + 5 * ts : to + 5 * ts + n]
    for q in range(n):
        g0, g1, g2 = s0[q], s1[q], s2[q]
        s02, e, f = g0 + g2, g0 * (1 / 24) + g2 * (1 / 6), g1 * (1 / 12)
        o0[q], o1[q], o2[q] = g0 * 0.25, (s02 + g1) * (-1 / 6), (s02 - g1) * (-1 / 6)
        o3[q], o4[q], o5[q] = e + f, e - f, g2


@njit(inline="always", **_OPTIONS)
def g2(s, so, ss, t, to, ts, n):  # G of F(2x2, 3x3): 3 kernel taps -> 4
    s0, s1, s2 = s[so : so + n], s[so + ss : so + ss + n], s[so + 2 * ss : so + 2 * ss + n]
    o0, o1 = t[to : to + n], t[to + ts : to + ts + n]
    o2, o3 = t[to + 2 * ts : to + 2 * ts + n], t[to + 3 * ts : to + 3 * ts + n]
    for q in range(n):
        f0, f1, f2 = s0[q], s1[q], s2[q]
        o0[q], o1[q], o2[q], o3[q] = f0, (f0 + f1 + f2) * 0.5, (f0 - f1 + f2) * 0.5, f2


@njit(inline="always", **_OPTIONS)
def gather_input(x, c, row0, row1, th, pad_top, d, pad_left, dw, tw, m, cells):
    # cells [i, j, tile] <- the a x a cells of channel c's tiles in tile rows [row0, row1)
    # (row = b*th + ty): row i of a tile is input row y0 + i*d; tile tx = block*dw + phase
    # has its column j at block*m*dw + phase + j*dw - pad_left; cells outside x are zero
    a, height, width = m + 2, x.shape[2], x.shape[3]
    us = np.uint64(dw)
    for row in range(row0, row1):
        b, ty = row // th, row % th
        y0 = (ty // d) * m * d + ty % d - pad_top
        base = (row - row0) * tw
        for i in range(a):
            yy = y0 + i * d
            out = cells[i]
            if not 0 <= yy < height:
                for j in range(a):
                    for tx in range(tw):
                        out[j, base + tx] = 0.0
                continue
            source = x[b, c, yy]
            if dw == 1 and m == 4:  # the common case, with constant strides
                for t in range(tw):
                    p = 4 * t - pad_left
                    if p >= 0 and p + 5 < width:
                        q = np.uint64(p)
                        out[0, base + t], out[1, base + t] = source[q], source[q + 1]
                        out[2, base + t], out[3, base + t] = source[q + 2], source[q + 3]
                        out[4, base + t], out[5, base + t] = source[q + 4], source[q + 5]
                    else:
                        for j in range(a):
                            col = p + j
                            out[j, base + t] = source[col] if 0 <= col < width else 0.0
                continue
            for block in range(tw // dw):
                for phase in range(dw):
                    tx = base + block * dw + phase
                    p = block * m * dw + phase - pad_left
                    if p >= 0 and p + (a - 1) * dw < width:  # inside: read in place
                        q = np.uint64(p)
                        for j in range(a):
                            out[j, tx] = source[q + j * us]
                    else:  # a border tile
                        for j in range(a):
                            col = p + j * dw
                            out[j, tx] = source[col] if 0 <= col < width else 0.0


@njit(inline="always", **_OPTIONS)
def input_passes_f4(cf, hf, vf, c, channels, n):
    # v [r*6 + s, c, t] <- B^T d B of the gathered cells [i, j, t] (flat cf; hf scratch)
    for j in range(6):  # along i: cells [i, j, t] -> half [r, j, t]
        bt4(cf, j * n, 6 * n, hf, j * n, 6 * n, n)
    for r in range(6):  # along j: half [r, j, t] -> v [r*a + s, c, t]
        bt4(hf, r * 6 * n, n, vf, (r * 6 * channels + c) * n, channels * n, n)


@njit(inline="always", **_OPTIONS)
def output_passes_f4(mf, hf, of, k, k_out, n):
    # out [i, j, t] <- A^T M A of the products mm [r*6 + j, k, t] (flat mf; hf scratch)
    for r in range(6):  # along j: mm [r*a + j, k, t] -> half [r, j, t]
        at4(mf, (r * 6 * k_out + k) * n, k_out * n, hf, r * 4 * n, n, n)
    for j in range(4):  # along i: half [r, j, t] -> out [i, j, t]
        at4(hf, j * n, 4 * n, of, j * n, 4 * n, n)


@njit(inline="always", **_OPTIONS)
def grad_passes_f4(cf, hf, zf, k, k_out, n):
    # z [r*6 + s, k, t] <- A dY A^T of the gathered gradient cells [i, j, t] (flat cf)
    for j in range(4):  # along i: cells [i, j, t] -> half [r, j, t]
        a4(cf, j * n, 4 * n, hf, j * n, 4 * n, n)
    for r in range(6):  # along j: half [r, j, t] -> z [r*a + s, k, t]
        a4(hf, r * 4 * n, n, zf, (r * 6 * k_out + k) * n, k_out * n, n)


@njit(**_OPTIONS)
def input_f4(x, row0, row1, th, pad_top, d, pad_left, dw, tw, v):
    # v (36, C, tiles) <- B^T d B of the tiles in tile rows [row0, row1) of x (N, C, H, W)
    a, n, channels = 6, (row1 - row0) * tw, x.shape[1]
    cells = np.empty((a, a, n), dtype=v.dtype)  # [i, j, tile]
    half = np.empty((a, a, n), dtype=v.dtype)  # B^T applied along i: [r, j, tile]
    cf, hf, vf = cells.ravel(), half.ravel(), v.ravel()
    for c in range(channels):
        gather_input(x, c, row0, row1, th, pad_top, d, pad_left, dw, tw, 4, cells)
        input_passes_f4(cf, hf, vf, c, channels, n)


@njit(**_OPTIONS)
def input_f2(x, row0, row1, th, pad_top, d, pad_left, dw, tw, v):
    # as input_f4 for F(2x2, 3x3): v (16, C, tiles)
    a, n, channels = 4, (row1 - row0) * tw, x.shape[1]
    cells = np.empty((a, a, n), dtype=v.dtype)
    half = np.empty((a, a, n), dtype=v.dtype)
    cf, hf, vf = cells.ravel(), half.ravel(), v.ravel()
    for c in range(channels):
        gather_input(x, c, row0, row1, th, pad_top, d, pad_left, dw, tw, 2, cells)
        for j in range(a):
            bt2(cf, j * n, a * n, hf, j * n, a * n, n)
        for r in range(a):
            bt2(hf, r * a * n, n, vf, (r * a * channels + c) * n, channels * n, n)


@njit(inline="always", **_OPTIONS)
def scatter_output(out, k, row0, row1, th, d, m, dst, y):
    # y[:, k] <- out [i, j, tile] for tile rows [row0, row1), cropped at the border
    oh, tw = y.shape[2], dst.shape[1]
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


@njit(**_OPTIONS)
def output_f4(mm, row0, row1, th, d, dst, y):
    # y (N, K, OH, OW) <- A^T M A for tile rows [row0, row1); mm (36, K, tiles)
    a, m, n, k_out = 6, 4, (row1 - row0) * dst.shape[1], y.shape[1]
    half = np.empty((a, m, n), dtype=y.dtype)  # A^T applied along j: [r, j, tile]
    out = np.empty((m, m, n), dtype=y.dtype)  # [i, j, tile]
    mf, hf, of = mm.ravel(), half.ravel(), out.ravel()
    for k in range(k_out):
        output_passes_f4(mf, hf, of, k, k_out, n)
        scatter_output(out, k, row0, row1, th, d, m, dst, y)


@njit(**_OPTIONS)
def output_f2(mm, row0, row1, th, d, dst, y):
    # as output_f4 for F(2x2, 3x3): mm (16, K, tiles)
    a, m, n, k_out = 4, 2, (row1 - row0) * dst.shape[1], y.shape[1]
    half = np.empty((a, m, n), dtype=y.dtype)
    out = np.empty((m, m, n), dtype=y.dtype)
    mf, hf, of = mm.ravel(), half.ravel(), out.ravel()
    for k in range(k_out):
        for r in range(a):
            at2(mf, (r * a * k_out + k) * n, k_out * n, hf, r * m * n, n, n)
        for j in range(m):
            at2(hf, j * n, m * n, of, j * n, m * n, n)
        scatter_output(out, k, row0, row1, th, d, m, dst, y)


@njit(inline="always", **_OPTIONS)
def gather_grad(g, k, row0, row1, th, d, m, dst, cells):
    # cells [i, j, tile] <- the m x m output-gradient cells of channel k (zero where cropped)
    oh, tw = g.shape[2], dst.shape[1]
    for row in range(row0, row1):
        b, ty = row // th, row % th
        y0 = (ty // d) * m * d + ty % d
        base = (row - row0) * tw
        for i in range(m):
            yy = y0 + i * d
            out = cells[i]
            if yy < oh:
                source = g[b, k, yy]
                for j in range(m):
                    for tx in range(tw):
                        col = dst[j, tx]
                        out[j, base + tx] = source[col] if col >= 0 else 0.0
            else:
                for j in range(m):
                    for tx in range(tw):
                        out[j, base + tx] = 0.0


@njit(**_OPTIONS)
def grad_f4(g, row0, row1, th, d, dst, z):
    # z (36, K, tiles) <- A dY A^T of the output-gradient tiles of tile rows [row0, row1)
    a, m, n, k_out = 6, 4, (row1 - row0) * dst.shape[1], g.shape[1]
    cells = np.empty((m, m, n), dtype=z.dtype)  # [i, j, tile]
    half = np.empty((a, m, n), dtype=z.dtype)  # A applied along i: [r, j, tile]
    cf, hf, zf = cells.ravel(), half.ravel(), z.ravel()
    for k in range(k_out):
        gather_grad(g, k, row0, row1, th, d, m, dst, cells)
        grad_passes_f4(cf, hf, zf, k, k_out, n)


@njit(**_OPTIONS)
def grad_f2(g, row0, row1, th, d, dst, z):
    # as grad_f4 for F(2x2, 3x3): z (16, K, tiles)
    a, m, n, k_out = 4, 2, (row1 - row0) * dst.shape[1], g.shape[1]
    cells = np.empty((m, m, n), dtype=z.dtype)
    half = np.empty((a, m, n), dtype=z.dtype)
    cf, hf, zf = cells.ravel(), half.ravel(), z.ravel()
    for k in range(k_out):
        gather_grad(g, k, row0, row1, th, d, m, dst, cells)
        for j in range(m):
            a2(cf, j * n, m * n, hf, j * n, m * n, n)
        for r in range(a):
            a2(hf, r * m * n, n, zf, (r * a * k_out + k) * n, k_out * n, n)


@njit(inline="always", **_OPTIONS)
def gather_taps(w3, lo, n, flip, taps):
    # taps [t, q] <- tap t of kernel column p = lo + q: w3 (K, C, 9) read in place; column p
    # is (k, c) = divmod(p, C), or, with ``flip`` (the adjoint's kernels, columns (c, k) and
    # taps reversed), (c, k) = divmod(p, K)
    k_out, c_in = w3.shape[0], w3.shape[1]
    wf = w3.ravel()
    if flip:
        c, k = lo // k_out, lo % k_out
        for q in range(n):
            at = (k * c_in + c) * 9
            for t in range(9):
                taps[t, q] = wf[at + 8 - t]
            k += 1
            if k == k_out:
                c, k = c + 1, 0
    else:
        for q in range(n):
            at = (lo + q) * 9
            for t in range(9):
                taps[t, q] = wf[at + t]


@njit(**_OPTIONS)
def weights_f4(start, stop, w3, flip, u):
    # u (36, P) <- G g G^T for kernel columns [start, stop) of w3 (K, C, 9), taps row-major
    span = u.shape[1]
    taps = np.empty((9, 512), dtype=u.dtype)
    half = np.empty((3, 6, 512), dtype=u.dtype)  # G applied along the kernel's columns
    tf, hf, uf = taps.ravel(), half.ravel(), u.ravel()
    for lo in range(start, stop, 512):
        n = min(512, stop - lo)
        gather_taps(w3, lo, n, flip, taps)
        for i in range(3):  # along j: taps [3i + j, q] -> half [i, b, q]
            g4(tf, 3 * i * 512, 512, hf, i * 6 * 512, 512, n)
        for b in range(6):  # along i: half [i, b, q] -> u [6a + b, p]
            g4(hf, b * 512, 6 * 512, uf, b * span + lo, 6 * span, n)


@njit(**_OPTIONS)
def weights_f2(start, stop, w3, flip, u):
    # as weights_f4 for F(2x2, 3x3): u (16, P)
    span = u.shape[1]
    taps = np.empty((9, 512), dtype=u.dtype)
    half = np.empty((3, 4, 512), dtype=u.dtype)
    tf, hf, uf = taps.ravel(), half.ravel(), u.ravel()
    for lo in range(start, stop, 512):
        n = min(512, stop - lo)
        gather_taps(w3, lo, n, flip, taps)
        for i in range(3):
            g2(tf, 3 * i * 512, 512, hf, i * 4 * 512, 512, n)
        for b in range(4):
            g2(hf, b * 512, 4 * 512, uf, b * span + lo, 4 * span, n)


#: ``{m: (input, output, output-gradient, weight transform)}``
KERNELS = {
    4: (input_f4, output_f4, grad_f4, weights_f4),
    2: (input_f2, output_f2, grad_f2, weights_f2),
}
