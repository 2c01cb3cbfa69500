"""The DFT algorithm's building blocks (:mod:`.dft`): the transform matrices, the weights'
spectra and the copies between layouts.

:func:`spectrum_matrix` and :func:`inverse_matrix` are the real forms of the forward and
inverse DFT along the kernel's axis. Per frequency bin the channels mix through complex
products, each done with Gauss's three real products instead of four: for ``(a + ib)(c +
id)``, ``k1 = (a + b) c``, ``k2 = a (d - c)``, ``k3 = b (c + d)``, real part ``k1 - k3``,
imaginary part ``k1 + k2``. The sums and differences of real and imaginary parts fold into
the transform matrices (:func:`gauss_spectra`, :func:`gauss_inverse`) and the weights'
spectra (:func:`weight_block`), so the three products per bin are plain matrix products.
:func:`permuted_copy` moves arrays between NCHW and the kernel-axis-first layout, as a
numba kernel on the engine's threads (:mod:`.dft_kernels`), or NumPy without numba
(:func:`kernels` returns ``None``).
"""

from __future__ import annotations

import numpy as np

from .parallel import parallel_for
from .scratch import scratch

__all__ = [
    "gauss_inverse",
    "gauss_rows",
    "gauss_spectra",
    "inverse_matrix",
    "kernels",
    "permuted_copy",
    "real_bins",
    "spectrum_matrix",
    "weight_block",
]


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


def gauss_spectra(bins, positions, length, dtype, left=False):
    """``(3B, n)``: per bin the three operands of Gauss's product built from the spectrum ``X
    = c + id`` (:func:`spectrum_matrix`'s rows): ``c``, ``d - c``, ``c + d``; with ``left``,
    those of the left factor ``conj(G) = a + ib`` (``a = Re G``, ``b = -Im G``): ``a + b``,
    ``a``, ``b``.

    Examples
    --------
    >>> gauss_spectra(1, [0, 1], 2, "float64").tolist()  # bin 0: c = x0 + x1, d = 0
    [[1.0, 1.0], [-1.0, -1.0], [1.0, 1.0]]
    """
    pair = spectrum_matrix(bins, positions, length, dtype).reshape(bins, 2, -1)
    re, im = pair[:, 0], pair[:, 1]
    parts = [re - im, re, -im] if left else [re, im - re, re + im]
    return np.stack(parts, axis=1).reshape(3 * bins, -1)


def real_bins(length):
    """The bins whose spectrum is real for any real signal of ``L`` cells: 0, and ``L/2``
    when ``L`` is even.

    Examples
    --------
    >>> real_bins(20), real_bins(5)
    ([0, 10], [0])
    """
    return [0, length // 2] if length % 2 == 0 else [0]


def gauss_rows(bins, length):
    """Indices of the ``3B`` Gauss rows (``k1, k2, k3`` per bin) that real signals need: all
    three for a complex bin, only ``k1`` for the :func:`real_bins`.

    There ``b = d = 0``, so ``k2 = -k1`` and ``k3 = 0``: the product is ``k1`` alone, and
    the inverse reads only its real part. On a 1x7 kernel over 20 cells that leaves 29 of
    the 33 products.

    Examples
    --------
    >>> gauss_rows(3, 4).tolist()  # bins 0 and 2 real, bin 1 complex
    [0, 3, 4, 5, 6]
    >>> len(gauss_rows(11, 20)), len(gauss_rows(3, 5))
    (29, 7)
    """
    real = real_bins(length)
    return np.array([3 * b + j for b in range(bins) for j in range(1 if b in real else 3)])


def gauss_inverse(bins, positions, length, dtype):
    """``(n, 3B)``: :func:`inverse_matrix` applied to the real and imaginary parts ``k1 - k3``
    and ``k1 + k2`` of Gauss's products ``(k1, k2, k3)`` per bin.

    Examples
    --------
    A product of spectra through the three Gauss operands is a cyclic correlation:

    >>> import numpy as np
    >>> x, w = np.array([1.0, 2.0, 0.0, -1.0]), np.array([1.0, -1.0, 0.0, 0.0])
    >>> right = gauss_spectra(3, np.arange(4), 4, "float64") @ x  # (c, d - c, c + d)
    >>> left = gauss_spectra(3, np.arange(4), 4, "float64", left=True) @ w  # conj(W)
    >>> y = gauss_inverse(3, np.arange(4), 4, "float64") @ (left * right)
    >>> y.round(6).tolist(), [float(x @ np.roll(w, s)) for s in range(4)]
    ([-1.0, 2.0, 1.0, -2.0], [-1.0, 2.0, 1.0, -2.0])
    """
    pair = inverse_matrix(bins, positions, length, dtype).reshape(len(positions), bins, 2)
    re, im = pair[..., 0], pair[..., 1]
    return np.stack([re + im, im, -re], axis=2).reshape(len(positions), 3 * bins)


def kernels():
    """The numba kernels (:mod:`.dft_kernels`), or ``None`` without numba (NumPy instead).

    Examples
    --------
    >>> kernels() is None or hasattr(kernels(), "permuted_copy")
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


def weight_block(w, cos_t, sin_t, name, rows=None):
    """``(3B, C_out, C_in)``: per bin Gauss's three left operands ``A + S``, ``A``, ``S``,
    with ``A + iS`` the conjugate spectrum of the weights ``w`` (C_out, C_in, k) at the bins
    of ``cos_t``, ``sin_t`` (B, k), into scratch ``name``: one product of a ``(3B, k)``
    matrix with the ``(k, C_out C_in)`` taps. ``rows`` (:func:`gauss_rows`) keeps only
    those of the ``3B`` operands.

    Examples
    --------
    Taps 1 and 2 at angles 0 and pi/2 (cos 1, 0; sin 0, 1): ``A = 1``, ``S = 2``:

    >>> import numpy as np
    >>> block = weight_block(np.array([[[1.0, 2.0]]]), np.array([[1.0, 0.0]]),
    ...                      np.array([[0.0, 1.0]]), "doc")
    >>> block[:, 0, 0].round(6).tolist()
    [3.0, 1.0, 2.0]
    """
    c_out, c_in, taps = w.shape
    bins = cos_t.shape[0]
    left = np.stack([cos_t + sin_t, cos_t, sin_t], axis=1).reshape(3 * bins, taps)
    if rows is not None:
        left = left[rows]
    block = scratch(name, (len(left), c_out, c_in), w.dtype)
    np.matmul(
        left.astype(w.dtype), w.reshape(c_out * c_in, taps).T, out=block.reshape(len(left), -1)
    )
    return block
