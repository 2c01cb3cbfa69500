"""Padding modes against NumPy's np.pad, and the adjoint identity of pad / pad_adjoint."""

import numpy as np
import pytest

from convzoo.padding import pad, pad_adjoint, source_index
from convzoo.shapes import resolve_padding

NUMPY_NAMES = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "edge",
    "circular": "wrap",
    "symmetric": "symmetric",
}
LIMITS = {"reflect": -1, "circular": 0, "symmetric": 0, "replicate": 3, "zeros": 3}


@pytest.mark.parametrize("mode", NUMPY_NAMES)
@pytest.mark.parametrize("shape", [(2, 3, 1), (1, 2, 4, 5), (1, 1, 3, 2, 4)], ids=str)
def test_pad_matches_numpy(mode, shape):
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape)
    spatial = shape[2:]
    pads = tuple((min(2, n + LIMITS[mode]), min(1, n + LIMITS[mode])) for n in spatial)
    pads = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pads)
    expected = np.pad(x, [(0, 0), (0, 0), *pads], mode=NUMPY_NAMES[mode])
    np.testing.assert_array_equal(pad(x, pads, mode), expected)


def test_constant_padding_value():
    x = np.zeros((1, 1, 2, 2))
    padded = pad(x, ((1, 0), (0, 1)), "constant", value=1.0)
    assert padded.tolist() == [[[[1.0, 1.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]]]


@pytest.mark.parametrize("mode", [*NUMPY_NAMES, "constant"])
def test_adjoint_identity(mode):
    """<pad(x), y> == <x, pad_adjoint(y)>: the backward pass of padding is its adjoint."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 5, 4))
    pads = ((2, 1), (3, 0))
    y = rng.standard_normal(pad(x, pads, mode).shape)
    lhs = np.vdot(pad(x, pads, mode), y)
    rhs = np.vdot(x, pad_adjoint(y, pads, mode, (5, 4)))
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_source_index_of_length_one_reflect():
    assert source_index(1, 0, 0, "reflect").tolist() == [0]


@pytest.mark.parametrize(
    "n, k, s, d, expected",
    [(5, 3, 1, 1, (1, 1)), (5, 4, 1, 1, (1, 2)), (6, 4, 2, 1, (1, 1)), (7, 3, 2, 2, (2, 2)),
     (5, 1, 3, 1, (0, 0)), (10, 3, 3, 1, (1, 1))],
)  # fmt: skip
def test_same_padding_gives_ceil_of_input_over_stride(n, k, s, d, expected):
    ((lo, hi),) = resolve_padding("same", (n,), k, s, d)
    assert (lo, hi) == expected
    assert (n + lo + hi - d * (k - 1) - 1) // s + 1 == -(-n // s)
    ((lo_lower, hi_lower),) = resolve_padding("same_lower", (n,), k, s, d)
    assert (lo_lower, hi_lower) == (hi, lo)


def test_full_padding():
    assert resolve_padding("full", (5, 5), (3, 2), dilation=(2, 1)) == ((4, 4), (1, 1))
