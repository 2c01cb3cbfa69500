"""Hypothesis properties of the engine: adjointness, linearity, shapes, groups, float16.

- adjoint identity ``<conv(x, w), y> = <x, conv_transpose(y, w)>`` (the transposed
  convolution is the adjoint of the convolution, Dumoulin & Visin 2016, section 4);
- linearity in ``x`` (every padding mode except the affine ``'constant'``) and in ``w``;
- the output shape is ``convzoo.output_shape(...)`` for every padding form;
- with zero padding, ``conv_backward``'s input gradient is ``conv_transpose`` of the output
  gradient;
- ``groups=1`` with a block-diagonal kernel equals the grouped convolution;
- float16 in, float16 out, computed in float32.

Arrays come from a seed that hypothesis draws; ``derandomize=True`` makes CI reproducible.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import convzoo

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
LINEAR_MODES = ["zeros", "reflect", "replicate", "circular", "symmetric"]


@st.composite
def conv_problems(draw, modes=("zeros",), string_padding=False):
    """A valid forward convolution: shapes, hyperparameters and a seed for the arrays."""
    ndim = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    mode = draw(st.sampled_from(modes))
    spatial, pads = [], []
    for k, d in zip(kernel, dilation, strict=True):
        n = draw(st.integers(max(1, d * (k - 1) - 2), 7 if ndim < 3 else 4))
        limit = {"reflect": n - 1, "circular": n, "symmetric": n}.get(mode, 3)
        lo, hi = draw(st.integers(0, min(limit, 3))), draw(st.integers(0, min(limit, 3)))
        assume(d * (k - 1) + 1 <= n + lo + hi)
        spatial.append(n)
        pads.append((lo, hi))
    padding = tuple(pads)
    if string_padding:
        padding = draw(st.sampled_from([padding, "valid", "same", "same_lower", "full"]))
        reach = max(d * (k - 1) for k, d in zip(kernel, dilation, strict=True))
        if padding == "valid":
            assume(all(d * (k - 1) + 1 <= n for n, k, d in zip(spatial, kernel, dilation)))
        elif padding != tuple(pads) and mode != "zeros":
            assume(reach < min(spatial))  # reflect needs pad < n; 'full' pads reach
    problem = {
        "x_shape": (draw(st.integers(1, 2)), c_in, *spatial),
        "w_shape": (c_out, c_in // groups, *kernel),
        "stride": stride,
        "dilation": dilation,
        "groups": groups,
        "padding": padding,
        "mode": mode,
        "seed": draw(st.integers(0, 2**32 - 1)),
    }
    return problem


def kwargs(p, mode=True):
    kw = {"stride": p["stride"], "padding": p["padding"], "dilation": p["dilation"]}
    kw["groups"] = p["groups"]
    if mode:
        kw["padding_mode"] = p["mode"]
    return kw


def arrays(p, *shapes):
    rng = np.random.default_rng(p["seed"])
    return [rng.standard_normal(shape) for shape in shapes]


def adjoint_output_padding(p):
    """The output_padding that makes conv_transpose's output the conv's input size."""
    rows = zip(p["x_shape"][2:], p["w_shape"][2:], p["stride"], p["dilation"], p["padding"])
    return tuple((n + lo + hi - d * (k - 1) - 1) % s for n, k, s, d, (lo, hi) in rows)


def assert_close(actual, expected, rtol=1e-10):
    scale = max(float(np.max(np.abs(expected))), 1.0)
    assert np.max(np.abs(actual - expected)) <= rtol * scale


@SETTINGS
@given(conv_problems())
def test_adjoint_identity(p):
    """<conv(x, w), y> = <x, conv_transpose(y, w)> with the matching output_padding."""
    x, w = arrays(p, p["x_shape"], p["w_shape"])
    y_shape = convzoo.output_shape(p["x_shape"], p["w_shape"], **kwargs(p, mode=False))
    (y,) = arrays({"seed": p["seed"] + 1}, y_shape)
    op = adjoint_output_padding(p)
    back = convzoo.conv_transpose(y, w, output_padding=op, **kwargs(p, mode=False))
    assert back.shape == x.shape
    lhs = float(np.vdot(convzoo.conv(x, w, **kwargs(p)), y))
    rhs = float(np.vdot(x, back))
    assert abs(lhs - rhs) <= 1e-10 * max(abs(lhs), 1.0)


@SETTINGS
@given(conv_problems(modes=LINEAR_MODES), st.floats(-3, 3), st.floats(-3, 3))
def test_linear_in_input(p, a, b):
    """conv(a*x1 + b*x2, w) = a*conv(x1, w) + b*conv(x2, w) for every linear padding mode."""
    x1, x2, w = arrays(p, p["x_shape"], p["x_shape"], p["w_shape"])
    kw = kwargs(p)
    mixed = convzoo.conv(a * x1 + b * x2, w, **kw)
    assert_close(mixed, a * convzoo.conv(x1, w, **kw) + b * convzoo.conv(x2, w, **kw))


@SETTINGS
@given(conv_problems(modes=[*LINEAR_MODES, "constant"]), st.floats(-3, 3), st.floats(-3, 3))
def test_linear_in_weight(p, a, b):
    """conv(x, a*w1 + b*w2) = a*conv(x, w1) + b*conv(x, w2), constant padding included."""
    x, w1, w2 = arrays(p, p["x_shape"], p["w_shape"], p["w_shape"])
    kw = kwargs(p) | {"padding_value": 0.5 if p["mode"] == "constant" else 0.0}
    mixed = convzoo.conv(x, a * w1 + b * w2, **kw)
    assert_close(mixed, a * convzoo.conv(x, w1, **kw) + b * convzoo.conv(x, w2, **kw))


@SETTINGS
@given(conv_problems(modes=LINEAR_MODES, string_padding=True))
def test_conv_shape_is_output_shape(p):
    """conv's result has exactly output_shape(...) for every padding form and mode."""
    x, w = arrays(p, p["x_shape"], p["w_shape"])
    y = convzoo.conv(x, w, **kwargs(p))
    assert y.shape == convzoo.output_shape(x.shape, w.shape, **kwargs(p, mode=False))


