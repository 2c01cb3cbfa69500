"""Winograd tile transforms: index maps and the numba kernels (Lavin & Gray 2016, section 4).

The input transform ``V = B^T d B`` of every ``a x a`` tile ``d`` (``a = m + 2``), the
output transform ``Y = A^T M A`` and the output-gradient transform ``Z = A dY A^T`` are
written out as the few additions and scalings their sparse matrices need (22 non-zeros in
F(4x4)'s ``B^T`` instead of 36), in :mod:`.winograd_jit`. For a chunk of tile rows and one
channel, a kernel

* gathers the ``a x a`` cells of every tile into a ``[i, j, tile]`` block, reading the
  input rows in place (implicit zero padding: cells outside the input are zero, and only
  the border tiles check; no padded copy of the input is made), and
* applies the 1-D transform along ``i``, then along ``j``, each time to all tiles of the
  chunk at once: long contiguous loops that vectorise.

Dilation ``d`` lives in the index maps only: tile ``t`` along an axis is block ``t // d``,
phase ``t % d``, and its cells are ``d`` apart. Kernels run serially (``nogil``); the caller
runs one chunk per thread (:mod:`.winograd_pipeline`).

References
----------
Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016,
arXiv:1509.09308.
"""

from __future__ import annotations

import numpy as np

__all__ = ["kernels", "target_columns"]


def target_columns(m: int, d: int, tiles: int, width: int) -> np.ndarray:
    """Output column of tile ``t``'s column ``r``, ``[r, t]`` (``-1``: cropped).

    Examples
    --------
    >>> target_columns(2, 1, 2, 3).tolist()
    [[0, 2], [1, -1]]
    """
    block, phase = np.divmod(np.arange(tiles), d)
    cols = block[None, :] * m * d + np.arange(m)[:, None] * d + phase[None, :]
    return np.where(cols < width, cols, -1).astype(np.int64)


def kernels(m: int, dilated: bool = True):
    """``(input, output, output-gradient, weight transform)`` kernels of F(m x m, 3 x 3)
    (:mod:`.winograd_jit`, compiled on first use and cached on disk). Without dilation
    (``dilated=False``) the output kernel may be one that stores output rows in place.

    Examples
    --------
    >>> input_transform, output_transform, grad_transform, weight_transform = kernels(4)
    >>> input_transform.__name__, grad_transform.__name__, output_transform.__name__
    ('input_f4', 'grad_f4', 'output_f4')
    >>> kernels(4, dilated=False)[1].__name__
    'output_rows_f4'
    """
    try:
        import numba  # noqa: F401
    except ImportError as error:  # pragma: no cover
        raise ImportError("algorithm 'winograd' needs numba: pip install convzoo[fast]") from error
    from . import winograd_jit

    found = winograd_jit.KERNELS[m]
    if not dilated and m == 4:
        from .winograd_rows_jit import output_rows_f4

        return found[0], output_rows_f4, *found[2:]
    return found
