"""The 3x3 stride-2 depthwise gradients that read and write NCHW planes directly, against
PyTorch: even and odd sizes, every bottom and right padding, narrow inputs, depth
multipliers (the weight gradient's kernel; the input gradient's general one), float32 and
float64, and which layers take them.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from convzoo import conv_backward
from convzoo.engine import depthwise3x3_grad, direct

torch = pytest.importorskip("torch")
F = torch.nn.functional

SHAPES = [(2, 3, 7, 6), (1, 2, 9, 3), (1, 2, 3, 2), (1, 3, 8, 9), (2, 2, 5, 4), (1, 2, 12, 11),
          (1, 1, 4, 1), (1, 1, 1, 5), (1, 2, 2, 2)]  # fmt: skip
#: (bottom, right) padding; one row above and one column on the left
FAR_PADS = [(1, 1), (0, 0), (1, 0), (0, 3), (2, 1)]


def _torch_grads(x, w, gy, pads, groups):
    (bottom, right) = pads
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    y = F.conv2d(F.pad(tx, (1, right, 1, bottom)), tw, stride=2, groups=groups)
    y.backward(torch.tensor(gy))
    return tx.grad.numpy(), tw.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("multiplier", [1, 2])
def test_stride2_gradients_match_torch(dtype, multiplier):
    rng = np.random.default_rng(multiplier)
    checked = 0
    for shape, (bottom, right) in itertools.product(SHAPES, FAR_PADS):
        if shape[2] + 1 + bottom < 3 or shape[3] + 1 + right < 3:
            continue
        x = rng.standard_normal(shape).astype(dtype)
        w = rng.standard_normal((shape[1] * multiplier, 1, 3, 3)).astype(dtype)
        oh, ow = (shape[2] + bottom - 2) // 2 + 1, (shape[3] + right - 2) // 2 + 1
        gy = rng.standard_normal((shape[0], w.shape[0], oh, ow)).astype(dtype)
        padding = ((1, bottom), (1, right))
        gx, gw = conv_backward(gy, x, w, stride=2, padding=padding, groups=shape[1],
                               algorithm="direct")[:2]  # fmt: skip
        want_gx, want_gw = _torch_grads(x, w, gy, (bottom, right), shape[1])
        tol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(gx, want_gx, rtol=tol, atol=tol)
        np.testing.assert_allclose(gw, want_gw, rtol=tol, atol=tol)
        checked += 1
    assert checked > 30


def test_kernels_agree_with_the_general_direct_kernels(monkeypatch):
    """The general kernels (phase buffers, stride-1 columns) give the same numbers."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5, 13, 10))
    w = rng.standard_normal((5, 1, 3, 3))
    gy = rng.standard_normal((2, 5, 7, 5))
    pads = ((1, 1), (1, 0))

    def both():
        gx = direct.transpose_unpadded(gy, w, (2, 2), (1, 1), 5, pads, (13, 10))
        return gx, direct.weight_grad_unpadded(x, gy, (3, 3), (2, 2), (1, 1), 5, pads)

    special = both()
    monkeypatch.setattr(depthwise3x3_grad, "supports", lambda *args: False)
    general = both()
    for got, want in zip(special, general, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_which_layers_take_them():
    s = depthwise3x3_grad.supports
    assert s((3, 3), (2, 2), (1, 1), (1, 1), 1, 1)
    assert not s((3, 3), (1, 1), (1, 1), (1, 1), 1, 1)  # stride 1: the forward kernel flipped
    assert not s((3, 3), (2, 2), (2, 2), (1, 1), 1, 1)  # dilated
    assert not s((3, 3), (2, 2), (1, 1), (0, 1), 1, 1)  # no padding above
    assert not s((3, 3), (2, 2), (1, 1), (1, 1), 2, 1)  # two channels per group
    assert not s((3, 3), (2, 2), (1, 1), (1, 1), 1, 2)  # a depth multiplier (input gradient)
    assert not s((5, 5), (2, 2), (1, 1), (1, 1), 1, 1)
