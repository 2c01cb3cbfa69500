"""One test per error message of convzoo.nn, channel_shuffle and separate."""

import re

import numpy as np
import pytest

import convzoo
from convzoo import nn
from convzoo.nn.registry import register


def test_groups_must_divide_in_channels():
    with pytest.raises(ValueError, match=r"Conv: groups=4 must divide in_channels=6"):
        nn.Conv(6, 8, 3, groups=4)


def test_groups_must_divide_out_channels():
    with pytest.raises(ValueError, match=r"Grouped: groups=2 must divide out_channels=5"):
        nn.Grouped(4, 5, 3, groups=2)


def test_transposed_groups_must_divide_channels():
    with pytest.raises(ValueError, match=r"ConvTranspose: groups=3 must divide in_channels=4"):
        nn.ConvTranspose(4, 6, 3, groups=3)


def test_shuffle_groups_must_divide_channels():
    with pytest.raises(ValueError, match=r"channel_shuffle: groups=3 must divide channels=8"):
        convzoo.channel_shuffle(np.zeros((1, 8, 2, 2)), 3)


def test_unshuffle_groups_must_divide_channels():
    with pytest.raises(ValueError, match=r"channel_unshuffle: groups=3 must divide channels=4"):
        convzoo.channel_unshuffle(np.zeros((1, 4)), 3)


def test_shuffle_layer_shape_error_names_layer_and_shape():
    with pytest.raises(ValueError, match=r"ChannelShuffle: groups=3 must divide channels of "):
        nn.ChannelShuffle(3).output_shape((1, 8, 4, 4))


def test_separate_reports_rank_and_residual_of_non_rank_one_kernel():
    kernel = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    residual = np.sqrt(np.sum(np.linalg.svd(kernel, compute_uv=False)[1:] ** 2))
    message = rf"separate: kernel of shape \(3, 3\) is not separable: its rank is 3, not 1 .*residual of {residual:.6g}"  # noqa: E501
    with pytest.raises(ValueError, match=message):
        convzoo.separate(kernel)


def test_separate_needs_a_2d_kernel():
    with pytest.raises(ValueError, match=r"separate: kernel must be a non-empty 2-D real array"):
        convzoo.separate(np.ones(3))


def test_low_rank_rank_at_most_kernel_size():
    with pytest.raises(ValueError, match=r"low_rank: rank=4 must be at most min\(kernel shape\)"):
        convzoo.low_rank(np.ones((3, 3)), 4)


def test_input_too_small_for_kernel():
    message = r"Conv: the dilated kernel is larger than the padded input in spatial dim 0: .*"
    shapes = r"\[input shape \(1, 1, 3, 3\), weight shape \(1, 1, 5, 5\)\]"
    with pytest.raises(ValueError, match=message + shapes):
        nn.Conv(1, 1, 5)(np.ones((1, 1, 3, 3)))


def test_pool_input_too_small():
    message = r"MaxPool: the dilated kernel is larger .*\[input shape \(1, 1, 2, 2\)"
    with pytest.raises(ValueError, match=message):
        nn.MaxPool(3).output_shape((1, 1, 2, 2))


def test_input_channels_must_match_layer():
    with pytest.raises(ValueError, match=r"Conv: input has 2 channels but weight"):
        nn.Conv(3, 4, 3).output_shape((1, 2, 5, 5))


def test_composite_shape_error_names_the_child_and_shape():
    model = nn.Sequential(nn.Conv(1, 2, 3), nn.Conv(2, 2, 5))
    with pytest.raises(
        ValueError, match=r"Sequential: layer '1' \(Conv\) cannot take input shape \(1, 2, 3, 3\)"
    ):
        model.output_shape((1, 1, 5, 5))


def test_residual_branches_must_merge():
    block = nn.Residual(nn.Conv(2, 3, 3, padding=1))
    message = r"Residual: body output \(1, 3, 4, 4\) and shortcut output \(1, 2, 4, 4\) cannot be"
    with pytest.raises(ValueError, match=message):
        block.output_shape((1, 2, 4, 4))


def test_concat_operands_must_agree_but_channels():
    with pytest.raises(ValueError, match=r"Concat: operands must agree in every axis but"):
        nn.Concat()(np.ones((1, 2, 3, 3)), np.ones((1, 2, 4, 4)))


def test_add_operands_must_have_equal_shapes():
    with pytest.raises(ValueError, match=r"Add: operands must have equal shapes"):
        nn.Add()(np.ones((1, 2)), np.ones((1, 3)))


def test_linear_input_must_end_in_in_features():
    with pytest.raises(ValueError, match=r"Linear: input shape \(2, 5\) must end in in_features=4"):
        nn.Linear(4, 2)(np.ones((2, 5)))


