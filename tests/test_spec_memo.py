"""make_spec remembers the specs it resolved, by arguments compared with their types."""

from __future__ import annotations

import numpy as np
import pytest

from convzoo import conv, make_spec, spec
from convzoo._validate import exact_key


def test_repeated_arguments_give_the_remembered_spec(monkeypatch):
    monkeypatch.setattr(spec, "_SPECS", {})
    first = make_spec("conv", (2, 3, 9, 9), (4, 3, 3, 3), stride=2, padding="same")
    again = make_spec("conv", (2, 3, 9, 9), (4, 3, 3, 3), stride=2, padding="same")
    assert again is first
    assert first.padding == ((1, 1), (1, 1)) and first.output_shape == (2, 4, 5, 5)


@pytest.mark.parametrize(
    "good, bad",
    [
        (dict(stride=1), dict(stride=True)),
        (dict(stride=2), dict(stride=2.0)),
        (dict(padding=1), dict(padding=1.0)),
        (dict(stride=(1, 1)), dict(stride=(1, True))),
        (dict(dilation=[1, 2]), dict(dilation=[1, 2.0])),
        (dict(groups=1), dict(groups=True)),
    ],
)
def test_values_equal_to_a_remembered_one_are_still_checked(good, bad):
    """``True == 1`` and ``2.0 == 2`` in Python: the memo must not hand the spec of a good
    argument to a bad one that compares equal to it."""
    make_spec("conv", (1, 1, 6, 6), (1, 1, 3, 3), **good)
    make_spec("conv", (1, 1, 6, 6), (1, 1, 3, 3), **good)  # now remembered
    with pytest.raises(TypeError, match="conv: "):
        make_spec("conv", (1, 1, 6, 6), (1, 1, 3, 3), **bad)


def test_failed_checks_are_not_remembered():
    for _ in range(2):
        with pytest.raises(ValueError, match="conv: stride must be"):
            make_spec("conv", (1, 1, 6, 6), (1, 1, 3, 3), stride=0)


def test_numpy_ints_are_checked_every_time_and_agree():
    """Arguments the memo cannot key exactly (NumPy scalars) are resolved each call."""
    a = make_spec("conv", (1, 1, 6, 6), (1, 1, 3, 3), stride=np.int64(2))
    b = make_spec("conv", (1, 1, 6, 6), (1, 1, 3, 3), stride=2)
    assert a == b and exact_key(np.int64(2)) is None


def test_the_spec_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(spec, "_SPECS", {})  # other tests' specs are not counted
    monkeypatch.setattr(spec, "SPEC_MEMO_SIZE", 3)
    for size in range(5, 12):
        make_spec("conv", (1, 1, size, size), (1, 1, 3, 3))
        assert len(spec._SPECS) <= 3


def test_conv_results_do_not_depend_on_the_memo():
    x = np.arange(50.0).reshape(1, 2, 5, 5)
    w = np.ones((3, 2, 3, 3))
    first = conv(x, w, padding=1)
    spec._SPECS.clear()  # the next call resolves its spec again
    assert np.array_equal(conv(x, w, padding=1), first)


def test_exact_key_tells_types_apart():
    assert exact_key((1, 2)) != exact_key((1, True))
    assert exact_key(0.0) != exact_key(-0.0)
    assert exact_key([1, 2]) != exact_key((1, 2))
    assert exact_key(((1, 1), (0, 2))) == exact_key(((1, 1), (0, 2)))
    assert exact_key((1, object())) is None
