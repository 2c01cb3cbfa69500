"""Lazy import of the optional Dask dependency, with the extra to install in the error."""

from __future__ import annotations

import math

__all__ = ["import_dask_array", "require_dask_array"]

_EXTRA = "pip install convzoo[dask]"


def import_dask_array():
    """Return the ``dask.array`` module, or raise ImportError naming the extra to install."""
    try:
        import dask.array as da
    except ImportError as error:
        raise ImportError(
            f"convzoo.dask needs dask[array,distributed] and zarr: {_EXTRA}"
        ) from error
    return da


def require_dask_array(func: str, x, name: str = "x"):
    """Raise unless ``x`` is a ``dask.array.Array`` with known chunk sizes; return the module."""
    da = import_dask_array()
    if not isinstance(x, da.Array):
        raise TypeError(
            f"{func}: {name} must be a dask.array.Array; got {type(x).__name__} (wrap a NumPy "
            f"array with dask.array.from_array(x, chunks=...), or call convzoo.conv for "
            f"in-memory arrays)"
        )
    if any(math.isnan(size) for sizes in x.chunks for size in sizes):
        raise ValueError(
            f"{func}: {name} has unknown chunk sizes {x.chunks}; tiles need to know where the "
            f"borders are: call {name}.compute_chunk_sizes() first"
        )
    return da
