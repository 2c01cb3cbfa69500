"""dtypes end to end, NaN/inf propagation, and unusual memory layouts.

- float32 and float64 stay what they are through conv, conv_transpose and both backwards;
  float16 is accepted, computed in float32 and returned as float16;
- integer, boolean and complex arrays raise TypeError;
- a NaN or inf in the input, weight or output gradient shows up exactly where PyTorch puts
  it (the windows that cover it, mirrored copies included), never anywhere else;
- non-contiguous, Fortran-ordered and negative-stride arrays give the same result.
"""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import convzoo

FUNCTIONS = ["conv", "conv_transpose", "conv_backward", "conv_transpose_backward"]
KW = {"stride": 2, "padding": 1, "dilation": 1, "groups": 2}


def operands(name, dtype):
    """Arrays for one call of ``name`` (2-D, grouped, strided), in ``dtype``."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 6, 5)).astype(dtype)
    if name.startswith("conv_transpose"):
        w = rng.standard_normal((4, 3, 3, 2)).astype(dtype)
        y_shape = convzoo.output_shape(x.shape, w.shape, transposed=True, **KW)
    else:
        w = rng.standard_normal((6, 2, 3, 2)).astype(dtype)
        y_shape = convzoo.output_shape(x.shape, w.shape, **KW)
    b = rng.standard_normal(6).astype(dtype)
    g = rng.standard_normal(y_shape).astype(dtype)
    return x, w, b, g


def call(name, x, w, b, g):
    fn = getattr(convzoo, name)
    if name.endswith("backward"):
        return fn(g, x, w, **KW)
    return (fn(x, w, b, **KW),)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_float_dtype_preserved(name, dtype):
    results = call(name, *operands(name, dtype))
    assert all(r.dtype == np.dtype(dtype) for r in results)
    exact = call(name, *operands(name, "float64"))
    for r, e in zip(results, exact, strict=True):
        np.testing.assert_allclose(r, e, rtol=1e-4, atol=1e-4 * np.abs(e).max())


@pytest.mark.parametrize("name", FUNCTIONS)
def test_float16_in_float16_out(name):
    half = operands(name, "float16")
    results = call(name, *half)
    in32 = call(name, *(a.astype(np.float32) for a in half))
    for r, e in zip(results, in32, strict=True):
        assert r.dtype == np.float16
        np.testing.assert_array_equal(r, e.astype(np.float16))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_mixed_float32_float64_computes_in_float64(name):
    x, w, b, g = operands(name, "float64")
    results = call(name, x.astype(np.float32), w, b, g)
    assert all(r.dtype == np.float64 for r in results)


ARGUMENTS = [
    (name, position)
    for name in FUNCTIONS
    for position in ("x", "weight", "grad_output" if name.endswith("backward") else "bias")
]


@pytest.mark.parametrize("bad", ["int64", "int8", "bool", "complex128", "complex64"])
@pytest.mark.parametrize("name, position", ARGUMENTS, ids=["-".join(a) for a in ARGUMENTS])
def test_non_float_raises_type_error(name, position, bad):
    arrays = dict(zip(["x", "weight", "bias", "grad_output"], operands(name, "float64")))
    arrays[position] = arrays[position].astype(bad)
    with pytest.raises(TypeError, match=rf"{name}: .* dtype {bad}"):
        call(name, *arrays.values())


# ------------------------------------------------------------------------------ NaN / inf


def torch_forward(x, w, pads, mode, stride, dilation=1):
    xt = torch.tensor(x)
    flat = [v for pair in reversed(pads) for v in pair]
    xt = F.pad(xt, flat, mode="constant" if mode == "zeros" else mode)
    return F.conv2d(xt, torch.tensor(w), None, stride, 0, dilation).numpy()


def assert_same_non_finite(actual, expected):
    """NaN and inf exactly where torch has them; finite values agree elsewhere."""
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_array_equal(np.isposinf(actual), np.isposinf(expected))
    np.testing.assert_array_equal(np.isneginf(actual), np.isneginf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=1e-10, atol=1e-12)


def covering_windows(x_shape, pixel, w_shape, **kw):
    """Outputs whose window covers ``pixel`` (padding copies included): conv of an indicator
    with a kernel of ones is nonzero exactly there."""
    indicator = np.zeros(x_shape)
    indicator[pixel] = 1.0
    return convzoo.conv(indicator, np.ones((w_shape[0], *w_shape[1:])), **kw) != 0


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pixel", [(0, 0, 0, 0), (1, 0, 2, 3), (0, 1, 5, 4)], ids=str)
def test_non_finite_input_stays_in_its_windows(pixel, mode, value):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 2, 6, 5))
    w = rng.standard_normal((3, 2, 3, 3))
    x[pixel] = value
    pads = ((2, 1), (1, 2))
    y = convzoo.conv(x, w, stride=(1, 2), padding=pads, padding_mode=mode)
    assert_same_non_finite(y, torch_forward(x, w, pads, mode, (1, 2)))
    hit = covering_windows(x.shape, pixel, w.shape, stride=(1, 2), padding=pads, padding_mode=mode)
    # one channel's NaN reaches every output channel (groups=1) at the covering positions
    assert np.array_equal(~np.isfinite(y), hit)
    assert np.isfinite(y[~hit]).all()


def test_nan_in_weight_poisons_only_its_output_channel():
    x = np.random.default_rng(6).standard_normal((1, 4, 5, 5))
    w = np.random.default_rng(7).standard_normal((4, 2, 3, 3))
    w[2, 1, 0, 0] = np.nan
    y = convzoo.conv(x, w, padding=1, groups=2)
    expected = F.conv2d(torch.tensor(x), torch.tensor(w), padding=1, groups=2).numpy()
    assert_same_non_finite(y, expected)
    assert np.isnan(y[:, 2]).all() and np.isfinite(np.delete(y, 2, axis=1)).all()


@pytest.mark.parametrize("mode", ["zeros", "reflect"])
def test_nan_in_grad_output_matches_torch_autograd(mode):
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal((1, 2, 7, 6)), rng.standard_normal((2, 2, 3, 2))
    pads = ((1, 1), (1, 0))
    kw = {"stride": 2, "padding": pads, "padding_mode": mode}
    y = convzoo.conv(x, w, **kw)
    g = rng.standard_normal(y.shape)
    g[0, 1, 1, 2] = np.nan
    gx, gw, gb = convzoo.conv_backward(g, x, w, **kw)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    flat = [v for pair in reversed(pads) for v in pair]
    xp = F.pad(xt, flat, mode="constant" if mode == "zeros" else mode)
    F.conv2d(xp, wt, stride=2).backward(torch.tensor(g))
    assert_same_non_finite(gx, xt.grad.numpy())
    assert_same_non_finite(gw, wt.grad.numpy())
    assert np.isnan(gb[1]) and np.isfinite(gb[0])
    assert np.isfinite(gw[0]).all(), "output channel 0 never saw the NaN"


def test_nan_in_transposed_input_matches_torch():
    rng = np.random.default_rng(9)
    x, w = rng.standard_normal((1, 2, 4, 3)), rng.standard_normal((2, 3, 3, 3))
    x[0, 0, 1, 1] = np.nan
    x[0, 1, 3, 0] = np.inf
    y = convzoo.conv_transpose(x, w, stride=2, padding=1, output_padding=1)
    expected = F.conv_transpose2d(
        torch.tensor(x), torch.tensor(w), stride=2, padding=1, output_padding=1
    ).numpy()
    assert_same_non_finite(y, expected)
    assert np.isfinite(y).any()


@pytest.mark.parametrize("algorithm", ["auto", "reference"])
def test_inf_minus_inf_is_nan_without_a_warning(algorithm):
    """Regression: replicated inf met weights of both signs, and NumPy warned 'invalid
    value encountered in matmul' (an error under ``-W error``); torch gives NaN silently."""
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 0] = np.inf
    w = np.array([[[[1.0, -1.0], [1.0, -1.0]]]])
    kw = {"padding": 1, "padding_mode": "replicate", "algorithm": algorithm}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = convzoo.conv(x, w, np.array([-np.inf]), **kw)
        grads = convzoo.conv_backward(np.full(y.shape, np.inf), x, w, **kw)
    with np.errstate(invalid="ignore"):
        expected = torch_forward(x, w, ((1, 1), (1, 1)), "replicate", 1) - np.inf
    assert_same_non_finite(y, expected)
    assert np.isnan(grads[0][0, 0, 0, 0]) and np.isinf(grads[2]).all()


