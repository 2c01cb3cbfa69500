"""The 3x3 depthwise kernels that read the input planes directly (stride 1 'same', stride 2)
against PyTorch: every kind of row (inside, reaching into the top or bottom padding, all
padding), narrow inputs, depth multipliers, float32 and float64, bands of output rows as the
fused depthwise-separable kernel asks for them, and which layers take them.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from convzoo import conv, conv_backward
from convzoo.engine import depthwise3x3
from convzoo.engine.direct import forward_rows

torch = pytest.importorskip("torch")
F = torch.nn.functional

SHAPES = [(2, 3, 7, 6), (1, 2, 9, 3), (1, 2, 3, 2), (1, 3, 8, 9), (2, 2, 5, 4), (1, 2, 11, 11),
          (1, 1, 4, 1), (1, 1, 1, 5)]  # fmt: skip
#: (top, bottom) row padding; columns always one each side, or (1, 0) / (1, 3) at stride 2
ROW_PADS = [(1, 1), (0, 0), (2, 1), (3, 0), (0, 3)]


def _torch(x, w, stride, pads, groups):
    (top, bottom), (left, right) = pads
    padded = F.pad(torch.tensor(x), (left, right, top, bottom))
    return F.conv2d(padded, torch.tensor(w), stride=stride, groups=groups).numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("multiplier", [1, 2])
def test_depthwise_3x3_matches_torch(dtype, stride, multiplier):
    rng = np.random.default_rng(stride * 10 + multiplier)
    columns = [(1, 1)] if stride == 1 else [(1, 1), (1, 0), (1, 3)]
    checked = 0
    for shape, rows, cols in itertools.product(SHAPES, ROW_PADS, columns):
        height, width = shape[2] + sum(rows), shape[3] + sum(cols)
        if height < 3 or width < 3:
            continue
        x = rng.standard_normal(shape).astype(dtype)
        w = rng.standard_normal((shape[1] * multiplier, 1, 3, 3)).astype(dtype)
        got = conv(x, w, stride=stride, padding=(rows, cols), groups=shape[1], algorithm="direct")
        want = _torch(x, w, stride, (rows, cols), shape[1])
        tol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
        checked += 1
    assert checked > 20


@pytest.mark.parametrize("stride", [1, 2])
def test_depthwise_3x3_bands_of_rows(stride):
    """Any band ``row0 .. row0 + rows`` equals the same rows of the whole output."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 13, 9)).astype(np.float32)
    w = rng.standard_normal((3, 1, 3, 3)).astype(np.float32)
    whole = _torch(x, w, stride, ((1, 1), (1, 1)), 3)
    out_h, out_w = whole.shape[2:]
    for row0 in range(out_h):
        for rows in range(1, out_h - row0 + 1):
            band = np.empty((2, 3, rows, out_w), np.float32)
            forward_rows(x, w, (stride, stride), (1, 1), (1, 1), row0, band, 1)
            np.testing.assert_allclose(band, whole[:, :, row0 : row0 + rows], atol=1e-5)


def test_depthwise_3x3_gradients_match_torch():
    """The input gradient at stride 1 is the same kernel with the flipped weights."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4, 10, 7))
    w = rng.standard_normal((4, 1, 3, 3))
    gy = rng.standard_normal((2, 4, 10, 7))
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    F.conv2d(tx, tw, padding=1, groups=4).backward(torch.tensor(gy))
    gx, gw = conv_backward(gy, x, w, padding=1, groups=4, algorithm="direct")[:2]
    np.testing.assert_allclose(gx, tx.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(gw, tw.grad.numpy(), atol=1e-10)


def test_which_layers_take_the_3x3_kernels():
    k = depthwise3x3.kernel_for
    assert k((3, 3), (1, 1), (1, 1), 1, 56, 56, 1) is depthwise3x3.same_3x3
    assert k((3, 3), (2, 2), (1, 1), 1, 56, 28, 1) is depthwise3x3.stride2_3x3
    assert k((3, 3), (1, 1), (1, 1), 0, 56, 54, 1) is None  # no column padding
    assert k((3, 3), (1, 1), (1, 1), 1, 56, 57, 1) is None  # output wider than the input
    assert k((3, 3), (1, 1), (2, 2), 2, 56, 56, 1) is None  # dilated
    assert k((3, 3), (1, 2), (1, 1), 1, 56, 28, 1) is None  # mixed strides
    assert k((3, 3), (1, 1), (1, 1), 1, 56, 56, 2) is None  # two channels per group
    assert k((5, 5), (1, 1), (1, 1), 1, 56, 56, 1) is None
