"""col2im as a numba kernel: scatter-add GEMM columns back onto a 2-D input grid.

The transposed convolution by GEMM (:func:`.gemm.correlate_transpose`) multiplies
``cols = W^T @ g``, whose entry ``(c, i, j, r, q)`` is the contribution of output position
``(r, q)`` through tap ``(i, j)`` to input cell ``(r*sh + i*dh, q*sw + j*dw)``. Adding them
back with one strided NumPy ``+=`` per tap costs as much as the product itself; this kernel
does it in one pass per (image, channel) plane, in parallel over planes. Imported only when
numba is present (the ``fast`` extra); :mod:`.gemm` falls back to NumPy otherwise.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["col2im_2d"]


@njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def col2im_2d(start, stop, cols, x, first_image, first_row, sh, sw, dh, dw):
    """Add ``cols`` (n, C, kh, kw, oh, ow) into ``x`` (N, C, H, W) for the planes ``start ..
    stop`` (flat ``b * C + c``), output rows offset by ``first_row`` (a chunk's first row).

    Examples
    --------
    A 1x2 kernel at stride 2 over a 1x2 output puts each column's two taps side by side:

    >>> import numpy as np
    >>> cols = np.arange(4.0).reshape(1, 1, 1, 2, 1, 2)  # (n, C, kh, kw, oh, ow)
    >>> x = np.zeros((1, 1, 1, 4))
    >>> col2im_2d(0, 1, cols, x, 0, 0, 1, 2, 1, 1)
    >>> x[0, 0].tolist()
    [[0.0, 2.0, 1.0, 3.0]]
    """
    channels, kh, kw, oh, ow = cols.shape[1:]
    usw = np.uint64(sw)
    for job in range(start, stop):
        b, c = job // channels, job % channels
        plane = x[first_image + b, c]
        for i in range(kh):
            for j in range(kw):
                for r in range(oh):
                    src = cols[b, c, i, j, r]
                    dst = plane[(first_row + r) * sh + i * dh, j * dw :]
                    for q in range(np.uint64(ow)):
                        dst[q * usw] += src[q]
