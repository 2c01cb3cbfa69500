"""convzoo.dask.apply: every zoo layer on a dask array equals the layer on the whole array."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest

import convzoo.dask
from convzoo import nn


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


def _bigger(shape, size=11):
    """The example's input shape with odd spatial sizes large enough for several tiles."""
    return (*shape[:2], *(max(n, size) for n in shape[2:]))


@pytest.mark.parametrize("name", sorted(nn.registry()))
def test_registry_layer_on_dask(name):
    layer, shape = nn.registry()[name].example()
    layer.eval()
    shape = _bigger(shape)
    x = np.random.default_rng(0).standard_normal(shape)
    chunks = (1, max(1, shape[1] // 2), *(3,) * (len(shape) - 2))
    y = convzoo.dask.apply(layer, da.from_array(x, chunks=chunks))
    expected = layer(x)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.compute(), expected, rtol=0, atol=1e-10)


def test_depthwise_separable_runs_both_steps_per_tile():
    layer = nn.DepthwiseSeparable(4, 6, 3, padding=1, norm_act=True, rng=1).eval()
    x = np.random.default_rng(2).standard_normal((2, 4, 20, 20))
    y = convzoo.dask.apply(layer, da.from_array(x, chunks=(1, 4, 8, 8)))
    convs = [k for k in y.dask.layers if k.startswith("convzoo-conv-")]
    assert len(convs) == 1  # one tiled layer: no depthwise array between the two steps
    assert y.numblocks == (2, 1, 3, 3)
    np.testing.assert_allclose(y.compute(), layer(x), rtol=0, atol=1e-10)


def test_a_small_model_with_pools_residuals_and_a_classifier():
    model = nn.Sequential(
        nn.Conv(3, 8, 3, stride=2, padding=1, rng=0),
        nn.BatchNorm(8),
        nn.ReLU(),
        nn.MaxPool(3, 2, 1),
        nn.Residual(nn.DepthwiseSeparable(8, 8, 3, padding=1, rng=1), activation="relu"),
        nn.ShuffleUnit(8, 16, groups=2, stride=2, rng=2),
        nn.AvgPool(3, 1, 1, count_include_pad=False),
        nn.GlobalAvgPool(),
        nn.Flatten(),
        nn.Linear(16, 5, rng=3),
    ).eval()
    x = np.random.default_rng(4).standard_normal((3, 3, 45, 45))
    y = convzoo.dask.apply(model, da.from_array(x, chunks=(2, 3, 16, 16)))
    np.testing.assert_allclose(y.compute(), model(x), rtol=0, atol=1e-10)


def test_concat_of_branches():
    layer = nn.Concat(nn.Conv(2, 3, 3, padding=1, rng=0), nn.MaxPool(3, 1, 1))
    x = np.random.default_rng(6).standard_normal((1, 2, 9, 9))
    y = convzoo.dask.apply(layer, da.from_array(x, chunks=(1, 1, 4, 4)))
    np.testing.assert_allclose(y.compute(), layer(x), rtol=0, atol=1e-10)


def test_grouped_layer_groups_are_tasks():
    layer = nn.Grouped(8, 8, 3, padding=1, groups=4, rng=0)
    x = np.random.default_rng(5).standard_normal((1, 8, 12, 12))
    y = convzoo.dask.apply(layer, da.from_array(x, chunks=(1, 2, 12, 12)))
    assert y.chunks[1] == (2, 2, 2, 2)
    np.testing.assert_allclose(y.compute(), layer(x), rtol=0, atol=1e-10)


def test_training_batchnorm_is_refused():
    layer = nn.Sequential(nn.Conv(2, 2, 3, rng=0), nn.BatchNorm(2)).train()
    with pytest.raises(
        ValueError,
        match=r"convzoo.dask.apply: BatchNorm in training mode "
        r"depends on the whole batch .* call layer.eval\(\)",
    ):
        convzoo.dask.apply(layer, da.ones((1, 2, 5, 5), chunks=3))


def test_unknown_layer_type_is_refused():
    class Custom(nn.ReLU.__mro__[1]):  # a bare Layer subclass the adapter cannot know
        def output_shape(self, input_shape):
            return tuple(input_shape)

    with pytest.raises(
        TypeError,
        match=r"convzoo.dask.apply: no Dask rule for layer type "
        r"Custom",
    ):
        convzoo.dask.apply(Custom(), da.ones((1, 2, 5, 5), chunks=3))


def test_apply_needs_a_dask_array():
    with pytest.raises(TypeError, match=r"convzoo.dask.apply: x must be a dask.array.Array"):
        convzoo.dask.apply(nn.ReLU(), np.ones((1, 1, 2, 2)))
