"""The benchmark process's own settings: idle BLAS workers sleep, freed memory stays mapped.

Two properties of the *process*, not of either library's kernels, decided whole benchmark
runs before these settings (2-core KVM machine; the README's benchmark section has the
numbers):

- **Spinning BLAS workers.** After each matrix product OpenBLAS's worker threads poll for
  the next one for ``2**28`` cycles (about 0.1 s) before they sleep. Whatever the calling
  thread does meanwhile on its own (the stem's im2col copy between two products) ran up to
  5x slower in some processes: the stem layer took 30-37 ms instead of 16 for the whole
  life of such a process, with both threads busy. ``OPENBLAS_THREAD_TIMEOUT=4`` (``2**4``
  cycles) puts the workers to sleep as soon as a product ends; waking them costs
  microseconds. OpenBLAS reads the variable once, when NumPy loads, so it must be in the
  environment the process starts with: :func:`environment` gives it, ``convzoo bench``
  restarts itself with it (:func:`restart_argv`) and ``benchmarks/run.py`` sets it before
  importing NumPy. A value the user set is kept.
- **Page faults on freed memory.** glibc hands large blocks back to the system or keeps
  them depending on the allocator's history (its mmap threshold moves), so whether a call's
  fresh output array page-faults on first touch differed from process to process:
  PyTorch's stem took 10 ms in some processes and 25-29 ms in others, half of it in the
  kernel. :func:`keep_freed_memory` tells glibc (``mallopt``) to keep freed memory mapped,
  so that no library's timed call pays faults for the memory the previous call released.

Examples
--------
>>> environment({"PATH": "/bin"})["OPENBLAS_THREAD_TIMEOUT"]
'4'
>>> environment({"OPENBLAS_THREAD_TIMEOUT": "10"})["OPENBLAS_THREAD_TIMEOUT"]
'10'
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

__all__ = [
    "BLAS_THREAD_TIMEOUT",
    "describe",
    "environment",
    "keep_freed_memory",
    "restart_argv",
]

#: ``OPENBLAS_THREAD_TIMEOUT`` of the benchmark: idle workers sleep after ``2**4`` cycles.
BLAS_THREAD_TIMEOUT = "4"
_VARIABLE = "OPENBLAS_THREAD_TIMEOUT"
#: glibc's ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4
_state = {"kept": False}


def environment(environ=None) -> dict:
    """``environ`` (default: this process's) with the benchmark's BLAS setting added unless
    it is already there.

    Examples
    --------
    >>> environment({"PATH": "/bin"})
    {'PATH': '/bin', 'OPENBLAS_THREAD_TIMEOUT': '4'}
    """
    env = dict(os.environ if environ is None else environ)
    env.setdefault(_VARIABLE, BLAS_THREAD_TIMEOUT)
    return env


def restart_argv(argv) -> list[str] | None:
    """The command that reruns ``convzoo <argv>`` under :func:`environment`, or ``None``
    when this process already has the setting (it was read when NumPy loaded) or only
    prints help or the layer list.

    Examples
    --------
    >>> restart_argv(["bench", "--list"]) is None
    True
    """
    if _VARIABLE in os.environ or {"-h", "--help", "--list"} & set(argv):
        return None
    return [sys.executable, "-m", "convzoo.cli", *argv]


def keep_freed_memory() -> bool:
    """Make glibc keep freed memory mapped (no ``mmap`` for large blocks, no trimming) for
    the rest of the process; ``False`` where there is no glibc ``mallopt``.

    Examples
    --------
    >>> kept = keep_freed_memory()  # True on Linux with glibc
    >>> ("freed memory kept mapped" in describe()) == kept
    True
    """
    if _state["kept"]:
        return True
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        mallopt = None
    if mallopt is None or not sys.platform.startswith("linux"):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    kept = mallopt(_M_MMAP_MAX, 0) == 1 and mallopt(_M_TRIM_THRESHOLD, 2**31 - 1) == 1
    _state["kept"] = kept
    return kept


def describe() -> str:
    """One line for the results: the settings in force in this process.

    Examples
    --------
    >>> describe().split("; ")[0] in ("OPENBLAS_THREAD_TIMEOUT=" + os.environ.get(
    ...     "OPENBLAS_THREAD_TIMEOUT", ""), "OpenBLAS's default worker polling")
    True
    """
    timeout = os.environ.get(_VARIABLE)
    blas = f"{_VARIABLE}={timeout}" if timeout else "OpenBLAS's default worker polling"
    memory = "freed memory kept mapped" if _state["kept"] else "glibc's default freeing"
    return f"{blas}; {memory}"
