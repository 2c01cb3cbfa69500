"""The DFT algorithm's building blocks (:mod:`.dft`): the transform matrices, the weights'
complex blocks and the copies between layouts.

:func:`spectrum_matrix` and :func:`inverse_matrix` are the real forms of the forward and
inverse DFT along the kernel's axis; :func:`weight_block` is, per frequency bin, the real
``(2 C_out, 2 C_in)`` form of the complex product with the weights' conjugate spectrum;
:func:`permuted_copy` moves arrays between NCHW and the kernel-axis-first layout. The last
two run as numba kernels on the engine's threads (:mod:`.dft_kernels`) and fall back to
NumPy without numba (:func:`kernels` returns ``None``).
"""

from __future__ import annotations

import numpy as np

from .parallel import parallel_for
from .scratch import scratch

__all__ = ["inverse_matrix", "kernels", "permuted_copy", "spectrum_matrix", "weight_block"]


def spectrum_matrix(bins, positions, length, dtype):
    """``(2B, len(positions))``: rows ``(b, re)`` and ``(b, im)`` of ``exp(-2 pi i b j / L)``.

    Examples
    --------
    >>> spectrum_matrix(2, [0, 1], 4, "float64").round(6).tolist()  # bins 0 and 1, L = 4
    [[1.0, 1.0], [-0.0, -0.0], [1.0, 0.0], [-0.0, -1.0]]
    """
    angle = 2 * np.pi * np.outer(np.arange(bins), positions) / length
    return np.stack([np.cos(angle), -np.sin(angle)], axis=1).reshape(2 * bins, -1).astype(dtype)


def inverse_matrix(bins, positions, length, dtype):
    """``(len(positions), 2B)``: the real part of the inverse DFT at ``positions``, from the
    ``B`` bins of a real signal (bins other than 0 and ``L/2`` stand for their conjugates).

    Examples
    --------
    The inverse undoes the forward transform of a real signal:

    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 0.0, -1.0])
    >>> forward = spectrum_matrix(3, np.arange(4), 4, "float64")
    >>> (inverse_matrix(3, np.arange(4), 4, "float64") @ forward @ x).round(6).tolist()
    [1.0, 2.0, 0.0, -1.0]
    """
    weight = np.full(bins, 2.0)
    weight[0] = 1.0
    if length % 2 == 0:
        weight[-1] = 1.0
    angle = 2 * np.pi * np.outer(positions, np.arange(bins)) / length
    pair = np.stack([np.cos(angle), -np.sin(angle)], axis=2) * (weight[:, None] / length)
    return pair.reshape(len(positions), 2 * bins).astype(dtype)


def kernels():
    """The numba kernels (:mod:`.dft_kernels`), or ``None`` without numba (NumPy instead).

    Examples
    --------
    >>> kernels() is None or hasattr(kernels(), "weight_block")
    True
    """
    try:
        from . import dft_kernels
    except ImportError:  # pragma: no cover - numba is installed in CI
        return None
    return dft_kernels


def permuted_copy(dst, src):
    """``dst[...] = src`` for a permuted view ``src``: 4-D arrays on the engine's threads.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(6.0).reshape(1, 1, 2, 3)
    >>> dst = np.empty((1, 1, 3, 2))
    >>> permuted_copy(dst, x.transpose(0, 1, 3, 2))
    >>> dst[0, 0].tolist()
    [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    """
    numba_kernels = kernels()
    if numba_kernels is None or dst.ndim != 4 or dst.size == 0:
        np.copyto(dst, src)
        return
    parallel_for(numba_kernels.permuted_copy, dst.shape[0] * dst.shape[1], src, dst)


def weight_block(w, cos_t, sin_t, name):
    """``(B, 2 C_out, 2 C_in)``: per bin ``[[A, -S], [S, A]]`` with ``A + iS`` the conjugate
    spectrum of the weights ``w`` (C_out, C_in, k) at the bins of ``cos_t``, ``sin_t``
    (B, k), the real form of the complex product (into scratch ``name``).

    Examples
    --------
    One tap of weight 2 at angle 0 (cos 1, sin 0): ``A = 2``, ``S = 0``:

    >>> import numpy as np
    >>> weight_block(np.full((1, 1, 1), 2.0), np.ones((1, 1)), np.zeros((1, 1)), "doc")[0]
    array([[ 2., -0.],
           [ 0.,  2.]])
    """
    c_out, c_in = w.shape[:2]
    block = scratch(name, (cos_t.shape[0], 2 * c_out, 2 * c_in), w.dtype)
    numba_kernels = kernels()
    if numba_kernels is not None:
        parallel_for(numba_kernels.weight_block, c_out, w, cos_t, sin_t, block)
        return block
    flat = w.reshape(c_out * c_in, -1).T  # (k, C_out*C_in)
    real = (cos_t @ flat).reshape(-1, c_out, c_in)
    imag = (sin_t @ flat).reshape(-1, c_out, c_in)
    block[:, :c_out, :c_in], block[:, c_out:, c_in:] = real, real
    block[:, c_out:, :c_in] = imag
    np.negative(imag, out=block[:, :c_out, c_in:])
    return block