@SETTINGS
@given(conv_problems(string_padding=True), st.integers(0, 2))
def test_conv_transpose_shape_is_output_shape(p, op):
    """conv_transpose's result has output_shape(..., transposed=True) for every form."""
    # the forward weight (C_out, C_in/G, *k) read as a transposed weight (C_in', C_out'/G, *k)
    x_shape = (p["x_shape"][0], p["w_shape"][0], *p["x_shape"][2:])
    x, w = arrays(p, x_shape, p["w_shape"])
    output_padding = tuple(min(op, max(s, d) - 1) for s, d in zip(p["stride"], p["dilation"]))
    kw = kwargs(p, mode=False) | {"output_padding": output_padding}
    try:
        y_shape = convzoo.output_shape(x.shape, w.shape, transposed=True, **kw)
    except ValueError:  # the padding crops everything: conv_transpose must refuse too
        with pytest.raises(ValueError, match="crops the whole output"):
            convzoo.conv_transpose(x, w, **kw)
        return
    assert convzoo.conv_transpose(x, w, **kw).shape == y_shape


@SETTINGS
@given(conv_problems())
def test_grad_input_is_conv_transpose(p):
    """With zero padding, conv_backward's grad_input = conv_transpose(grad_output, w)."""
    x, w = arrays(p, p["x_shape"], p["w_shape"])
    y_shape = convzoo.output_shape(p["x_shape"], p["w_shape"], **kwargs(p, mode=False))
    (g,) = arrays({"seed": p["seed"] + 1}, y_shape)
    grad_input, _, _ = convzoo.conv_backward(g, x, w, **kwargs(p))
    op = adjoint_output_padding(p)
    assert_close(grad_input, convzoo.conv_transpose(g, w, output_padding=op, **kwargs(p, False)))


def block_diagonal(w, groups):
    """The groups=1 kernel (C_out, C_in, *k) that is zero outside each group's block."""
    c_out, c_group, *kernel = w.shape
    full = np.zeros((c_out, c_group * groups, *kernel))
    per_group = c_out // groups
    for g in range(groups):
        rows = slice(g * per_group, (g + 1) * per_group)
        full[rows, g * c_group : (g + 1) * c_group] = w[rows]
    return full


@SETTINGS
@given(conv_problems(modes=[*LINEAR_MODES, "constant"]))
def test_block_diagonal_kernel_is_grouped_conv(p):
    """groups=1 with a block-diagonal kernel = the grouped convolution (and its transpose)."""
    x, w = arrays(p, p["x_shape"], p["w_shape"])
    kw = kwargs(p) | {"padding_value": -1.5 if p["mode"] == "constant" else 0.0}
    dense = block_diagonal(w, p["groups"])
    assert_close(convzoo.conv(x, dense, **(kw | {"groups": 1})), convzoo.conv(x, w, **kw))
    y = convzoo.conv(x, w, **kw)
    kw_t = kwargs(p, mode=False) | {"output_padding": adjoint_output_padding(p)}
    assert_close(
        convzoo.conv_transpose(y, dense, **(kw_t | {"groups": 1})),
        convzoo.conv_transpose(y, w, **kw_t),
    )


@SETTINGS
@given(conv_problems(modes=LINEAR_MODES))
def test_float16_computed_in_float32(p):
    """float16 in -> float16 out, equal to the float32 computation rounded to float16."""
    x, w = (a.astype(np.float16) for a in arrays(p, p["x_shape"], p["w_shape"]))
    y = convzoo.conv(x, w, **kwargs(p))
    assert y.dtype == np.float16
    in32 = convzoo.conv(x.astype(np.float32), w.astype(np.float32), **kwargs(p))
    np.testing.assert_array_equal(y, in32.astype(np.float16))
    g = np.ones(y.shape, np.float16)
    grads = convzoo.conv_backward(g, x, w, **kwargs(p))
    grads32 = convzoo.conv_backward(g.astype(np.float32), x.astype(np.float32),
                                    w.astype(np.float32), **kwargs(p))  # fmt: skip
    for got, want in zip(grads, grads32, strict=True):
        assert got.dtype == np.float16
        np.testing.assert_array_equal(got, want.astype(np.float16))
