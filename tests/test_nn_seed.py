"""The seed's statements about convolution types, as tests."""

import numpy as np
import pytest

import convzoo
from convzoo import nn

torch = pytest.importorskip("torch")

SOBEL = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_depthwise_separable_is_a_dense_conv_with_rank_structured_kernel():
    layer = nn.DepthwiseSeparable(3, 5, 3, padding=1, bias=False, rng=1)
    x = _x((2, 3, 6, 6))
    dw = layer.depthwise.weight[:, 0]  # (C, k, k)
    pw = layer.pointwise.weight[:, :, 0, 0]  # (O, C)
    dense = pw[:, :, None, None] * dw[None]  # (O, C, k, k): W[o, c] = pw[o, c] * dw[c]
    np.testing.assert_allclose(layer(x), convzoo.conv(x, dense, padding=1), atol=1e-12)
    steps = layer.pointwise(layer.depthwise(x))
    np.testing.assert_array_equal(layer(x), steps)


def test_grouped_is_a_dense_conv_with_block_diagonal_kernel():
    layer = nn.Grouped(6, 4, 3, groups=2, rng=2)
    x = _x((1, 6, 5, 5))
    dense = np.zeros((4, 6, 3, 3))
    dense[:2, :3] = layer.weight[:2]  # group 0: outputs 0-1 see inputs 0-2
    dense[2:, 3:] = layer.weight[2:]  # group 1: outputs 2-3 see inputs 3-5
    np.testing.assert_allclose(layer(x), convzoo.conv(x, dense, layer.bias), atol=1e-12)


def test_grouped_with_groups_equal_to_channels_is_depthwise():
    grouped = nn.Grouped(4, 4, 3, groups=4, rng=3)
    depthwise = nn.Depthwise(4, 3, rng=3)
    depthwise.load_state_dict(grouped.state_dict())
    x = _x((1, 4, 5, 5))
    np.testing.assert_array_equal(grouped(x), depthwise(x))


@pytest.mark.parametrize("groups", [1, 2, 3, 4, 6, 12])
def test_channel_shuffle_is_a_permutation_with_inverse_and_matches_torch(groups):
    x = _x((2, 12, 3))
    y = convzoo.channel_shuffle(x, groups)
    order = convzoo.channel_shuffle(np.arange(12.0).reshape(1, 12), groups)[0].astype(int)
    assert sorted(order) == list(range(12))
    np.testing.assert_array_equal(y, x[:, order])
    np.testing.assert_array_equal(convzoo.channel_unshuffle(y, groups), x)
    expected = torch.nn.functional.channel_shuffle(torch.from_numpy(x), groups).numpy()
    np.testing.assert_array_equal(y, expected)
    if groups == 1:
        np.testing.assert_array_equal(y, x)


def test_spatially_separable_sobel_equals_full_sobel_with_6_weights():
    column, row = convzoo.separate(SOBEL)
    np.testing.assert_allclose(np.outer(column, row), SOBEL, atol=1e-12)
    layer = nn.SpatiallySeparable.from_kernel(SOBEL)
    x = _x((1, 1, 5, 5))
    full = convzoo.conv(x, SOBEL[None, None])
    np.testing.assert_allclose(layer(x), full, atol=1e-12)
    assert sum(p.size for p in layer.params.values()) == 6
    assert SOBEL.size == 9


@pytest.mark.parametrize(
    "kernel",
    [np.ones((3, 3)), np.outer([1.0, 4, 6, 4, 1], [1.0, 4, 6, 4, 1]) / 256, np.ones((2, 5))],
    ids=["box", "gaussian", "rect"],
)
def test_separate_any_rank_one_kernel(kernel):
    column, row = convzoo.separate(kernel)
    np.testing.assert_allclose(np.outer(column, row), kernel, atol=1e-12)


def test_low_rank_is_the_best_approximation_with_its_error():
    k = _x((5, 5))
    s = np.linalg.svd(k, compute_uv=False)
    for rank in range(1, 6):
        columns, rows, error = convzoo.low_rank(k, rank)
        assert columns.shape == (5, rank) and rows.shape == (rank, 5)
        assert error == pytest.approx(np.linalg.norm(k - columns @ rows), abs=1e-12)
        assert error == pytest.approx(np.sqrt(np.sum(s[rank:] ** 2)), abs=1e-12)


def test_pointwise_is_a_matrix_product_over_channels():
    layer = nn.Pointwise(4, 3, rng=4)
    x = _x((2, 4, 3, 5))
    expected = np.einsum("oc,nchw->nohw", layer.weight[:, :, 0, 0], x)
    np.testing.assert_allclose(layer(x), expected + layer.bias[:, None, None], atol=1e-12)


def test_3d_conv_with_full_depth_kernel_is_multichannel_2d_conv():
    """The seed: a 2D convolution uses a 3D filter that moves in 2 directions."""
    x = _x((2, 3, 6, 7))  # (N, C, H, W): channels as depth
    w = _x((4, 3, 3, 3), seed=1)  # (O, C, k, k)
    two_d = convzoo.conv(x, w)
    volume = x[:, None]  # (N, 1, D=C, H, W)
    kernels = w[:, None]  # (O, 1, kD=C, k, k)
    three_d = nn.Conv3d(1, 4, (3, 3, 3), bias=False)
    three_d.weight = kernels
    y = three_d(volume)  # (N, O, 1, H', W'): moved in 2 directions only
    assert y.shape[2] == 1
    np.testing.assert_allclose(y[:, :, 0], two_d, atol=1e-12)


def test_transposed_overlap_shows_checkerboard_when_kernel_not_divisible_by_stride():
    uneven = nn.transposed.overlap_counts((4, 4), 3, 2)
    even = nn.transposed.overlap_counts((4, 4), 4, 2)
    assert len(np.unique(uneven[2:-2, 2:-2])) > 1  # 1, 2, 4 alternate: a checkerboard
    assert len(np.unique(even[2:-2, 2:-2])) == 1  # every interior pixel gets 4 taps
    layer = nn.Transposed(1, 1, 3, stride=2)
    np.testing.assert_array_equal(layer.overlap((4, 4)), uneven)
    # the counts are what the layer computes on ones with a ones kernel
    layer.weight = np.ones_like(layer.weight)
    layer.bias = np.zeros(1)
    np.testing.assert_array_equal(layer(np.ones((1, 1, 4, 4)))[0, 0], uneven)
