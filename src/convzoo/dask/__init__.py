"""convzoo on Dask: convolutions of arrays larger than memory, tiled with halos.

Every function takes a ``dask.array.Array`` and returns a lazy one whose ``compute()``
equals the in-memory :mod:`convzoo` result; run it with any Dask scheduler (threads,
processes, or a ``dask.distributed`` cluster of many machines). Needs the ``dask`` extra:
``pip install convzoo[dask]``.

Examples
--------
>>> import numpy as np, dask.array as da, convzoo, convzoo.dask
>>> x = np.random.default_rng(0).standard_normal((1, 3, 64, 64))
>>> w = np.random.default_rng(1).standard_normal((8, 3, 3, 3))
>>> y = convzoo.dask.conv(da.from_array(x, chunks=(1, 3, 16, 16)), w, padding="same")
>>> y.numblocks
(1, 1, 4, 4)
>>> bool(np.allclose(y.compute(), convzoo.conv(x, w, padding="same")))
True
"""

from .borders import pad_global
from .conv import conv, conv_transpose
from .groups import channel_shuffle
from .layers import apply
from .zarr_io import read_zarr, write_zarr

__all__ = [
    "apply",
    "channel_shuffle",
    "conv",
    "conv_transpose",
    "pad_global",
    "read_zarr",
    "write_zarr",
]
