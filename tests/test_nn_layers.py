"""Behaviour of individual convzoo.nn layers beyond the torch comparison."""

import re

import numpy as np
import pytest

from convzoo import nn

torch = pytest.importorskip("torch")


def test_repr_reads_like_pytorch():
    layer = nn.Sequential(nn.Conv(3, 8, 3, padding=1, bias=False), nn.BatchNorm(8), nn.ReLU())
    expected = repr(layer.to_torch())
    expected = re.sub(r"momentum=0.1[^)]*\)", "momentum=0.1)", expected)  # torch's BN flags
    ours = repr(layer).replace("Conv(", "Conv2d(").replace("BatchNorm(", "BatchNorm2d(")
    assert ours == expected


def test_default_mode_is_eval_and_train_is_recursive():
    block = nn.Bottleneck(4, 8, rng=0)
    assert not block.training and not block.bn1.training
    block.train()
    assert block.bn3.training and block.downsample[1].training
    assert block.eval() is block and not block.bn2.training


def test_params_are_torch_keys_and_buffers_are_separate():
    layer = nn.DepthwiseSeparable(3, 4, norm_act=True, rng=0)
    assert list(layer.params) == [
        "depthwise.weight", "bn1.weight", "bn1.bias", "pointwise.weight", "bn2.weight",
        "bn2.bias",
    ]  # fmt: skip
    assert "bn1.running_mean" in layer.buffers and "bn1.running_mean" in layer.state_dict()
    assert list(layer.state_dict()) == list(layer.to_torch().state_dict())


def test_bottleneck_keys_are_torchvision_names_and_stride_placement():
    v15 = nn.Bottleneck(64, 256, stride=2, rng=0)
    v1 = nn.Bottleneck(64, 256, stride=2, stride_on="first", rng=0)
    assert v15.conv1.stride == (1, 1) and v15.conv2.stride == (2, 2)
    assert v1.conv1.stride == (2, 2) and v1.conv2.stride == (1, 1)
    assert v15.conv1.weight.shape == (64, 64, 1, 1)  # bottleneck = out / 4
    keys = {k.rsplit(".", 1)[0] for k in v15.state_dict()}
    assert keys == {"conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "downsample.0",
                    "downsample.1"}  # fmt: skip
    assert nn.Bottleneck(256, 256).shortcut is None  # identity shortcut


def test_shuffle_unit_structure():
    unit = nn.ShuffleUnit(240, 480, groups=3, stride=2, rng=0)
    assert unit.conv1.weight.shape == (120, 80, 1, 1)  # bottleneck = 480 / 4, grouped
    assert unit.conv2.groups == 120 and unit.conv2.stride == (2, 2)
    assert unit.conv3.weight.shape == (240, 40, 1, 1)  # branch: 480 - 240 channels
    assert unit.output_shape((1, 240, 28, 28)) == (1, 480, 14, 14)
    first = nn.ShuffleUnit(24, 240, groups=3, stride=2, grouped_first=False, rng=0)
    assert first.conv1.groups == 1 and "shuffle" not in first.children()


def test_depthwise_separable_options():
    bare = nn.DepthwiseSeparable(4, 8, rng=0)
    assert list(bare.children()) == ["depthwise", "pointwise"]
    mobilenet = nn.DepthwiseSeparable(4, 8, norm_act=True, activation="relu6", rng=0)
    assert list(mobilenet.children()) == ["depthwise", "bn1", "relu1", "pointwise", "bn2",
                                          "relu2"]  # fmt: skip
    assert isinstance(mobilenet.relu2, nn.ReLU6) and mobilenet.depthwise.bias is None
    xception = nn.DepthwiseSeparable(4, 8, order="xception", rng=0)
    assert list(xception.children()) == ["pointwise", "depthwise"]
    assert xception.depthwise.weight.shape == (8, 1, 3, 3)
    multiplied = nn.DepthwiseSeparable(4, 8, depth_multiplier=3, rng=0)
    assert multiplied.depthwise.weight.shape == (12, 1, 3, 3)
    assert multiplied.pointwise.weight.shape == (8, 12, 1, 1)


