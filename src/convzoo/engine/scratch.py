"""Scratch arrays kept between calls, one set per thread.

A fresh multi-megabyte array costs more than its size suggests: the allocator hands large
blocks back to the system when they are freed, and the next call's first touch of every
page faults (measured on a 2-core VM: about 0.8 us per 4 KiB page, so 4 MiB of temporaries
cost about 1 ms, as much as the products that fill them). Whether a given call pays depends
on the allocator's history in the process, which made the same layer run 1.5-2x slower in
some processes than in others. Algorithms therefore take their large temporaries from here:
each name holds one buffer per thread, grown when a larger one is asked for and otherwise
reused. Nothing returned to a caller is ever a scratch array.

:func:`held` reports the bytes kept; :func:`release` frees them (the benchmark does before
it measures a call's peak memory, so that the peak includes them).
"""

from __future__ import annotations

import math
import threading

import numpy as np

__all__ = ["held", "release", "scratch"]

_local = threading.local()


def _buffers() -> dict:
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        buffers = _local.buffers = {}
    return buffers


def scratch(name: str, shape, dtype) -> np.ndarray:
    """An uninitialised C-contiguous array of ``shape`` kept under ``name`` for this thread.

    Two arrays in use at the same time need two names; the array is overwritten by the
    next request under the same name in the same thread.

    Examples
    --------
    >>> a = scratch("doc", (2, 3), "float32")
    >>> b = scratch("doc", (3,), "float32")  # the same memory again
    >>> a.shape, b.shape, bool(np.shares_memory(a, b))
    ((2, 3), (3,), True)
    >>> release()
    """
    dtype = np.dtype(dtype)
    size = math.prod(shape) * dtype.itemsize
    buffers = _buffers()
    buffer = buffers.get(name)
    if buffer is None or buffer.size < size:
        buffers.pop(name, None)  # free the smaller one first
        buffer = buffers[name] = np.empty(max(size, 1), np.uint8)
    return buffer[:size].view(dtype).reshape(shape)


def held() -> int:
    """Bytes of scratch kept by the calling thread.

    Examples
    --------
    >>> release(); _ = scratch("doc", (1024,), "float64"); held()
    8192
    >>> release(); held()
    0
    """
    return sum(buffer.nbytes for buffer in _buffers().values())


def release() -> None:
    """Free the calling thread's scratch arrays.

    Examples
    --------
    >>> release()
    """
    _buffers().clear()
