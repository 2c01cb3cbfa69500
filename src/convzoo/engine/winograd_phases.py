"""The stride phases' sub-kernels of a stride-2 layer (:mod:`.winograd_strided`).

The padded input's cells ``(2i + a, 2j + b)``, ``a, b in {0, 1}``, form four phase planes;
channel ``c`` of the input becomes channels ``4c + 2a + b`` of the phases (the kernels of
:mod:`.winograd_f3_jit` and :mod:`.winograd_rows_jit` read and write them in place, in the
input grid). The kernel's taps ``(2i' + a, 2j' + b)`` form the matching sub-kernels of ``r x
r`` taps, transformed here for Winograd F(3x3, r x r).
"""

from __future__ import annotations

import numpy as np

from .parallel import parallel_for

__all__ = ["g_matrix", "transformed_taps"]


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
    """``U = G s G^T`` of the phases' ``r x r`` sub-kernels ``s`` of ``w`` (``(K, C, kh,
    kw)``): ``(a*a, K, 4C)``; with ``flip``, of the adjoint's (flipped, channels swapped):
    ``(a*a, 4C, K)``, a transposed view (BLAS reads it as it is). One numba kernel per
    range of kernels ``k``, on the engine's threads, gathers each kernel's taps and applies
    ``G`` along both axes.

    Examples
    --------
    >>> import numpy as np
    >>> u = transformed_taps(np.ones((1, 1, 4, 4)), 2, np.float64)
    >>> u.shape, u[:, 0, 0].tolist()[:4]
    ((16, 1, 4), [1.0, 1.0, 0.0, 1.0])
    """
    from .winograd_f3_jit import phase_transform

    g = g_matrix(r).astype(dtype)
    u = np.empty((g.shape[0] ** 2, w.shape[0], 4 * w.shape[1]), dtype=dtype)
    parallel_for(phase_transform, w.shape[0], np.ascontiguousarray(w, dtype=dtype), flip, g, u)
    return u.transpose(0, 2, 1) if flip else u
