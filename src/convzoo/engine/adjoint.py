"""Transposed convolution as a forward convolution (the adjoint, derived, not rewritten).

The gradient of a strided, dilated correlation with respect to its input, which is also
what a transposed convolution computes, equals a stride-1 correlation of the output
gradient *with zeros inserted between its cells* (``s - 1`` per gap), padded by
``d*(k-1)`` on both sides, with the kernel flipped and its in/out channels swapped within
each group (Dumoulin & Visin 2016, section 4). Any forward algorithm therefore gives a
transposed convolution and a backward pass for free.
"""

from __future__ import annotations

import numpy as np

__all__ = ["transpose_weight", "dilate_and_pad"]


def transpose_weight(w: np.ndarray, groups: int) -> np.ndarray:
    """Flip the kernel and swap in/out channels within each group.

    Parameters
    ----------
    w : ndarray, shape (C_out, C_in/G, *k)

    Returns
    -------
    ndarray, shape (C_in, C_out/G, *k)

    Examples
    --------
    >>> import numpy as np
    >>> transpose_weight(np.arange(3.0).reshape(1, 1, 3), 1)
    array([[[2., 1., 0.]]])
    """
    c_out, c_group, *kernel = w.shape
    ndim = len(kernel)
    per_group = w.reshape(groups, c_out // groups, c_group, *kernel)
    swapped = per_group.swapaxes(1, 2)  # (G, C_out/G, C_g, *k) -> (G, C_g, C_out/G, *k)
    flipped = swapped[(Ellipsis, *([slice(None, None, -1)] * ndim))]
    return np.ascontiguousarray(flipped).reshape(groups * c_group, c_out // groups, *kernel)


def dilate_and_pad(g: np.ndarray, kernel, stride, dilation, full_spatial) -> np.ndarray:
    """Insert ``s - 1`` zeros between cells and pad so a stride-1 correlation gives ``full``.

    Parameters
    ----------
    g : ndarray, shape (N, C, *out)
    kernel, stride, dilation : tuple of int
    full_spatial : tuple of int
        Wanted spatial size of the correlation's result.

    Returns
    -------
    ndarray, shape (N, C, *(full + d*(k-1)))

    Examples
    --------
    >>> import numpy as np
    >>> dilate_and_pad(np.ones((1, 1, 2)), (2,), (2,), (1,), (4,))[0, 0]
    array([0., 1., 0., 1., 0.])
    """
    reach = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
    size = tuple(f + r for f, r in zip(full_spatial, reach, strict=True))
    z = np.zeros((*g.shape[:2], *size), dtype=g.dtype)
    index = tuple(
        slice(r, r + (o - 1) * s + 1, s) for r, o, s in zip(reach, g.shape[2:], stride, strict=True)
    )
    z[(Ellipsis, *index)] = g
    return z
