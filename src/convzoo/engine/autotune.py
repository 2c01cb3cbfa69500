"""Autotune: ``algorithm='auto'`` refined by timing the candidates, remembered on disk.

The cost model (:mod:`.select`) predicts each algorithm's time from the problem's shape; on
another machine, or for a shape between the cases it was measured on, its pick may not be
the fastest. With autotuning on, the first call of ``auto`` on a problem times every
algorithm the cost model rates within :data:`COST_FACTOR` of its cheapest (the reference
loops excepted) on the call's own data, cheapest estimate first: one untimed call (it
compiles numba kernels), then the best of :data:`REPEATS` timed ones, unless the first
already took :data:`GIVE_UP` times the best so far. The fastest is used for that call
and every later one on the same problem, in this process and, through a JSON cache file,
in later ones on the same machine (see :func:`fingerprint`). Forward passes, input
gradients (native adjoints and adjoints derived by zero insertion alike) and weight
gradients are tuned separately.

It is off by default, as PyTorch's ``torch.backends.cudnn.benchmark``: a tuned first call
takes several times longer. Turn it on with :func:`set_autotune` (or the
:func:`autotuning` context manager), or with ``CONVZOO_AUTOTUNE=1`` in the environment;
``CONVZOO_AUTOTUNE_CACHE`` names the cache file (default
``~/.cache/convzoo/autotune.json``). Calls whose data hold a NaN or infinity are not tuned:
they go to the algorithms that keep non-finite values in their windows (:mod:`.finite`).

Examples
--------
>>> import numpy as np, tempfile, os
>>> import convzoo
>>> from convzoo.engine import autotune
>>> path = os.path.join(tempfile.mkdtemp(), "tune.json")
>>> with autotune.autotuning(cache=path):
...     y = convzoo.conv(np.ones((2, 8, 12, 12)), np.ones((8, 8, 3, 3)), padding=1)
>>> y.shape, len(autotune.load(path)) == 1
((2, 8, 12, 12), True)
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import time

__all__ = [
    "COST_FACTOR",
    "GIVE_UP",
    "MEMO_SIZE",
    "REPEATS",
    "set_autotune",
    "autotune_enabled",
    "autotuning",
    "cache_path",
    "fingerprint",
    "load",
    "tuned",
]

#: Candidates whose estimated cost is more than this many times the cheapest are not timed.
#: On the benchmark suite, every algorithm that ran within 1.2x of the fastest was rated
#: within 1.3x of the cheapest; FFT rated at 3.5x on the 3x3x3 layer ran 39x slower.
COST_FACTOR = 2.5
#: Timed calls per candidate (after one untimed call); the best counts.
REPEATS = 2
#: A candidate whose first timed call took this many times the best time so far is not timed
#: again (that call's time is recorded).
GIVE_UP = 3.0
#: Tuned choices this process remembers at most (then it starts over, reading the file).
MEMO_SIZE = 4096

_state = {
    "on": os.environ.get("CONVZOO_AUTOTUNE", "") not in ("", "0"),
    "path": None,  # None: CONVZOO_AUTOTUNE_CACHE or the default
    "choices": {},  # this process's tuned choices, by (path, fingerprint, key)
}


def set_autotune(enabled: bool, cache: str | os.PathLike | None = None) -> None:
    """Turn autotuning of ``algorithm='auto'`` on or off; ``cache`` names its JSON file.

    Examples
    --------
    >>> set_autotune(False); autotune_enabled()
    False
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"set_autotune: enabled must be True or False; got {enabled!r}")
    if cache is not None and not isinstance(cache, str | os.PathLike):
        raise TypeError(f"set_autotune: cache must be a file path (str or os.PathLike); got "
                        f"{cache!r}")  # fmt: skip
    _state["on"] = enabled
    if cache is not None:
        _state["path"] = os.fspath(cache)


def autotune_enabled() -> bool:
    """Whether ``algorithm='auto'`` is tuned by timing (:func:`set_autotune`).

    Examples
    --------
    >>> with autotuning(False):
    ...     autotune_enabled()
    False
    """
    return _state["on"]


@contextlib.contextmanager
def autotuning(enabled: bool = True, cache: str | os.PathLike | None = None):
    """Autotuning on (or off) inside a ``with`` block; the previous setting after it.

    Examples
    --------
    >>> with autotuning(cache="/tmp/convzoo-tune.json"):
    ...     autotune_enabled(), cache_path()
    (True, '/tmp/convzoo-tune.json')
    """
    before = dict(_state)
    set_autotune(enabled, cache)
    try:
        yield
    finally:
        _state["on"], _state["path"] = before["on"], before["path"]


