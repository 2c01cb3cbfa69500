"""Single-threaded BLAS while convzoo's own threads each run a Winograd pipeline.

The Winograd engine runs one chunk of tiles per thread, end to end: input transform, the
``a*a`` matrix products, output transform. Each chunk's products are small and hot in that
core's cache, so they belong on that thread; if NumPy's OpenBLAS also spread every product
over all cores, its spinning worker threads and ours would fight for the same cores
(measured on 2 cores: products 2-50x slower when the machine is shared). While such a
pipeline runs, :func:`single_threaded_blas` sets OpenBLAS's thread count to 1 through its C
entry point (``openblas_set_num_threads``, found in the library bundled with NumPy) and
restores it afterwards. Where no such entry point exists, :func:`available` is False and
the engine runs its chunks on one thread with BLAS threaded as usual.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import threading

import numpy as np

__all__ = ["available", "single_threaded_blas"]

_NAMES = ("scipy_openblas{}_num_threads64_", "openblas{}_num_threads64_", "openblas{}_num_threads")
_lock = threading.Lock()
_state: dict = {"depth": 0}


def _libraries() -> list[str]:
    root = os.path.dirname(os.path.dirname(os.path.abspath(np.__file__)))
    found = []
    for folder in ("numpy.libs", os.path.join("numpy", ".libs"), "scipy_openblas64", "lib"):
        for pattern in ("*openblas*.so*", "*openblas*.dylib", "*openblas*.dll"):
            found += sorted(glob.glob(os.path.join(root, folder, pattern)))
    return found


def _entry_points():
    """``(get, set)`` of the OpenBLAS thread count NumPy uses, or ``None``."""
    if "entry" not in _state:
        _state["entry"] = None
        for name in _libraries():
            try:
                library = ctypes.CDLL(name)
            except OSError:  # pragma: no cover
                continue
            for template in _NAMES:
                get = getattr(library, template.format("_get"), None)
                put = getattr(library, template.format("_set"), None)
                if get is not None and put is not None:
                    get.restype, get.argtypes = ctypes.c_int, []
                    put.restype, put.argtypes = None, [ctypes.c_int]
                    _state["entry"] = (get, put)
                    return _state["entry"]
    return _state["entry"]


def available() -> bool:
    """Whether NumPy's BLAS thread count can be set (OpenBLAS found).

    Examples
    --------
    >>> isinstance(available(), bool)
    True
    """
    return _entry_points() is not None


@contextlib.contextmanager
def single_threaded_blas():
    """Run the block with NumPy's OpenBLAS on one thread (nested and thread-safe).

    Examples
    --------
    >>> import numpy as np
    >>> with single_threaded_blas():
    ...     float((np.ones((2, 2)) @ np.ones((2, 2)))[0, 0])
    2.0
    """
    entry = _entry_points()
    if entry is None:
        yield
        return
    get, put = entry
    with _lock:
        if _state["depth"] == 0:
            _state["saved"] = get()
            put(1)
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                put(_state["saved"])
