"""Autotuning of algorithm='auto': the timed fastest is used, remembered and cached on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from convzoo import conv, conv_backward, conv_transpose, conv_transpose_backward
from convzoo.engine import ALGORITHMS, Algorithm, autotune, autotuning, register, set_autotune


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache file and no choices remembered from other tests."""
    monkeypatch.setitem(autotune._state, "choices", {})
    return str(tmp_path / "autotune.json")


def _fake(name, cost, delay, calls):
    """An algorithm that computes by GEMM after ``delay`` seconds, estimated at ``cost``."""
    gemm = ALGORITHMS["gemm"]

    def correlate(*args):
        calls.append(name)
        time.sleep(delay)
        return gemm.correlate(*args)

    return Algorithm(name, correlate, gemm.weight_grad, supports=lambda problem: True,
                     cost=lambda problem: cost)  # fmt: skip


@pytest.fixture
def fakes():
    """Two algorithms: the cost model's pick is slow, the other fast; both removed after."""
    calls = []
    register(_fake("model_pick", 1.0, 0.02, calls))
    register(_fake("timed_pick", 2.0, 0.0, calls))
    yield calls
    del ALGORITHMS["model_pick"], ALGORITHMS["timed_pick"]


def _xw(shape=(2, 4, 9, 9), kernel=(3, 3)):
    rng = np.random.default_rng(0)
    return rng.standard_normal(shape), rng.standard_normal((5, shape[1], *kernel))


def test_autotune_uses_the_timed_fastest_not_the_models_pick(cache, fakes):
    x, w = _xw()
    conv(x, w, padding=1)
    assert fakes[-1] == "model_pick"  # untuned: the lowest estimate
    fakes.clear()
    with autotuning(cache=cache):
        y = conv(x, w, padding=1)
    assert fakes[-1] == "timed_pick" and "model_pick" in fakes  # both timed, fast one used
    np.testing.assert_allclose(y, conv(x, w, padding=1, algorithm="gemm"), rtol=1e-12)
    entry = next(iter(autotune.load(cache).values()))
    assert entry["algorithm"] == "timed_pick"
    assert entry["times"]["model_pick"] > entry["times"]["timed_pick"]
    assert set(entry["times"]) == {"model_pick", "timed_pick"}  # the others cost > 8x more


def test_a_slow_first_call_does_not_count(cache):
    """The first call of a candidate (numba compiling its kernels) is not timed."""
    calls, gemm = [], ALGORITHMS["gemm"]

    def compiles_first(*args):
        calls.append("compiles_first")
        time.sleep(0.3 if calls.count("compiles_first") == 1 else 0.0)
        return gemm.correlate(*args)

    register(_fake("model_pick", 1.0, 0.02, calls))
    register(Algorithm("compiles_first", compiles_first, gemm.weight_grad,
                       supports=lambda problem: True, cost=lambda problem: 2.0))  # fmt: skip
    try:
        x, w = _xw()
        with autotuning(cache=cache):
            conv(x, w, padding=1)
        assert calls[-1] == "compiles_first" and calls.count("compiles_first") == 4
    finally:
        del ALGORITHMS["model_pick"], ALGORITHMS["compiles_first"]


def test_a_candidate_that_raises_is_left_out(cache, fakes):
    def fails(*args):
        raise MemoryError("no room for this candidate's workspace")

    gemm = ALGORITHMS["gemm"]
    register(Algorithm("fails", fails, gemm.weight_grad, supports=lambda problem: True,
                       cost=lambda problem: 1.5))  # fmt: skip
    try:
        x, w = _xw()
        with autotuning(cache=cache):
            y = conv(x, w, padding=1)
        np.testing.assert_allclose(y, conv(x, w, padding=1, algorithm="gemm"), rtol=1e-12)
        entry = next(iter(autotune.load(cache).values()))
        assert entry["algorithm"] == "timed_pick" and "fails" not in entry["times"]
    finally:
        del ALGORITHMS["fails"]


def test_choices_are_remembered_then_read_back_from_disk(cache, fakes, monkeypatch):
    x, w = _xw()
    with autotuning(cache=cache):
        conv(x, w, padding=1)
        fakes.clear()
        conv(x, w, padding=1)
        assert fakes == ["timed_pick"]  # remembered: nothing timed again
        monkeypatch.setitem(autotune._state, "choices", {})  # as in a new process
        fakes.clear()
        conv(x, w, padding=1)
        assert fakes == ["timed_pick"]  # read from the file


def test_choices_made_on_another_machine_are_not_used(cache, fakes):
    x, w = _xw()
    with autotuning(cache=cache):
        conv(x, w, padding=1)
    data = json.load(open(cache))
    entries = data.pop(autotune.fingerprint())
    for entry in entries.values():
        entry["algorithm"] = "model_pick"
    json.dump({"another CPU | threads=64": entries}, open(cache, "w"))
    autotune._state["choices"].clear()
    fakes.clear()
    with autotuning(cache=cache):
        conv(x, w, padding=1)
    assert fakes[-1] == "timed_pick" and "model_pick" in fakes  # timed again
    assert set(json.load(open(cache))) == {"another CPU | threads=64", autotune.fingerprint()}


