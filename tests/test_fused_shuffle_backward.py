"""Gradients of the fused channel shuffle + grouped 1x1 convolution, against the unfused
composition (reference loops) and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from convzoo import channel_shuffle, channel_unshuffle, conv_backward
from convzoo.engine import blas
from convzoo.functional import shuffle_pointwise_grouped_backward

CASES = [
    (2, 12, 6, 3, 3, (5, 4)),
    (3, 12, 8, 2, 3, (6,)),
    (8, 240, 60, 3, 3, (3, 3)),
    (4, 8, 4, 4, 2, (2, 2, 2)),
    (0, 6, 3, 3, 2, (2, 2)),
]
IDS = ["g3s3", "g2s3-1d-odd-batch", "shufflenet", "g4s2-3d", "empty-batch"]


@pytest.fixture(params=["threads", "one-thread"])
def path(request, monkeypatch):
    """Whole images per engine thread where the batch allows it, and one image at a time."""
    if request.param == "one-thread":
        monkeypatch.setattr(blas, "whole_images_per_thread", lambda n_batch: False)
    return request.param


def _arrays(n, channels, c_out, groups, spatial, dtype=np.float64):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, channels, *spatial)).astype(dtype)
    w = rng.standard_normal((c_out, channels // groups, *([1] * len(spatial)))).astype(dtype)
    gy = rng.standard_normal((n, c_out, *spatial)).astype(dtype)
    return x, w, gy


@pytest.mark.parametrize(("n", "channels", "c_out", "groups", "shuffle_groups", "spatial"), CASES,
                         ids=IDS)  # fmt: skip
def test_fused_backward_equals_the_unfused_one(path, n, channels, c_out, groups, shuffle_groups,
                                               spatial):  # fmt: skip
    x, w, gy = _arrays(n, channels, c_out, groups, spatial)
    got = shuffle_pointwise_grouped_backward(gy, x, w, groups=groups, shuffle_groups=shuffle_groups)
    shuffled = channel_shuffle(x, shuffle_groups)
    gx, gw, gb = conv_backward(gy, shuffled, w, groups=groups, algorithm="reference")
    want = (channel_unshuffle(gx, shuffle_groups), gw, gb)
    for name, a, b in zip(("input", "weight", "bias"), got, want, strict=True):
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, atol=1e-9, err_msg=name)


def test_fused_backward_matches_torch_and_keeps_float32():
    torch = pytest.importorskip("torch")
    x, w, gy = _arrays(8, 240, 60, 3, (7, 7), np.float32)
    gx, gw, gb = shuffle_pointwise_grouped_backward(gy, x, w, groups=3, shuffle_groups=3)
    assert gx.dtype == gw.dtype == gb.dtype == np.float32
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tw = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    shuffled = tx.view(8, 3, 80, 7, 7).transpose(1, 2).reshape(8, 240, 7, 7)
    y = torch.nn.functional.conv2d(shuffled, tw, groups=3)
    want = torch.autograd.grad(y, (tx, tw), torch.tensor(gy, dtype=torch.float64))
    for a, b in zip((gx, gw), want, strict=True):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-4, atol=1e-4)


def test_fused_backward_rejects_a_wrong_grad_output_shape():
    x, w, gy = _arrays(2, 12, 6, 3, (5, 4))
    with pytest.raises(
        ValueError,
        match=r"shuffle_pointwise_grouped_backward: grad_output must have the output shape "
        r"\(2, 6, 5, 4\) of this convolution; got shape \(2, 6, 4, 4\)",
    ):
        shuffle_pointwise_grouped_backward(gy[..., :4, :], x, w, groups=3, shuffle_groups=3)


def test_fused_backward_names_itself_in_the_shuffle_groups_error():
    with pytest.raises(
        ValueError,
        match="shuffle_pointwise_grouped_backward: shuffle_groups=5 must divide channels=6",
    ):
        shuffle_pointwise_grouped_backward(
            np.ones((1, 2, 2)), np.ones((1, 6, 2)), np.ones((2, 3, 1)), groups=2,
            shuffle_groups=5,
        )  # fmt: skip


def test_fused_backward_rejects_a_kernel_larger_than_1x1():
    with pytest.raises(
        ValueError,
        match=r"shuffle_pointwise_grouped_backward: weight must be a 1x1 kernel; "
        r"got kernel size \(3,\)",
    ):
        shuffle_pointwise_grouped_backward(
            np.ones((1, 2, 2)), np.ones((1, 6, 4)), np.ones((2, 3, 3)), groups=2,
            shuffle_groups=2,
        )  # fmt: skip
