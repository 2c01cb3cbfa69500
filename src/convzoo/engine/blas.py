"""Direct BLAS matrix products: ``C = A @ B + beta * C`` on strided views, in place.

``np.matmul`` needs operands it can hand to BLAS as they are and always writes a fresh
product; the GEMM engine wants more: operands that are column ranges of a larger workspace
(any leading dimension), products written straight into a slice of the output, and
accumulation (``beta = 1``) so that several products add up without temporaries. The
``cblas_?gemm`` routine of the Level 3 BLAS (Dongarra et al., 1990) does all of that.

:func:`gemm` calls the ``cblas_sgemm`` / ``cblas_dgemm`` of the OpenBLAS library NumPy
itself links against (found next to NumPy, e.g. ``numpy.libs/libscipy_openblas64_*.so``),
through :mod:`ctypes`: the same library, the same thread pool, no second BLAS. When no such
library is found, or an operand's layout is not one BLAS accepts, it falls back to
``np.matmul`` (same results, more copies). :func:`available` says which path is in use;
``CONVZOO_NO_CBLAS=1`` or :func:`set_enabled` turns the direct path off.

:func:`single_threaded` sets the same library's thread count to 1 for a block (through
``openblas_set_num_threads``) and restores it: engine code that runs its own threads, each
with small products on its own data (Winograd, the fused depthwise separable), would
otherwise have OpenBLAS's spinning workers fight its threads for the cores (measured on 2
cores: products 2-50x slower when the machine is shared).

References
----------
Dongarra, Du Croz, Hammarling and Duff, "A set of level 3 basic linear algebra
subprograms", ACM Trans. Math. Softw. 16(1), 1990.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import threading

import numpy as np

from .parallel import num_threads

__all__ = [
    "available",
    "gemm",
    "set_enabled",
    "threads_available",
    "single_threaded",
    "whole_images_per_thread",
]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
#: (symbol name, integer type) pairs to try, most specific first (ILP64 builds suffix 64_).
_SYMBOLS = (
    ("scipy_cblas_{}gemm64_", ctypes.c_int64),
    ("cblas_{}gemm64_", ctypes.c_int64),
    ("cblas_{}gemm", ctypes.c_int),
)
_state: dict = {"enabled": os.environ.get("CONVZOO_NO_CBLAS", "") in ("", "0")}


def _candidates() -> list[str]:
    """Shared libraries that may hold NumPy's BLAS (bundled copies next to the package)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(np.__file__)))
    names = []
    for folder in ("numpy.libs", os.path.join("numpy", ".libs"), os.path.join("numpy", "_core")):
        names += sorted(glob.glob(os.path.join(root, folder, "*openblas*.so*")))
        names += sorted(glob.glob(os.path.join(root, folder, "*openblas*.dll")))
        names += sorted(glob.glob(os.path.join(root, folder, "*openblas*.dylib")))
    return names


def _bind(library, dtype_code: str):
    for template, integer in _SYMBOLS:
        function = getattr(library, template.format(dtype_code), None)
        if function is None:
            continue
        real = ctypes.c_float if dtype_code == "s" else ctypes.c_double
        ptr, enum = ctypes.c_void_p, ctypes.c_int
        function.argtypes = [enum, enum, enum, integer, integer, integer, real, ptr, integer,
                             ptr, integer, real, ptr, integer]  # fmt: skip
        function.restype = None
        return function
    return None


def _libraries() -> list:
    """The loadable candidate libraries, in order (loaded once)."""
    if "libraries" not in _state:
        _state["libraries"] = []
        for name in _candidates():
            try:
                _state["libraries"].append(ctypes.CDLL(name))
            except OSError:  # pragma: no cover - a broken file next to NumPy
                continue
    return _state["libraries"]


def _routines() -> dict | None:
    """``{np.float32: sgemm, np.float64: dgemm}`` from NumPy's BLAS, or ``None``."""
    if "routines" not in _state:
        _state["routines"] = None
        for library in _libraries():
            single, double = _bind(library, "s"), _bind(library, "d")
            if single is not None and double is not None:
                _state["routines"] = {np.dtype(np.float32): single, np.dtype(np.float64): double}
                break
    return _state["routines"] if _state["enabled"] else None


def available() -> bool:
    """Whether :func:`gemm` calls BLAS directly (else it falls back to ``np.matmul``).

    Examples
    --------
    >>> isinstance(available(), bool)
    True
    """
    return _routines() is not None


def set_enabled(enabled: bool) -> bool:
    """Turn the direct BLAS path on or off; returns the previous setting.

    Examples
    --------
    >>> previous = set_enabled(False)
    >>> available()
    False
    >>> _ = set_enabled(previous)
    """
    previous = _state["enabled"]
    _state["enabled"] = bool(enabled)
    return previous


