"""Out-of-core images: stream a Zarr array through a tiled convolution and back to Zarr.

Zarr stores an N-d array as a grid of compressed chunks (files, or objects in a cloud
bucket), so a worker reads and writes only the chunks of its tiles: an image larger than
the memory of every machine flows through :func:`convzoo.dask.conv` chunk by chunk. Images
are often stored channels-last (``H, W, C``); both layouts map to convzoo's
``(N, C, *spatial)`` lazily, without copying.
"""

from __future__ import annotations

import numpy as np

from ._lazy import import_dask_array, require_dask_array

__all__ = ["read_zarr", "write_zarr"]


def _import_zarr():
    try:
        import zarr
    except ImportError as error:  # pragma: no cover - zarr is installed in CI
        raise ImportError("convzoo.dask Zarr I/O needs zarr: pip install convzoo[dask]") from error
    return zarr


def read_zarr(store, *, chunks=None, channels_last=False, batch=True):
    """Open a Zarr array as a lazy ``(N, C, *spatial)`` dask array.

    Parameters
    ----------
    store : str, pathlib.Path, zarr store or zarr.Array
        Path or URL of the array (``s3://...`` with fsspec for a cluster of machines), or
        an open array.
    chunks : tuple or dict, optional
        Dask chunks in the *stored* layout; default: the Zarr chunks.
    channels_last : bool
        The stored layout is ``(N, *spatial, C)`` (or ``(*spatial, C)``), e.g. an RGB image.
    batch : bool
        The stored array has a leading batch axis; if False one of length 1 is added.

    Returns
    -------
    dask.array.Array, shape (N, C, *spatial)

    Examples
    --------
    >>> import tempfile, numpy as np, zarr
    >>> path = tempfile.mkdtemp() + "/rgb.zarr"
    >>> zarr.create_array(path, data=np.zeros((6, 8, 3), np.float32), chunks=(3, 4, 3)).shape
    (6, 8, 3)
    >>> x = read_zarr(path, channels_last=True, batch=False)
    >>> x.shape, x.chunks
    ((1, 3, 6, 8), ((1,), (3,), (3, 3), (4, 4)))
    """
    da = import_dask_array()
    zarr = _import_zarr()
    array = store if isinstance(store, zarr.Array) else zarr.open_array(store, mode="r")
    x = da.from_array(array, chunks=chunks or array.chunks)
    if not batch:
        x = x[None]  # (*S, C) -> (1, *S, C), or (C, *S) -> (1, C, *S)
    if channels_last:
        x = da.moveaxis(x, -1, 1)  # (N, *S, C) -> (N, C, *S)
    if x.ndim < 3:
        raise ValueError(
            f"read_zarr: {store} has shape {array.shape}; with batch={batch} and "
            f"channels_last={channels_last} that is not (N, C, *spatial) with a spatial axis"
        )
    return x


def write_zarr(
    y, store, *, channels_last=False, batch=True, overwrite=False, compute=True, **zarr_kwargs
):
    """Write a ``(N, C, *spatial)`` dask array to Zarr, one task per chunk.

    Parameters
    ----------
    y : dask.array.Array, shape (N, C, *spatial)
    store : str, pathlib.Path or zarr store
    channels_last, batch : bool
        The stored layout, as in :func:`read_zarr`; ``batch=False`` needs ``N == 1``.
    overwrite : bool
        Replace an existing array at ``store``.
    compute : bool
        Write now (with the current Dask scheduler) and return None; if False, return one
        ``dask.delayed`` write per chunk (submit them yourself, e.g. to track progress).
    **zarr_kwargs
        Passed to ``zarr.create_array`` (e.g. ``compressors=None``).

    Returns
    -------
    None or list of dask.delayed.Delayed

    Notes
    -----
    Chunk edges of a convolution's output follow its input's chunks divided by the stride, so
    they can be irregular; Zarr needs one chunk size per axis, so ``y`` is first rechunked to
    regular chunks (the largest of each axis). Each Zarr chunk is then written by exactly one
    task: no two tasks ever touch the same chunk file.

    Examples
    --------
    >>> import tempfile, numpy as np, dask.array as da
    >>> path = tempfile.mkdtemp() + "/out.zarr"
    >>> write_zarr(da.ones((1, 2, 5, 5), chunks=(1, 2, 3, 3)), path)
    >>> read_zarr(path).sum().compute().item()
    50.0
    """
    da = require_dask_array("write_zarr", y, "y")
    zarr = _import_zarr()
    from dask import compute as dask_compute
    from dask import delayed

    if not batch:
        if y.shape[0] != 1:
            raise ValueError(
                f"write_zarr: batch=False stores a single image, so y.shape[0] must be 1; got "
                f"shape {y.shape}"
            )
        y = y[0]  # (1, C, *S) -> (C, *S)
    if channels_last:
        y = da.moveaxis(y, 0 if not batch else 1, -1)  # (N, C, *S) -> (N, *S, C)
    regular = tuple(max(c) for c in y.chunks)
    y = y.rechunk(regular)
    array = zarr.create_array(
        store, shape=y.shape, chunks=regular, dtype=y.dtype, overwrite=overwrite, **zarr_kwargs
    )
    writes = []
    blocks = y.to_delayed()
    for index in np.ndindex(*y.numblocks):
        region = tuple(slice(i * c, i * c + n[i]) for i, c, n in zip(index, regular, y.chunks))
        writes.append(delayed(_write_block)(array, region, blocks[index]))
    if not compute:
        return writes
    dask_compute(*writes)
    return None


def _write_block(array, region, block):
    array[region] = block
    return block.nbytes
