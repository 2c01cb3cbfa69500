"""Kernel windows as a strided view: the im2col matrix without copying.

For a padded input ``xp`` of shape ``(N, C, *padded)``, ``windows`` returns a read-only
view of shape ``(N, C, *out, *k)`` with ``view[n, c, p, t] = xp[n, c, p*s + t*d]``. Every
vectorised algorithm starts from it; copying a chunk of it in ``(C, *k)``-major order gives
the im2col matrix of Chellapilla et al. (2006).
"""

from __future__ import annotations

import numpy as np

from ..shapes import conv_length

__all__ = ["windows"]


def windows(xp: np.ndarray, kernel, stride, dilation, out=None) -> np.ndarray:
    """Strided view of every kernel window of ``xp``.

    Parameters
    ----------
    xp : ndarray, shape (N, C, *padded)
    kernel, stride, dilation : tuple of int
    out : tuple of int, optional
        Number of output positions per dimension; defaults to all that fit. Fewer may be
        asked for (a weight gradient uses only the positions its output gradient has).

    Returns
    -------
    ndarray, shape (N, C, *out, *kernel)
        Read-only view sharing memory with ``xp``.

    Examples
    --------
    >>> import numpy as np
    >>> windows(np.arange(6.0).reshape(1, 1, 6), (3,), (2,), (1,))[0, 0]
    array([[0., 1., 2.],
           [2., 3., 4.]])
    """
    spatial = xp.shape[2:]
    if out is None:
        out = tuple(
            conv_length(n, k, s, d) for n, k, s, d in zip(spatial, kernel, stride, dilation)
        )
    batch_stride, channel_stride, *axis_strides = xp.strides
    strides = (
        batch_stride,
        channel_stride,
        *(a * s for a, s in zip(axis_strides, stride, strict=True)),
        *(a * d for a, d in zip(axis_strides, dilation, strict=True)),
    )
    shape = (*xp.shape[:2], *out, *kernel)
    return np.lib.stride_tricks.as_strided(xp, shape, strides, writeable=False)


def fill_windows(dest: np.ndarray, x: np.ndarray, starts, steps, padding) -> np.ndarray:
    """Copy ``dest[..., i] = xp[..., start + i*step]`` from the zero-padded ``xp`` of ``x``.

    The padded array is never built: the part of ``dest`` that falls inside ``x`` is one
    strided copy, the rest (at most two slabs per dimension) is set to zero.

    Parameters
    ----------
    dest : ndarray, shape (..., *lengths)
        Written in place.
    x : ndarray, shape (..., *spatial)
        Same leading shape as ``dest``.
    starts, steps : tuple of int
        Per spatial dimension: first padded index read and the step between reads.
    padding : tuple of (int, int)
        Zeros before and after ``x`` in each dimension (only the ``lo`` side matters).

    Examples
    --------
    >>> import numpy as np
    >>> dest = np.empty((1, 4))
    >>> fill_windows(dest, np.array([[1.0, 2.0, 3.0]]), (0,), (2,), ((2, 2),)).tolist()
    [[0.0, 1.0, 3.0, 0.0]]
    """
    ndim = len(starts)
    lead = (slice(None),) * (dest.ndim - ndim)
    inside, source = [], []
    for length, size, start, step, (lo, _) in zip(
        dest.shape[-ndim:], x.shape[-ndim:], starts, steps, padding, strict=True
    ):
        first = min(length, max(0, -((start - lo) // step)))  # ceil((lo - start) / step)
        stop = min(length, max(0, -((start - lo - size) // step)))
        if stop <= first:
            dest[...] = 0
            return dest
        inside.append((first, stop))
        begin = start + first * step - lo
        source.append(slice(begin, begin + (stop - first - 1) * step + 1, step))
    dest[(*lead, *(slice(a, b) for a, b in inside))] = x[(*lead, *source)]
    for axis, (first, stop) in enumerate(inside):
        before = (slice(None),) * axis
        if first > 0:
            dest[(*lead, *before, slice(0, first))] = 0
        if stop < dest.shape[dest.ndim - ndim + axis]:
            dest[(*lead, *before, slice(stop, None))] = 0
    return dest