def _layout(a: np.ndarray):
    """``(transposed, leading dimension)`` of a 2-D view BLAS can read in place, or None."""
    item = a.itemsize
    rows, cols = a.shape
    s0, s1 = a.strides
    if a.ctypes.data % item or s0 % item or s1 % item:
        return None
    if (s1 == item or cols == 1) and (rows == 1 or s0 >= max(cols, 1) * item):
        return False, max(s0 // item if rows > 1 else cols, cols, 1)
    if (s0 == item or rows == 1) and (cols == 1 or s1 >= max(rows, 1) * item):
        return True, max(s1 // item if cols > 1 else rows, rows, 1)
    return None


def gemm(a: np.ndarray, b: np.ndarray, c: np.ndarray, beta: float = 0.0) -> np.ndarray:
    """``c[...] = a @ b + beta * c`` in place, for 2-D views with any leading dimension.

    Parameters
    ----------
    a : ndarray, shape (m, k)
    b : ndarray, shape (k, n)
    c : ndarray, shape (m, n)
        Written in place (a view into a larger array is fine); same dtype as ``a``, ``b``.
    beta : float
        ``0`` overwrites ``c`` (its old values are never read), ``1`` accumulates.

    Returns
    -------
    ndarray, shape (m, n)
        ``c``.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.ones((2, 2))
    >>> gemm(np.eye(2), np.arange(4.0).reshape(2, 2), c, beta=1.0).tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """
    routines = _routines()
    dtype = c.dtype
    if routines is not None and dtype in routines and a.dtype == dtype == b.dtype and c.size:
        la, lb, lc = _layout(a), _layout(b), _layout(c)
        if la is not None and lb is not None and lc is not None and c.flags.writeable:
            m, n, k = c.shape[0], c.shape[1], a.shape[1]
            if lc[0]:  # column-major c: compute c^T = b^T @ a^T instead
                a, b, la, lb, m, n = b, a, (not lb[0], lb[1]), (not la[0], la[1]), n, m
            if k == 0:
                c *= beta
                return c
            routines[dtype](_ROW_MAJOR, _TRANS if la[0] else _NO_TRANS,
                            _TRANS if lb[0] else _NO_TRANS, m, n, k, 1.0, a.ctypes.data,
                            la[1], b.ctypes.data, lb[1], beta, c.ctypes.data, lc[1])  # fmt: skip
            return c
    if beta == 0:
        np.matmul(a, b, out=c)
    else:
        if beta != 1:
            c *= beta
        c += np.matmul(a, b)
    return c


_THREAD_NAMES = ("scipy_openblas{}_num_threads64_", "openblas{}_num_threads64_",
                 "openblas{}_num_threads")  # fmt: skip
_lock = threading.Lock()


def _thread_entry_points():
    """``(get, set)`` of the OpenBLAS thread count NumPy uses, or ``None``."""
    if "threads" not in _state:
        _state["threads"], _state["depth"] = None, 0
        for library in _libraries():
            for template in _THREAD_NAMES:
                get = getattr(library, template.format("_get"), None)
                put = getattr(library, template.format("_set"), None)
                if get is not None and put is not None:
                    get.restype, get.argtypes = ctypes.c_int, []
                    put.restype, put.argtypes = None, [ctypes.c_int]
                    _state["threads"] = (get, put)
                    return _state["threads"]
    return _state["threads"]


def threads_available() -> bool:
    """Whether NumPy's BLAS thread count can be set (OpenBLAS found).

    Examples
    --------
    >>> isinstance(threads_available(), bool)
    True
    """
    return _thread_entry_points() is not None


@contextlib.contextmanager
def single_threaded():
    """Run the block with NumPy's OpenBLAS on one thread (nested and thread-safe).

    Examples
    --------
    >>> import numpy as np
    >>> with single_threaded():
    ...     float((np.ones((2, 2)) @ np.ones((2, 2)))[0, 0])
    2.0
    """
    entry = _thread_entry_points()
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


def whole_images_per_thread(n_batch: int) -> bool:
    """Whether a batch should go to the engine's threads whole images at a time, each thread
    running its own products on single-threaded BLAS (:func:`single_threaded`): there are
    several threads, OpenBLAS's thread count can be set, and the images split evenly (or
    there are enough that the remainder does not matter: at least four per thread).

    Examples
    --------
    >>> from convzoo.engine.parallel import num_threads
    >>> whole_images_per_thread(1)
    False
    >>> whole_images_per_thread(8) == (num_threads() in (2, 4, 8) and threads_available())
    True
    """
    threads = num_threads()
    return (
        threads > 1 and threads_available() and (n_batch % threads == 0 or n_batch >= 4 * threads)
    )
