"""The engine's thread pool (``convzoo.engine.parallel``): every job once, on any thread
count; errors from any range reach the caller and leave the pool usable; calls from the
pool's own threads, from several Python threads at once and from a forked child."""

from __future__ import annotations

import multiprocessing
import sys
import threading

import pytest

from convzoo.engine import parallel


@pytest.fixture(params=[1, 2, 3, 4])
def threads(request, monkeypatch):
    monkeypatch.setitem(parallel._state, "threads", request.param)
    return request.param


def _collect(n_jobs):
    seen, lock = [], threading.Lock()

    def kernel(start, stop, out):
        with lock:
            out.extend(range(start, stop))

    parallel.parallel_for(kernel, n_jobs, seen)
    return sorted(seen)


@pytest.mark.parametrize("n_jobs", [0, 1, 2, 3, 7, 100])
def test_every_job_runs_once(threads, n_jobs):
    assert _collect(n_jobs) == list(range(n_jobs))


def test_ranges_run_on_as_many_threads_as_set(threads):
    names, lock = set(), threading.Lock()

    def kernel(start, stop):
        with lock:
            names.add(threading.current_thread().name)

    parallel.parallel_for(kernel, 10)
    assert len(names) == threads


@pytest.mark.parametrize("failing_range", [0, -1])  # the calling thread's, a pool thread's
def test_an_error_in_any_range_reaches_the_caller(threads, failing_range):
    ranges = parallel.split(10, threads)
    bad = ranges[failing_range][0]

    def kernel(start, stop):
        if start == bad:
            raise ValueError(f"range starting at {start}")

    with pytest.raises(ValueError, match=f"range starting at {bad}"):
        parallel.parallel_for(kernel, 10)
    assert _collect(10) == list(range(10))  # the pool still works


def test_a_call_from_a_pool_thread_runs_in_place(threads):
    inner = []

    def kernel(start, stop):
        inner.append(_collect(5))

    parallel.parallel_for(kernel, 4)
    assert inner == [list(range(5))] * min(threads, 4)


def test_calls_from_several_python_threads_at_once(threads):
    results = [None] * 6

    def call(i):
        results[i] = _collect(50 + i)

    callers = [threading.Thread(target=call, args=(i,)) for i in range(6)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert results == [list(range(50 + i)) for i in range(6)]


def _child(queue):
    queue.put(_collect(9))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_forked_child_starts_threads_of_its_own(monkeypatch):
    monkeypatch.setitem(parallel._state, "threads", 2)
    assert _collect(9) == list(range(9))  # the parent's pool exists before the fork
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child, args=(queue,))
    child.start()
    got = queue.get(timeout=30)
    child.join(timeout=30)
    assert got == list(range(9)) and child.exitcode == 0
