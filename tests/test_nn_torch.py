"""Every layer against PyTorch autograd (float64, 1e-10), finite differences, interop, trace."""

import numpy as np
import pytest
from nn_cases import cases, randomize

from convzoo import nn

torch = pytest.importorskip("torch")

CASES = cases()
TOL = dict(rtol=1e-10, atol=1e-10)


def _setup(name, train):
    layer, shape = CASES[name]()
    randomize(layer, seed=len(name))
    layer.train(train)
    rng = np.random.default_rng(7)
    return layer, rng.standard_normal(shape), rng


def _has_state(layer):
    return any(k.endswith("running_mean") for k in layer.state_dict())


def _modes():
    """Eval mode for every case; train mode too for registered types and BatchNorm users."""
    for name, make in CASES.items():
        yield pytest.param(name, False, id=f"{name}-eval")
        if name in nn.registry() or _has_state(make()[0]):
            yield pytest.param(name, True, id=f"{name}-train")


@pytest.mark.parametrize(("name", "train"), list(_modes()))
def test_forward_and_gradients_match_torch(name, train):
    layer, x, rng = _setup(name, train)
    module = layer.to_torch()
    y = layer(x)
    weights = rng.standard_normal(y.shape)
    gx = layer.backward(weights)
    xt = torch.tensor(x, requires_grad=True)
    yt = module(xt)
    (yt * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(y, yt.detach().numpy(), **TOL)
    np.testing.assert_allclose(gx, xt.grad.numpy(), **TOL)
    torch_grads = {k: p.grad.numpy() for k, p in module.named_parameters()}
    assert set(layer.grads) == set(torch_grads)
    for key, grad in torch_grads.items():
        np.testing.assert_allclose(layer.grads[key], grad, **TOL, err_msg=key)
    after = {k: v.numpy() for k, v in module.state_dict().items()}
    for key, value in layer.state_dict().items():  # running statistics updated alike
        np.testing.assert_allclose(value, after[key], **TOL, err_msg=key)


def _loss(layer, x, weights):
    return float(np.sum(layer(x) * weights))


@pytest.mark.parametrize("name", list(CASES))
def test_finite_difference_gradients(name):
    layer, x, rng = _setup(name, train=True)
    weights = rng.standard_normal(layer.output_shape(x.shape))
    layer(x)
    gx = layer.backward(weights)
    grads = {k: v.copy() for k, v in layer.grads.items()}
    params = layer.params
    eps = 1e-6
    for _ in range(2):
        dx = rng.standard_normal(x.shape)
        dp = {k: rng.standard_normal(v.shape) for k, v in params.items()}
        analytic = np.sum(gx * dx) + sum(np.sum(grads[k] * dp[k]) for k in params)

        def shifted(sign, dx=dx, dp=dp):
            for k, p in params.items():
                p += sign * eps * dp[k]
            value = _loss(layer, x + sign * eps * dx, weights)
            for k, p in params.items():
                p -= sign * eps * dp[k]
            return value

        numeric = (shifted(1) - shifted(-1)) / (2 * eps)
        assert numeric == pytest.approx(analytic, rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_loads_into_torch_and_from_torch_round_trips(name):
    layer, x, _ = _setup(name, train=False)
    module = layer.to_torch()
    fresh = type(layer).example()[0].to_torch() if name in nn.registry() else layer.to_torch()
    state = {k: torch.from_numpy(v) for k, v in layer.state_dict().items()}
    fresh.load_state_dict(state, strict=True)
    assert list(layer.state_dict()) == list(module.state_dict())
    back = type(layer).from_torch(module)
    assert type(back) is type(layer)
    assert back.state_dict().keys() == layer.state_dict().keys()
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[key], value)
    np.testing.assert_allclose(back(x), layer(x), **TOL)
    assert repr(back) == repr(layer)
    generic = nn.from_torch(module)
    np.testing.assert_allclose(generic(x), layer(x), **TOL)


@pytest.mark.parametrize("name", list(CASES))
def test_trace_matches_execution(name):
    layer, x, _ = _setup(name, train=False)
    trace = layer.trace(x.shape)
    assert trace[-1].output_shape == layer.output_shape(x.shape)
    ran = []
    for entry in trace:

        def record(*xs, _layer=entry.layer, _forward=entry.layer.forward):
            y = _layer.__class__.forward(_layer, *xs)
            ran.append((_layer, tuple(np.shape(v) for v in xs), y.shape))
            return y

        entry.layer.forward = record
    y = layer(x)
    assert y.shape == trace[-1].output_shape
    assert [r[0] for r in ran] == [e.layer for e in trace]
    for entry, (_, inputs, output) in zip(trace, ran):
        assert output == entry.output_shape
        if isinstance(entry.layer, nn.Add | nn.Concat):
            assert entry.input_shapes[0] == entry.input_shape
        else:
            assert inputs == (entry.input_shape,) == entry.input_shapes
            assert entry.layer.output_shape(entry.input_shape) == entry.output_shape
    if not any(isinstance(e.layer, nn.Add | nn.Concat) for e in trace):  # a plain chain
        for before, after in zip(trace, trace[1:]):
            assert before.output_shape == after.input_shape


@pytest.mark.parametrize("key", list(nn.registry()))
def test_registered_type_is_documented(key):
    cls = nn.registry()[key]
    layer, shape = cls.example()
    assert cls.summary and cls.paper and cls.__doc__
    assert repr(layer).startswith(cls.__name__ + "(")
    assert layer.output_shape(shape) == layer(np.zeros(shape)).shape
