"""Global-border padding of a dask array: every padding mode applied once, to the whole array.

A tiled convolution must pad the borders of the *image*, not of each tile: reflecting at a
tile edge would copy the wrong cells. The padded cells are built from
:func:`convzoo.padding.source_index`, the same map the in-memory :func:`convzoo.pad` uses, so
the two can never disagree; they are thin border chunks (``lo`` and ``hi`` cells wide)
concatenated to each end of the axis, and only the tiles at the border ever read them.
"""

from __future__ import annotations

import numpy as np

from ..padding import source_index
from ._lazy import import_dask_array

__all__ = ["pad_global", "insert_zeros"]


def pad_global(x, pads, mode: str = "zeros", value: float = 0.0):
    """Pad the trailing ``len(pads)`` axes of a dask array with one padding mode.

    Parameters
    ----------
    x : dask.array.Array, shape (..., n_1, ..., n_D)
    pads : tuple of (int, int)
        ``(lo, hi)`` per padded axis (non-negative; checked by :func:`convzoo.make_spec`).
    mode : str
        A padding mode of :data:`convzoo.PADDING_MODES`.
    value : float
        Fill value of ``'constant'``.

    Returns
    -------
    dask.array.Array, shape (..., n_1 + lo_1 + hi_1, ...)
        The interior chunks are ``x``'s own; each padded side adds one border chunk.

    Examples
    --------
    >>> import dask.array as da
    >>> x = da.from_array(np.arange(4.0), chunks=2)
    >>> pad_global(x, ((2, 2),), "reflect").compute().tolist()
    [2.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0, 1.0]
    """
    da = import_dask_array()
    lead = x.ndim - len(pads)
    for axis, (lo, hi) in enumerate(pads, start=lead):
        if not (lo or hi):
            continue
        n = x.shape[axis]
        if mode in ("zeros", "constant"):
            sides = [_full(da, x, axis, width, value) for width in (lo, hi)]
        else:
            source = source_index(n, lo, hi, mode)
            sides = [da.take(x, source[:lo], axis=axis), da.take(x, source[lo + n :], axis=axis)]
        parts = [p for p, width in zip((sides[0], x, sides[1]), (lo, n, hi)) if width]
        x = da.concatenate(parts, axis=axis)
    return x


def _full(da, x, axis, width, value):
    shape = x.shape[:axis] + (width,) + x.shape[axis + 1 :]
    chunks = x.chunks[:axis] + ((width,),) + x.chunks[axis + 1 :]
    return da.full(shape, value, dtype=x.dtype, chunks=chunks)


def insert_zeros(x, stride):
    """Put ``s - 1`` zeros after every cell of the trailing ``len(stride)`` axes.

    Chunk by chunk: a chunk of length ``m`` becomes ``m*s`` long, so the result has length
    ``n*s`` with cell ``i*s`` holding ``x[i]`` (the last ``s - 1`` cells are zeros). This is
    the upsampling that turns a transposed convolution into a stride-1 convolution.

    Examples
    --------
    >>> import dask.array as da
    >>> insert_zeros(da.ones((1, 1, 3), chunks=2), (2,)).compute()[0, 0].tolist()
    [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    """
    lead = x.ndim - len(stride)
    if all(s == 1 for s in stride):
        return x
    chunks = x.chunks[:lead] + tuple(
        tuple(c * s for c in cs) for cs, s in zip(x.chunks[lead:], stride, strict=True)
    )
    return x.map_blocks(_insert_zeros_block, tuple(stride), chunks=chunks, dtype=x.dtype)


def _insert_zeros_block(block, stride):
    lead = block.ndim - len(stride)
    shape = block.shape[:lead] + tuple(n * s for n, s in zip(block.shape[lead:], stride))
    out = np.zeros(shape, dtype=block.dtype)
    out[(Ellipsis, *(slice(None, None, s) for s in stride))] = block
    return out
