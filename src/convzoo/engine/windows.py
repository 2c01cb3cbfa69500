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