# ------------------------------------------------------------------------------ layouts


def layouts(a):
    """The same values in other memory layouts: strided slice, Fortran order, reversed."""
    padded = np.zeros((*a.shape[:-1], 2 * a.shape[-1]), a.dtype)
    padded[..., ::2] = a
    reversed_twice = np.ascontiguousarray(a[..., ::-1])[..., ::-1]
    return {
        "strided": padded[..., ::2],
        "fortran": np.asfortranarray(a),
        "negative-stride": reversed_twice,
        "swapped": np.ascontiguousarray(a.swapaxes(0, -1)).swapaxes(0, -1),
    }


@pytest.mark.parametrize("layout", ["strided", "fortran", "negative-stride", "swapped"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_memory_layout_does_not_matter(name, layout):
    x, w, b, g = operands(name, "float64")
    assert layouts(x)[layout].strides != x.strides
    expected = call(name, x, w, b, g)
    got = call(name, *(layouts(a)[layout] for a in (x, w, b, g)))
    for r, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(r, e, rtol=1e-12, atol=1e-12)


def test_negative_stride_input_is_the_flipped_problem():
    """conv of a reversed view = reversed conv of the input with a reversed kernel."""
    rng = np.random.default_rng(10)
    x, w = rng.standard_normal((2, 3, 9)), rng.standard_normal((4, 3, 3))
    y = convzoo.conv(x[..., ::-1], w)
    np.testing.assert_allclose(y, convzoo.conv(x, w[..., ::-1])[..., ::-1], rtol=1e-12)
    expected = F.conv1d(torch.tensor(x[..., ::-1].copy()), torch.tensor(w)).numpy()
    np.testing.assert_allclose(y, expected, rtol=1e-12)
