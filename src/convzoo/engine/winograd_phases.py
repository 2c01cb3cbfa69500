"""The stride phases of a stride-2 layer (:mod:`.winograd_strided`): split, merge, sub-kernels.

The padded input's cells ``(2i + a, 2j + b)``, ``a, b in {0, 1}``, form four phase planes;
channel ``c`` of the input becomes channels ``4c + 2a + b`` of the phases. The kernel's taps
``(2i' + a, 2j' + b)`` form the matching sub-kernels of ``r x r`` taps, transformed here for
Winograd F(3x3, r x r). :func:`split_phases` copies the phases out (the weight gradient
reads them; the forward's input transform reads them in place instead) and
:func:`merge_phases` is its adjoint (the input gradient's last step).
"""

from __future__ import annotations

import numpy as np

__all__ = ["split_phases", "merge_phases", "g_matrix", "transformed_taps"]


def _phase_ranges(size: int, lo: int, length: int, phase: int) -> tuple[int, int]:
    """Phase cells ``[first, last)`` of one axis whose input cell ``2i + phase - lo`` exists."""
    first = max(0, -(-(lo - phase) // 2))
    last = min(length, (size - 1 + lo - phase) // 2 + 1)
    return first, max(first, last)


def split_phases(x, top: int, left: int, rows: int, cols: int) -> np.ndarray:
    """The four stride phases of ``x`` padded by ``top`` rows and ``left`` columns (zeros
    outside ``x``): ``(N, C, H, W) -> (N, 4C, rows, cols)``, channel ``4c + 2a + b`` holding
    ``x[c, 2i + a - top, 2j + b - left]``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> split_phases(x, 1, 1, 2, 2)[0, 3].tolist()  # a = b = 1: cells (2i, 2j) of x
    [[0.0, 2.0], [8.0, 10.0]]
    """
    n, c, height, width = x.shape
    out = np.zeros((n, c, 2, 2, rows, cols), dtype=x.dtype)
    for a in range(2):
        i0, i1 = _phase_ranges(height, top, rows, a)
        for b in range(2):
            j0, j1 = _phase_ranges(width, left, cols, b)
            if i1 > i0 and j1 > j0:
                out[:, :, a, b, i0:i1, j0:j1] = x[
                    :, :, 2 * i0 + a - top : 2 * i1 + a - top : 2,
                    2 * j0 + b - left : 2 * j1 + b - left : 2,
                ]  # fmt: skip
    return out.reshape(n, 4 * c, rows, cols)


def merge_phases(phases, top: int, left: int, spatial) -> np.ndarray:
    """Adjoint of :func:`split_phases`: ``(N, 4C, rows, cols) -> (N, C, *spatial)``, each
    input cell taking its phase cell (cells no phase cell holds are zero).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> bool((merge_phases(split_phases(x, 1, 1, 3, 3), 1, 1, (4, 4)) == x).all())
    True
    """
    n, c4, rows, cols = phases.shape
    height, width = spatial
    grouped = phases.reshape(n, c4 // 4, 2, 2, rows, cols)
    out = np.zeros((n, c4 // 4, height, width), dtype=phases.dtype)
    for a in range(2):
        i0, i1 = _phase_ranges(height, top, rows, a)
        for b in range(2):
            j0, j1 = _phase_ranges(width, left, cols, b)
            if i1 > i0 and j1 > j0:
                out[
                    :, :, 2 * i0 + a - top : 2 * i1 + a - top : 2,
                    2 * j0 + b - left : 2 * j1 + b - left : 2,
                ] = grouped[:, :, a, b, i0:i1, j0:j1]  # fmt: skip
    return out


def g_matrix(r: int) -> np.ndarray:
    """``G`` of F(3x3, r x r), ``(r + 2, r)`` (:data:`.winograd_f3_jit.TRANSFORMS`).

    Examples
    --------
    >>> g_matrix(2).tolist()
    [[1.0, 0.0], [0.5, 0.5], [0.5, -0.5], [0.0, 1.0]]
    >>> g_matrix(4).shape
    (6, 4)
    """
    from .winograd_f3_jit import TRANSFORMS

    return TRANSFORMS[r][1]


def transformed_taps(w, r: int, dtype, flip: bool = False) -> np.ndarray:
    """``U = G g G^T`` of the phases' ``r x r`` sub-kernels of ``w`` (``(K, C, kh, kw)``):
    ``(a*a, K, 4C)``; with ``flip``, of the adjoint's (flipped, channels swapped):
    ``(a*a, 4C, K)``. The taps are gathered into ``(r*r, K, 4C)`` by a numba kernel, then
    mapped by one product with ``G kron G`` (``U[x*a + y] = sum_ij G[x, i] G[y, j] g[i, j]``).

    Examples
    --------
    >>> import numpy as np
    >>> u = transformed_taps(np.ones((1, 1, 4, 4)), 2, np.float64)
    >>> u.shape, u[:, 0, 0].tolist()[:4]
    ((16, 1, 4), [1.0, 1.0, 0.0, 1.0])
    """
    from .winograd_f3_jit import phase_taps

    k, c = w.shape[:2]
    taps = np.empty((r * r, *((4 * c, k) if flip else (k, 4 * c))), dtype=dtype)
    phase_taps(np.ascontiguousarray(w, dtype=dtype), r, flip, taps)
    g = g_matrix(r)
    u = np.matmul(np.kron(g, g).astype(dtype), taps.reshape(r * r, -1))
    return u.reshape(g.shape[0] ** 2, *taps.shape[1:])
