"""numba kernel of the DFT algorithm (:mod:`.dft`): the permuted copies between the NCHW
layout and the kernel-axis-first layout.

They were NumPy copies of transposed views, whose innermost loops run along a 17-cell row:
on the suite's 160-channel 17x17 Inception layer they took about 0.6 ms per call of the
2 ms the channel mixing took. This kernel does the same work on the engine's threads.
Imported only when numba is present (the ``fast`` extra); :mod:`.dft` falls back to NumPy
otherwise."""

from __future__ import annotations

from numba import njit

__all__ = ["permuted_copy"]

_jit = njit(cache=True, fastmath=True, nogil=True, error_model="numpy")


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
