"""numba kernels of the DFT algorithm (:mod:`.dft`): the weights' complex blocks and the
permuted copies between the NCHW layout and the kernel-axis-first layout.

Both were NumPy expressions: four quadrant assignments of a ``(B, 2 C_out, 2 C_in)`` array
from two small-``k`` products, and transposing copies whose innermost loops run along a
17-cell row. On the suite's 160-channel 17x17 Inception layer they took longer than the
products they serve (about 1 ms and 0.6 ms per call of the 2 ms the channel mixing
takes); these kernels do the same work in vector loops on the engine's threads. Imported
only when numba is present (the ``fast`` extra); :mod:`.dft` falls back to NumPy otherwise.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["permuted_copy", "weight_block"]

_jit = njit(cache=True, fastmath=True, nogil=True, error_model="numpy")


@_jit
def weight_block(start, stop, w, cos_t, sin_t, block):
    """Rows of output channels ``start .. stop`` of every bin's complex-product block:
    with ``A = sum_t w[o, c, t] cos_t[b, t]`` and ``S`` the same with ``sin_t``, ``block[b]``
    is ``[[A, -S], [S, A]]`` (``w`` (C_out, C_in, k), ``block`` (B, 2 C_out, 2 C_in)).

    Examples
    --------
    >>> import numpy as np
    >>> block = np.empty((1, 2, 2))
    >>> weight_block(0, 1, np.array([[[1.0, 2.0]]]), np.array([[1.0, 1.0]]),
    ...              np.array([[0.0, 1.0]]), block)
    >>> block[0].tolist()
    [[3.0, -2.0], [2.0, 3.0]]
    """
    c_out, c_in, taps = w.shape
    bins = cos_t.shape[0]
    column = np.empty((taps, c_in), w.dtype)
    real = np.empty(c_in, w.dtype)
    imag = np.empty(c_in, w.dtype)
    for o in range(start, stop):
        for c in range(c_in):  # the output channel's taps, channels innermost
            for t in range(taps):
                column[t, c] = w[o, c, t]
        for b in range(bins):
            real[:] = 0.0
            imag[:] = 0.0
            for t in range(taps):
                cv, sv = cos_t[b, t], sin_t[b, t]
                for c in range(c_in):
                    real[c] += cv * column[t, c]
                    imag[c] += sv * column[t, c]
            top, bottom = block[b, o], block[b, c_out + o]
            for c in range(c_in):
                top[c] = real[c]
                top[c_in + c] = -imag[c]
                bottom[c] = imag[c]
                bottom[c_in + c] = real[c]


@_jit
def permuted_copy(start, stop, src, dst):
    """``dst[a, b, c, d] = src[a, b, c, d]`` for the jobs ``start .. stop`` (flat ``a *
    dst.shape[1] + b``), ``src`` any strided (e.g. transposed) view of the same shape.

    Examples
    --------
    >>> import numpy as np
    >>> src = np.arange(6.0).reshape(1, 1, 2, 3)
    >>> dst = np.empty((1, 1, 3, 2))
    >>> permuted_copy(0, 1, src.transpose(0, 1, 3, 2), dst)
    >>> dst[0, 0].tolist()
    [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    """
    second = dst.shape[1]
    for job in range(start, stop):
        a, b = job // second, job % second
        for c in range(dst.shape[2]):
            for d in range(dst.shape[3]):
                dst[a, b, c, d] = src[a, b, c, d]
