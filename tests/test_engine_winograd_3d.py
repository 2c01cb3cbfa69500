"""3x3x3 Winograd (a sum over depth taps of 2-D Winograd) against PyTorch's conv3d."""

from __future__ import annotations

import numpy as np
import pytest

from convzoo import conv, conv_backward, conv_transpose
from convzoo.engine import winograd, winograd_3d
from convzoo.engine.select import Problem, choose, choose_transpose

pytest.importorskip("numba")
torch = pytest.importorskip("torch")

CASES = [  # input shape, C_out, padding, dilation
    ((2, 3, 5, 7, 6), 4, 1, 1),
    ((1, 2, 4, 9, 8), 3, ((0, 2), (1, 0), (2, 1)), (1, 2, 1)),
    ((1, 2, 6, 5, 5), 2, ((3, 0), (0, 0), (1, 1)), (1, 1, 2)),  # a slice of only padding
    ((3, 4, 3, 4, 3), 5, 0, 1),  # one output slice, smaller than one tile
    ((1, 3, 7, 6, 6), 2, ((1, 4), (4, 0), (0, 3)), 1),  # pads beyond the kernel's reach
]


def _arrays(x_shape, c_out, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal((c_out, x_shape[1], 3, 3, 3)).astype(dtype)
    return x, w


def _torch(x, w, g, padding, dilation):
    """PyTorch's forward and input / weight gradients (explicit zero padding)."""
    pads = [padding] * 3 if isinstance(padding, int) else [list(p) for p in padding]
    pads = [p if isinstance(p, list) else [p, p] for p in pads]
    flat = [v for lo_hi in reversed(pads) for v in lo_hi]
    tx = torch.from_numpy(x).requires_grad_()
    tw = torch.from_numpy(w).requires_grad_()
    dil = (dilation,) * 3 if isinstance(dilation, int) else dilation
    y = torch.nn.functional.conv3d(torch.nn.functional.pad(tx, flat), tw, dilation=dil)
    y.backward(torch.from_numpy(g))
    return y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy()


@pytest.mark.parametrize("m", [2, 4])
@pytest.mark.parametrize("x_shape, c_out, padding, dilation", CASES)
def test_forward_and_gradients_match_torch_in_float64(m, x_shape, c_out, padding, dilation):
    x, w = _arrays(x_shape, c_out)
    kw = dict(padding=padding, dilation=dilation)
    y = conv(x, w, algorithm=f"winograd_f{m}", **kw)
    g = np.random.default_rng(1).standard_normal(y.shape)
    want_y, want_gx, want_gw = _torch(x, w, g, padding, dilation)
    np.testing.assert_allclose(y, want_y, rtol=0, atol=1e-10)
    gx, gw, _ = conv_backward(g, x, w, algorithm=f"winograd_f{m}", **kw)
    np.testing.assert_allclose(gx, want_gx, rtol=0, atol=1e-10)
    np.testing.assert_allclose(gw, want_gw, rtol=0, atol=1e-10)


def test_float32_error_below_1e3_of_float64():
    x, w = _arrays((2, 24, 6, 21, 19), 16, seed=3)
    w /= np.sqrt(27 * 24)
    g = np.random.default_rng(4).standard_normal((2, 16, 6, 21, 19))
    exact = _torch(x, w, g, 1, 1)
    x32, w32, g32 = (v.astype(np.float32) for v in (x, w, g))
    y = conv(x32, w32, padding=1, algorithm="winograd_f4")
    gx, gw, _ = conv_backward(g32, x32, w32, padding=1, algorithm="winograd_f4")
    for got, want in zip((y, gx, gw), exact, strict=True):
        assert got.dtype == np.float32
        assert float(np.abs(got - want).max() / np.abs(want).max()) < 1e-3


def test_transposed_3d_convolution_uses_the_native_adjoint():
    x, w = _arrays((2, 4, 4, 6, 5), 3)  # conv_transpose weight: (C_in, C_out, 3, 3, 3)
    w = np.ascontiguousarray(w.swapaxes(0, 1))
    got = conv_transpose(x, w, padding=1, algorithm="winograd_f4")
    want = torch.nn.functional.conv_transpose3d(torch.from_numpy(x), torch.from_numpy(w), padding=1)
    np.testing.assert_allclose(got, want.numpy(), atol=1e-10)


def test_auto_uses_winograd_for_the_benchmark_conv3d_layer():
    p = Problem((8, 64, 18, 58, 58), (64, 64, 3, 3, 3), (1,) * 3, (1,) * 3, 1, np.dtype("float32"))
    assert choose(p).name == "winograd_f4"
    assert choose(p, weight_grad=True).name == "winograd_f4"
    g, w = np.zeros((8, 64, 16, 56, 56), np.float32), np.zeros((64, 64, 3, 3, 3), np.float32)
    chosen, native = choose_transpose(g, w, (1,) * 3, (1,) * 3, 1, (18, 58, 58))
    assert chosen.name == "winograd_f4" and native


def test_multiplication_count_counts_three_input_slices_per_output():
    p = Problem((1, 8, 6, 10, 10), (8, 8, 3, 3, 3), (1,) * 3, (1,) * 3, 1, np.dtype("float32"))
    counts = winograd.multiplications(p, 4)
    assert counts["direct"] == 8 * 8 * 27 * 4 * 8 * 8
    assert counts["elementwise"] == 36 * 8 * (3 * 8) * winograd_3d.tiles(p, 4)
    assert counts["saving"] == pytest.approx(4.0)  # 8x8 outputs: 2x2 whole tiles per slice


@pytest.mark.parametrize(
    "kw", [dict(dilation=(2, 1, 1)), dict(stride=(1, 2, 1)), dict(groups=2)]
)  # fmt: skip
def test_forcing_winograd_on_unsupported_3d_layers_names_the_reason(kw):
    x, w = _arrays((1, 4, 7, 8, 8), 4)
    w = w[:, : 4 // kw.get("groups", 1)]
    with pytest.raises(ValueError, match="algorithm='winograd_f4' does not support"):
        conv(x, w, padding=1, algorithm="winograd_f4", **kw)


def test_kernels_other_than_3x3x3_are_not_supported():
    p = Problem((1, 2, 6, 6, 6), (2, 2, 3, 3, 1), (1,) * 3, (1,) * 3, 1, np.dtype("float32"))
    assert not winograd.supports(p)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(8))
def test_seeded_sweep_of_shapes_pads_and_dilations(seed):
    rng = np.random.default_rng(300 + seed)
    d = (1, int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    pads = tuple((int(rng.integers(0, 4)), int(rng.integers(0, 4))) for _ in range(3))
    size = [max(1, int(rng.integers(2 * dd + 1 - lo - hi, 2 * dd + 9))) for dd, (lo, hi) in
            zip(d, pads)]  # fmt: skip
    x, w = _arrays((int(rng.integers(1, 3)), int(rng.integers(1, 5)), *size), 3, seed=seed)
    y = conv(x, w, padding=pads, dilation=d, algorithm="winograd_f4")
    g = rng.standard_normal(y.shape)
    want = _torch(x, w, g, pads, d)
    got = (y, *conv_backward(g, x, w, padding=pads, dilation=d, algorithm="winograd_f4")[:2])
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