def cache_path() -> str:
    """The cache file: :func:`set_autotune`'s, else ``CONVZOO_AUTOTUNE_CACHE``, else
    ``~/.cache/convzoo/autotune.json`` (``XDG_CACHE_HOME`` if set).

    Examples
    --------
    >>> cache_path().endswith(".json")
    True
    """
    if _state["path"] is not None:
        return _state["path"]
    if os.environ.get("CONVZOO_AUTOTUNE_CACHE"):
        return os.environ["CONVZOO_AUTOTUNE_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "convzoo", "autotune.json")


def fingerprint() -> str:
    """What a timing depends on besides the problem: CPU, cores, the engine's threads and
    the versions of convzoo, NumPy and numba. Choices made under another are not reused.

    Examples
    --------
    >>> "threads=" in fingerprint()
    True
    """
    from .parallel import num_threads

    return f"{_software()} | threads={num_threads()}"


@functools.cache
def _software() -> str:
    import numpy as np

    from .. import __version__

    try:
        import numba

        numba_version = numba.__version__
    except ImportError:  # pragma: no cover
        numba_version = "none"
    return (
        f"{_cpu_model()} | {platform.machine()} | cores={os.cpu_count()} | "
        f"convzoo {__version__} | numpy {np.__version__} | numba {numba_version}"
    )


@functools.cache
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover - not Linux
        pass
    return platform.processor() or "unknown CPU"


def load(path: str | os.PathLike | None = None) -> dict:
    """This machine's tuned choices in the cache file: ``{problem key: entry}``; each entry
    holds the chosen ``algorithm`` (``name+native`` for an algorithm's native adjoint) and
    the timed candidates' best times in ms (``times``). Empty if the file is missing or
    unreadable.

    Examples
    --------
    >>> load("/nonexistent/autotune.json")
    {}
    """
    return _read(os.fspath(path) if path is not None else cache_path()).get(fingerprint(), {})


def _read(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: str, key: str, entry: dict) -> None:
    """Add one entry to the file (re-read first: another process may have added others)."""
    data = _read(path)
    data.setdefault(fingerprint(), {})[key] = entry
    folder = os.path.dirname(path) or "."
    try:
        os.makedirs(folder, exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=1, sort_keys=True)
        os.replace(temporary, path)  # readers see the old file or the new one, never half
    except OSError:  # a read-only home: the choice still holds in this process
        pass


def tuned(key: str, candidates, run):
    """The fastest of ``candidates`` for the problem ``key``: remembered, else read from
    the cache file, else timed with ``run(candidate)``.

    ``candidates`` is a list of ``(name, candidate, estimated cost)``: ``name`` identifies
    it in the cache (an algorithm's name, with ``+native`` for a native adjoint), and the
    one with the lowest cost is what ``auto`` picks untuned. Returns the candidate.

    Examples
    --------
    >>> import os, tempfile, time
    >>> path = os.path.join(tempfile.mkdtemp(), "tune.json")
    >>> with autotuning(cache=path):
    ...     tuned("doc", [("slow", 0.01, 1.0), ("fast", 0.0, 2.0)], time.sleep)
    0.0
    """
    path, machine = cache_path(), fingerprint()
    # the candidates belong to the key: registering an algorithm tunes the problem again
    key = f"{key} among {','.join(sorted(name for name, _, _ in candidates))}"
    by_name = {name: candidate for name, candidate, _ in candidates}
    name = _state["choices"].get((path, machine, key))
    if name is None:
        entry = load(path).get(key)
        if entry is not None and entry.get("algorithm") in by_name:
            name = entry["algorithm"]
        else:
            name, times = _time(candidates, run)
            _write(path, key, {"algorithm": name, "times": times})
        if len(_state["choices"]) >= MEMO_SIZE:
            _state["choices"].clear()
        _state["choices"][(path, machine, key)] = name
    return by_name[name]


def _time(candidates, run) -> tuple[str, dict]:
    """Best times in ms of the candidates worth timing, cheapest estimate first; one whose
    first timed call took :data:`GIVE_UP` times the best so far is not timed again, one
    that raises (out of memory, say) is left out (if every one does, the last error
    propagates)."""
    cheapest = min(cost for _, _, cost in candidates)
    times, fastest, failure = {}, float("inf"), None
    for name, candidate, cost in sorted(candidates, key=lambda c: (c[2], c[0])):
        if cost > COST_FACTOR * cheapest:
            break
        try:
            _timed(run, candidate)  # untimed: compiles numba kernels, fills caches
        except Exception as error:  # a candidate that fails is not a choice
            failure = error
            continue
        best = _timed(run, candidate)
        if best <= GIVE_UP * fastest:
            best = min(best, *(_timed(run, candidate) for _ in range(REPEATS - 1)))
        times[name], fastest = round(1e3 * best, 4), min(fastest, best)
    if not times:
        raise failure
    return min(times, key=times.get), times


def _timed(run, candidate) -> float:
    start = time.perf_counter()
    run(candidate)
    return time.perf_counter() - start
