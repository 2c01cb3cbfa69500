"""Run a serial, GIL-free numba kernel on several threads: ``parallel_for``.

Why not numba's ``prange``? Its OpenMP/TBB worker threads spin after each parallel region,
and so do the BLAS threads NumPy's matrix products start: on a small machine the two pools
then fight for the same cores and every kernel that follows a matrix product (or the
other way round) slows down several times. Threads that block while idle, running kernels
compiled with ``nogil=True``, have no such cost.

The threads are this module's own: each waits on a lock of its own, released to hand it a
range, and releases another when it is done. A call costs one wake-up each way, 13-18 µs
on the 2-core VM, where a ``concurrent.futures.ThreadPoolExecutor`` (futures, a queue, a
condition per result) took 92 µs per call: 1-10% of a layer's time when one convolution
runs several parallel loops (copies, products, transforms). A call made while the threads
are busy (another Python thread's call) waits for them; a call made inside a running call
(from its caller's range or one of the threads') runs its ranges in place. After a fork
the child starts threads of its own.

The thread count is :func:`num_threads` (default: all cores; ``CONVZOO_NUM_THREADS`` or
:func:`set_num_threads` change it).
"""

from __future__ import annotations

import os
import threading

__all__ = ["num_threads", "set_num_threads", "parallel_for", "split"]


class _Workers:
    """``count`` daemon threads, each running the ranges handed to it by :meth:`run`."""

    def __init__(self, count: int):
        self.pid = os.getpid()
        self.busy = threading.Lock()  # one call at a time
        self.caller = None  # the thread whose call is running
        self.tasks: list = [None] * count
        self.go = [threading.Lock() for _ in range(count)]  # released: a task is waiting
        self.done = [threading.Lock() for _ in range(count)]  # released: the task is done
        for lock in (*self.go, *self.done):
            lock.acquire()
        self.threads = [
            threading.Thread(target=self._loop, args=(i,), name=f"convzoo-{i}", daemon=True)
            for i in range(count)
        ]
        for thread in self.threads:
            thread.start()

    def _loop(self, i: int) -> None:
        while True:
            self.go[i].acquire()
            kernel, start, stop, args = self.tasks[i]
            try:
                kernel(start, stop, *args)
                self.tasks[i] = None
            except BaseException as error:  # handed to the caller
                self.tasks[i] = error
            self.done[i].release()

    def run(self, kernel, ranges, args) -> None:
        """``kernel(start, stop, *args)`` for every range, the first on the calling thread."""
        for i, (start, stop) in enumerate(ranges[1:]):
            self.tasks[i] = (kernel, start, stop, args)
            self.go[i].release()
        try:
            kernel(*ranges[0], *args)
        finally:  # whatever happened here, the threads finish their ranges first
            for i in range(len(ranges) - 1):
                self.done[i].acquire()
        errors = [task for task in self.tasks if task is not None]
        self.tasks = [None] * len(self.tasks)
        if errors:
            raise errors[0]


_state = {"threads": int(os.environ.get("CONVZOO_NUM_THREADS", 0)) or os.cpu_count() or 1}
_pools: dict[int, _Workers] = {}
_pools_lock = threading.Lock()


def num_threads() -> int:
    """Threads the engine's kernels use."""
    return _state["threads"]


def set_num_threads(threads: int) -> None:
    """Set the engine's thread count (``>= 1``)."""
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"set_num_threads: threads must be a positive int; got {threads!r}")
    _state["threads"] = threads


def split(n_jobs: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous ``(start, stop)`` ranges covering ``range(n_jobs)``.

    Examples
    --------
    >>> split(10, 3)
    [(0, 4), (4, 7), (7, 10)]
    """
    parts = max(1, min(parts, n_jobs))
    base, extra = divmod(n_jobs, parts)
    bounds, start = [], 0
    for p in range(parts):
        stop = start + base + (1 if p < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def parallel_for(kernel, n_jobs: int, *args) -> None:
    """Call ``kernel(start, stop, *args)`` on contiguous job ranges, one per thread.

    Examples
    --------
    >>> seen = []
    >>> parallel_for(lambda a, b, out: out.extend(range(a, b)), 5, seen)
    >>> sorted(seen)
    [0, 1, 2, 3, 4]
    """
    ranges = split(n_jobs, num_threads())
    pool = None if len(ranges) == 1 else _workers(len(ranges) - 1)
    me = threading.current_thread()
    if pool is None or me in pool.threads or pool.caller is me:
        for start, stop in ranges:  # one range, or a call from inside a running call
            kernel(start, stop, *args)
        return
    with pool.busy:
        pool.caller = me
        try:
            pool.run(kernel, ranges, args)
        finally:
            pool.caller = None


def _workers(count: int) -> _Workers:
    """The pool of ``count`` threads of this process (a forked child makes its own)."""
    with _pools_lock:
        pool = _pools.get(count)
        if pool is None or pool.pid != os.getpid():
            pool = _pools[count] = _Workers(count)
        return pool