@pytest.mark.parametrize(
    "call, kinds",
    [
        (lambda x, w: conv_backward(conv(x, w, stride=2, padding=1), x, w, stride=2, padding=1),
         {"forward", "input_grad", "weight_grad"}),
        (lambda x, w: (conv_transpose(x[:, :, :4, :4], w.transpose(1, 0, 2, 3), stride=2),),
         {"input_grad"}),
        (lambda x, w: conv_transpose_backward(np.ones((2, 5, 10, 10)), x[:, :, :4, :4],
                                              w.transpose(1, 0, 2, 3), stride=2)[:2],
         {"forward", "weight_grad"}),
    ],
    ids=["conv_backward", "conv_transpose", "conv_transpose_backward"],
)  # fmt: skip
def test_tuned_passes_equal_the_untuned(cache, call, kinds):
    """Every pass is tuned (forward, input gradient, weight gradient) and gives the same
    numbers as the cost model's choice."""
    x, w = _xw((2, 4, 8, 8), (4, 4))
    expected = call(x, w)
    with autotuning(cache=cache):
        tuned = call(x, w)
    for a, b in zip(tuned, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    assert {key.split()[0] for key in autotune.load(cache)} == kinds


def test_backward_tunes_input_and_weight_gradients_separately(cache):
    x, w = _xw((2, 4, 10, 10), (3, 3))
    gy = np.ones((2, 5, 10, 10))
    with autotuning(cache=cache):
        conv_backward(gy, x, w, padding=1)
    kinds = sorted(key.split()[0] for key in autotune.load(cache))
    assert kinds == ["input_grad", "weight_grad"]
    for entry in autotune.load(cache).values():
        assert entry["algorithm"] in entry["times"] and "reference" not in entry["times"]


def test_non_finite_data_are_not_tuned(cache):
    x, w = _xw()
    x[0, 0, 4, 4] = np.nan
    with autotuning(cache=cache):
        y = conv(x, w, padding=1)
    assert not os.path.exists(cache)
    assert np.isnan(y[0, :, 3:6, 3:6]).all() and np.isfinite(y[1]).all()


def test_a_forced_algorithm_is_not_tuned(cache):
    x, w = _xw()
    with autotuning(cache=cache):
        conv(x, w, padding=1, algorithm="gemm")
    assert not os.path.exists(cache)


def test_an_unwritable_cache_still_tunes(tmp_path, fakes, monkeypatch):
    monkeypatch.setitem(autotune._state, "choices", {})
    blocker = tmp_path / "file"
    blocker.write_text("")
    x, w = _xw()
    with autotuning(cache=str(blocker / "sub" / "autotune.json")):  # a file in the way
        conv(x, w, padding=1)
        fakes.clear()
        conv(x, w, padding=1)
    assert fakes == ["timed_pick"]


def test_autotuning_restores_the_previous_setting(cache):
    before = autotune.autotune_enabled()
    with autotuning(cache=cache):
        assert autotune.autotune_enabled() and autotune.cache_path() == cache
    assert autotune.autotune_enabled() == before


def test_set_autotune_rejects_a_non_bool():
    with pytest.raises(TypeError, match=r"set_autotune: enabled must be True or False; got 1"):
        set_autotune(1)


def test_set_autotune_rejects_a_cache_that_is_not_a_path():
    with pytest.raises(TypeError, match=r"set_autotune: cache must be a file path .*; got 3"):
        set_autotune(True, cache=3)
    assert not autotune.autotune_enabled() or os.environ.get("CONVZOO_AUTOTUNE")


def test_the_memo_of_tuned_choices_is_bounded(cache, monkeypatch):
    monkeypatch.setattr(autotune, "MEMO_SIZE", 2)
    with autotuning(cache=cache):
        for size in range(6, 10):
            conv(np.ones((1, 2, size, size)), np.ones((2, 2, 3, 3)))
            assert len(autotune._state["choices"]) <= 2
    assert len(autotune.load(cache)) == 4  # the file keeps them all


def test_environment_turns_autotuning_on(tmp_path):
    path = tmp_path / "tune.json"
    env = dict(os.environ, CONVZOO_AUTOTUNE="1", CONVZOO_AUTOTUNE_CACHE=str(path))
    code = (
        "import numpy as np, convzoo; "
        "convzoo.conv(np.ones((1, 2, 8, 8)), np.ones((3, 2, 3, 3)), padding=1)"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
    ((machine, entries),) = json.loads(path.read_text()).items()
    assert "threads=" in machine and len(entries) == 1
    assert next(iter(entries)).startswith("forward (1, 2, 10, 10) (3, 2, 3, 3)")