def test_trace_paths_nest():
    model = nn.Sequential(nn.DepthwiseSeparable(3, 4, padding=1, rng=0), nn.Bottleneck(4, 8))
    paths = [e.path for e in model.trace((1, 3, 5, 5))]
    assert paths[:3] == ["0.depthwise", "0.pointwise", "1.conv1"]
    assert paths[-3:] == ["1.downsample.1", "1.add", "1.relu"]


def test_seeded_init_is_deterministic():
    a, b = nn.Bottleneck(4, 8, rng=5), nn.Bottleneck(4, 8, rng=5)
    c = nn.Bottleneck(4, 8, rng=6)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert not np.array_equal(a.params["conv1.weight"], c.params["conv1.weight"])
    assert nn.Conv(2, 2, 3).weight.tolist() == nn.Conv(2, 2, 3, rng=0).weight.tolist()


def test_float32_layers_stay_float32():
    layer = nn.DepthwiseSeparable(3, 4, dtype=np.float32, rng=0)
    y = layer(np.ones((1, 3, 5, 5), np.float32))
    assert y.dtype == np.float32 and layer.to_torch().pointwise.weight.dtype == torch.float32


def test_dropout_train_mode_masks_and_scales():
    drop = nn.Dropout(0.5, rng=0).train()
    y = drop(np.ones((4, 100)))
    assert set(np.unique(y)) == {0.0, 2.0}
    np.testing.assert_array_equal(drop.backward(np.ones((4, 100))), y)


def test_maxpool_backward_routes_to_the_argmax():
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    pool = nn.MaxPool(2)
    y = pool(x)
    g = pool.backward(np.ones_like(y))
    assert g.sum() == y.size and set(np.unique(g)) == {0.0, 1.0}
    np.testing.assert_array_equal(x[g == 1].reshape(-1), np.sort(x[g == 1]).reshape(-1)[
        np.argsort(np.argsort(x[g == 1]))])  # fmt: skip
    assert np.allclose(np.sort(x[g == 1]), np.sort(y.ravel()))


def test_from_torch_builds_a_hand_written_torch_model():
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1, groups=1), torch.nn.BatchNorm2d(4),
        torch.nn.ReLU6(), torch.nn.MaxPool2d(2), torch.nn.ConvTranspose2d(4, 2, 3, 2, 1, 1),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(2, 5),
    ).double().eval()  # fmt: skip
    layer = nn.from_torch(module)
    assert [type(c).__name__ for c in layer.children().values()] == [
        "Conv", "BatchNorm", "ReLU6", "MaxPool", "ConvTranspose", "GlobalAvgPool", "Flatten",
        "Linear",
    ]  # fmt: skip
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    np.testing.assert_allclose(layer(x), module(torch.from_numpy(x)).detach().numpy(), atol=1e-12)


def test_zero_grad_and_grads_before_backward():
    layer = nn.Conv(2, 2, 3, rng=0)
    assert not layer.grads["weight"].any()
    layer(np.ones((1, 2, 3, 3)))
    layer.backward(np.ones((1, 2, 1, 1)))
    assert layer.grads["weight"].any()
    layer.zero_grad()
    assert not layer.grads["weight"].any()


def test_registry_keys_and_examples():
    keys = [
        "conv2d_single", "conv2d", "conv1d", "conv3d", "dilated", "pointwise", "bottleneck",
        "spatially_separable", "depthwise", "depthwise_separable", "grouped", "channel_shuffle",
        "shuffled_grouped", "pointwise_grouped", "shuffle_unit", "transposed", "flattened",
    ]  # fmt: skip
    assert list(nn.registry()) == keys
    assert nn.registry()["conv2d_single"].example()[0].weight.shape == (1, 1, 3, 3)
    assert nn.registry()["dilated"].example()[0].dilation == (2, 2)
    assert len(nn.registry()["conv3d"].example()[1]) == 5
    registry = nn.registry()
    registry.pop("conv2d")
    assert "conv2d" in nn.registry()  # a copy
