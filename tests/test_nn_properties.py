"""Property tests: random layer configurations against torch; modes torch lacks by finite
differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convzoo
from convzoo import nn

torch = pytest.importorskip("torch")
TOL = dict(rtol=1e-10, atol=1e-10)


def _check_against_torch(layer, x, seed=0):
    weights = np.random.default_rng(seed).standard_normal(layer.output_shape(x.shape))
    module = layer.to_torch()
    y = layer(x)
    gx = layer.backward(weights)
    xt = torch.tensor(x, requires_grad=True)
    (module(xt) * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(y, module(xt).detach().numpy(), **TOL)
    np.testing.assert_allclose(gx, xt.grad.numpy(), **TOL)
    for key, p in module.named_parameters():
        np.testing.assert_allclose(layer.grads[key], p.grad.numpy(), **TOL, err_msg=key)


@settings(max_examples=30, deadline=None)
@given(
    ndim=st.integers(1, 3),
    groups=st.sampled_from([1, 2]),
    kernel=st.integers(1, 3),
    stride=st.integers(1, 2),
    dilation=st.integers(1, 2),
    padding=st.integers(0, 2),
    transposed=st.booleans(),
    seed=st.integers(0, 99),
)
def test_random_conv_layers_match_torch(ndim, groups, kernel, stride, dilation, padding,
                                        transposed, seed):  # fmt: skip
    size = (7, 6, 5)[:ndim]
    x = np.random.default_rng(seed).standard_normal((2, 2 * groups, *size))
    if transposed:
        padding = min(padding, dilation * (kernel - 1))  # torch needs a non-empty output
        layer = nn.ConvTranspose(2 * groups, 2 * groups, kernel, stride, padding,
                                 output_padding=stride - 1, groups=groups, dilation=dilation,
                                 ndim=ndim, rng=seed)  # fmt: skip
    else:
        layer = nn.Conv(2 * groups, 4, kernel, stride, padding, dilation, groups, ndim=ndim,
                        rng=seed)  # fmt: skip
    _check_against_torch(layer, x, seed)


@settings(max_examples=15, deadline=None)
@given(c=st.integers(1, 4), g=st.integers(1, 4), n=st.integers(1, 3))
def test_shuffle_layer_is_a_permutation_and_backward_its_inverse(c, g, n):
    x = np.random.default_rng(c * g).standard_normal((n, c * g, 2))
    layer = nn.ChannelShuffle(g)
    y = layer(x)
    assert sorted(y.ravel()) == sorted(x.ravel())
    np.testing.assert_array_equal(layer.backward(y), x)


@pytest.mark.parametrize(
    "layer",
    [
        nn.Conv(2, 3, 3, padding=2, padding_mode="constant", padding_value=0.5, rng=0),
        nn.Conv(2, 3, 3, padding="same", padding_mode="symmetric", rng=0),
        nn.Conv(2, 2, 4, stride=2, padding="same", rng=0),
        nn.Conv(2, 2, 3, padding=((0, 2), (1, 0)), rng=0),
        nn.ConvTranspose(2, 3, 3, stride=2, padding="same", rng=0),
    ],
    ids=["constant", "symmetric", "same_stride2", "asymmetric", "transposed_same"],
)
def test_finite_differences_where_torch_has_no_twin(layer):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 5, 6))
    weights = rng.standard_normal(layer.output_shape(x.shape))
    layer(x)
    gx = layer.backward(weights)
    dx, dw = rng.standard_normal(x.shape), rng.standard_normal(layer.weight.shape)
    eps = 1e-6

    def loss(sign):
        w0 = layer.weight
        layer.weight = w0 + sign * eps * dw
        value = float(np.sum(layer(x + sign * eps * dx) * weights))
        layer.weight = w0
        return value

    numeric = (loss(1) - loss(-1)) / (2 * eps)
    analytic = np.sum(gx * dx) + np.sum(layer.grads["weight"] * dw)
    assert numeric == pytest.approx(analytic, rel=1e-7, abs=1e-8)
    assert layer(x).shape == convzoo.output_shape(
        x.shape, layer.weight.shape, stride=layer.stride, padding=layer.padding,
        transposed=isinstance(layer, nn.ConvTranspose),
    )  # fmt: skip
