"""numba kernels of the nested 1-D Winograd F(4x4, 3x3) (see :mod:`.winograd_1d`).

The 2-D kernels of :mod:`.winograd_jit` work on the nested view too, but a nested 2-D
problem is one tile wide: their per-row bookkeeping (one row slice per tile row, cell and
channel) then costs more than the transforms. These kernels take the same arguments as
those of :mod:`.winograd_jit` (so :func:`.winograd_pipeline.run` and ``run_weight_grad``
run them)
for the one layout they serve: no padding or dilation, one tile per tile row, so tile ``T``
of signal ``n`` (tile row ``n * th + T``) is the 6x6 block ``X[n, c, 4T + i, j]`` of the
nested view and its kept outputs the 4x3 block ``Y[n, k, 4T + i, r]``, read and written
element by element. The 1-D transforms ``B^T``, ``A^T`` and ``A`` are those of
:mod:`.winograd_jit`, applied to all tiles of a chunk at once.

References
----------
Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016,
arXiv:1509.09308.
"""

from __future__ import annotations

import numpy as np

from .winograd_jit import _OPTIONS, grad_passes_f4, input_passes_f4, njit, output_passes_f4

__all__ = ["KERNELS", "input_nested_f4", "output_nested_f4", "grad_nested_f4"]


@njit(**_OPTIONS)
def input_nested_f4(x, row0, row1, th, pad_top, d, pad_left, dw, tw, v):
    # v (36, C, row1 - row0) <- B^T d B of the tiles of tile rows [row0, row1) of the nested
    # view x (N, C, 4 * th + 2, 6): tile row b*th + T is d[i, j] = x[b, c, 4T + i, j]
    a, n, channels = 6, row1 - row0, x.shape[1]
    cells = np.empty((a, a, n), dtype=v.dtype)  # [i, j, tile]
    half = np.empty((a, a, n), dtype=v.dtype)  # B^T applied along i: [r, j, tile]
    cf, hf, vf = cells.ravel(), half.ravel(), v.ravel()
    for c in range(channels):
        for q in range(n):
            b, y0 = (row0 + q) // th, 4 * ((row0 + q) % th)
            for i in range(a):
                for j in range(a):
                    cells[i, j, q] = x[b, c, y0 + i, j]
        input_passes_f4(cf, hf, vf, c, channels, n)


@njit(**_OPTIONS)
def output_nested_f4(mm, row0, row1, th, d, dst, y):
    # y (N, K, 4 * th, 3) <- A^T M A of tile rows [row0, row1), column 3 (the next row's
    # column 0) dropped; mm (36, K, row1 - row0)
    a, m, n, k_out = 6, 4, row1 - row0, y.shape[1]
    half = np.empty((a, m, n), dtype=y.dtype)  # A^T applied along j: [r, j, tile]
    out = np.empty((m, m, n), dtype=y.dtype)  # [i, j, tile]
    mf, hf, of = mm.ravel(), half.ravel(), out.ravel()
    for k in range(k_out):
        output_passes_f4(mf, hf, of, k, k_out, n)
        for q in range(n):
            b, y0 = (row0 + q) // th, 4 * ((row0 + q) % th)
            for i in range(m):
                for j in range(3):
                    y[b, k, y0 + i, j] = out[i, j, q]


@njit(**_OPTIONS)
def grad_nested_f4(g, row0, row1, th, d, dst, z):
    # z (36, K, row1 - row0) <- A dY A^T of the output-gradient tiles of tile rows
    # [row0, row1) of g (N, K, 4 * th, 3); the dropped column 3 is zero
    a, m, n, k_out = 6, 4, row1 - row0, g.shape[1]
    cells = np.zeros((m, m, n), dtype=z.dtype)  # [i, j, tile]; column j = 3 stays zero
    half = np.empty((a, m, n), dtype=z.dtype)  # A applied along i: [r, j, tile]
    cf, hf, zf = cells.ravel(), half.ravel(), z.ravel()
    for k in range(k_out):
        for q in range(n):
            b, y0 = (row0 + q) // th, 4 * ((row0 + q) % th)
            for i in range(m):
                for j in range(3):
                    cells[i, j, q] = g[b, k, y0 + i, j]
        grad_passes_f4(cf, hf, zf, k, k_out, n)


#: ``(input, output, output-gradient)`` kernels of the nested F(4x4, 3x3).
KERNELS = (input_nested_f4, output_nested_f4, grad_nested_f4)
