"""Winograd input and output tile transforms as numba kernels (Lavin & Gray 2016, §4).

The input transform ``V = B^T d B`` of every ``a x a`` tile ``d`` (``a = m + 2``) and the
output transform ``Y = A^T M A`` are written out as the few additions and scalings their
sparse matrices need (22 non-zeros in F(4x4)'s ``B^T`` instead of 36). Both kernels work on
one row of tiles at a time and vectorise over the tiles of that row:

* a tile's first axis is transformed on whole input rows (``B^T`` applied to ``a`` rows);
* for the second axis the rows are first de-interleaved by ``m`` (column ``m*q + r`` goes to
  ``[r, q]``), so that the ``a`` cells a tile needs are ``a`` *contiguous* runs over tiles.

Zero padding is implicit: cells outside the input read as zero (no padded copy). Dilation
``d`` is handled in the same index maps: tile ``t`` along an axis is block ``t // d``, phase
``t % d``; its cells are ``d`` apart. Kernels run serially (``nogil``); the caller runs one
tile chunk per thread (:mod:`.winograd`).

References
----------
Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016,
arXiv:1509.09308.
"""

from __future__ import annotations

import numpy as np

__all__ = ["kernels", "source_columns", "target_columns"]


def source_columns(m: int, d: int, tiles: int, pad: int, width: int) -> tuple[np.ndarray, int]:
    """Where tile ``t``'s column ``j`` is read from: ``(index [j, t], line length)``.

    Indices point into a zero-padded copy of one input row whose cell ``col`` sits at
    ``col + max(pad, 0)``; tile ``t`` along the axis is block ``t // d``, phase ``t % d``
    and reads columns ``block*m*d + phase + j*d - pad``.

    Examples
    --------
    >>> index, length = source_columns(2, 1, 2, 1, 3)
    >>> index.tolist(), length
    ([[0, 2], [1, 3], [2, 4], [3, 5]], 6)
    """
    block, phase = np.divmod(np.arange(tiles), d)
    cols = block[None, :] * m * d + phase[None, :] + np.arange(m + 2)[:, None] * d - pad
    shift = max(pad, 0)
    return (cols + shift).astype(np.int64), max(int(cols.max()) + 1, width) + shift


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


def kernels():
    """``(input_transform, output_transform, grad_transform)`` (:mod:`.winograd_jit`,
    compiled on first use and cached on disk).

    Examples
    --------
    >>> input_transform, output_transform, grad_transform = kernels()
    >>> input_transform.__name__
    'input_transform'
    """
    try:
        import numba  # noqa: F401
    except ImportError as error:  # pragma: no cover
        raise ImportError("algorithm 'winograd' needs numba: pip install convzoo[fast]") from error
    from . import winograd_jit

    return winograd_jit.input_transform, winograd_jit.output_transform, winograd_jit.grad_transform