def test_batchnorm_input_channels():
    with pytest.raises(ValueError, match=r"BatchNorm: input shape \(2, 4, 3\) must be \(N, C=3"):
        nn.BatchNorm(3)(np.ones((2, 4, 3)))


def test_batchnorm_train_needs_more_than_one_value():
    with pytest.raises(ValueError, match=r"BatchNorm: train mode needs more than 1 value"):
        nn.BatchNorm(3).train()(np.ones((1, 3)))


def test_state_dict_names_every_missing_extra_and_misshaped_key():
    layer = nn.DepthwiseSeparable(3, 4, 3, rng=0)
    state = layer.state_dict()
    del state["depthwise.bias"], state["pointwise.bias"]
    state["pointwise.weight"] = np.zeros((4, 3))
    state["depthwise.scale"] = np.zeros(3)
    message = (
        r"DepthwiseSeparable.load_state_dict: state does not match: missing keys "
        r"\['depthwise.bias', 'pointwise.bias'\], unexpected keys \['depthwise.scale'\], "
        r"mis-shaped keys \[pointwise.weight: expected \(4, 3, 1, 1\), got \(4, 3\)\]"
    )
    before = layer.state_dict()
    with pytest.raises(ValueError, match=message):
        layer.load_state_dict(state)
    assert all(np.array_equal(v, layer.state_dict()[k]) for k, v in before.items())  # unchanged


def test_registry_refuses_duplicate_names():
    with pytest.raises(
        ValueError, match=re.escape("register: type name 'conv2d' is already registered (to Conv)")
    ):
        register("conv2d", nn.Grouped)
    assert nn.registry()["conv2d"] is nn.Conv


def test_unknown_activation():
    with pytest.raises(ValueError, match=r"Pointwise: activation must be None, 'relu' or 'relu6'"):
        nn.Pointwise(2, 2, activation="gelu")


def test_shuffle_unit_stride_1_needs_equal_channels():
    with pytest.raises(
        ValueError,
        match=r"ShuffleUnit: stride 1 adds the input, so out_channels=24 must equal in_channels=12",
    ):
        nn.ShuffleUnit(12, 24, stride=1)


def test_shuffle_unit_stride_2_needs_more_output_channels():
    with pytest.raises(
        ValueError,
        match=r"ShuffleUnit: stride 2 concatenates the input, so out_channels=12 must exceed",
    ):
        nn.ShuffleUnit(12, 12, stride=2)


def test_bottleneck_stride_on():
    with pytest.raises(ValueError, match=r"Bottleneck: stride_on must be 'middle' or 'first'"):
        nn.Bottleneck(4, 8, stride_on="last")


def test_depthwise_separable_order():
    with pytest.raises(ValueError, match=r"DepthwiseSeparable: order must be 'mobilenet' or"):
        nn.DepthwiseSeparable(3, 4, order="inception")


def test_depth_multiplier_only_in_mobilenet_order():
    with pytest.raises(ValueError, match=r"DepthwiseSeparable: depth_multiplier applies to"):
        nn.DepthwiseSeparable(3, 4, order="xception", depth_multiplier=2)


def test_pool_padding_at_most_half_kernel():
    with pytest.raises(ValueError, match=r"MaxPool: padding=\(2, 2\) must be at most half of"):
        nn.MaxPool(3, padding=2)


def test_backward_before_forward():
    with pytest.raises(ValueError, match=r"Conv.backward: call forward first"):
        nn.Conv(1, 1, 3).backward(np.ones((1, 1, 1, 1)))


def test_to_torch_refuses_what_torch_cannot_express():
    layer = nn.Conv(1, 1, 3, padding=1, padding_mode="constant", padding_value=1.0)
    with pytest.raises(ValueError, match=r"Conv.to_torch: torch has Conv1d/2d/3d with padding"):
        layer.to_torch()


def test_to_torch_refuses_asymmetric_padding():
    with pytest.raises(ValueError, match=r"Conv.to_torch: torch needs symmetric padding"):
        nn.Conv(1, 1, 2, padding=((0, 1), (0, 1))).to_torch()


def test_to_torch_refuses_same_with_stride():
    with pytest.raises(ValueError, match=r"Conv.to_torch: torch supports padding 'valid' and"):
        nn.Conv(1, 1, 3, stride=2, padding="same").to_torch()


def test_from_torch_unknown_module():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"convzoo.nn.from_torch: no convzoo layer for torch"):
        nn.from_torch(torch.nn.GELU())


def test_depthwise_from_torch_needs_groups_equal_channels():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=r"Depthwise.from_torch: groups=1 must equal in_chan"):
        nn.Depthwise.from_torch(torch.nn.Conv2d(2, 2, 3))


def test_dropout_probability():
    with pytest.raises(ValueError, match=r"Dropout: p must be in \[0, 1\); got 1.5"):
        nn.Dropout(1.5)
