"""The direct (numba) kernels with implicit zero padding against the reference loops.

Every path of :mod:`convzoo.engine.direct_kernels` is exercised: the flat-plane kernel
(stride 1 and 2, nine-term 3x3 pass and tap-by-tap passes, wrapped edge columns), the row
kernel (wider outputs, strides 3, 1-D), the scatter adjoint and the weight gradient, with
asymmetric, zero, large and cropping padding, dilation, depth multipliers and narrow groups,
and output-row bands (``row0``) as the fused depthwise-separable kernel uses them.
"""

from __future__ import annotations

import numpy as np
import pytest

from convzoo.engine import direct, reference
from convzoo.engine.adjoint import dilate_and_pad, transpose_weight
from convzoo.padding import pad, pad_adjoint

pytest.importorskip("numba")


def _random_case(rng, ndim):
    c_group = int(rng.choice([1, 1, 2, 4]))
    groups = int(rng.integers(1, 4))
    per_group = int(rng.choice([1, 2, 3]))
    kernel = tuple(int(k) for k in rng.integers(1, 6, ndim))
    if rng.random() < 0.4:
        kernel = (3,) * ndim
    stride = tuple(int(s) for s in rng.choice([1, 1, 2, 3], ndim))
    dilation = tuple(int(d) for d in rng.choice([1, 1, 2], ndim))
    padding = []
    for k, d in zip(kernel, dilation, strict=True):
        reach = d * (k - 1)
        if rng.random() < 0.5:  # 'same'-like: the stride-1 output is as wide as the input
            lo = int(rng.integers(0, reach + 1))
            padding.append((lo, reach - lo))
        else:
            padding.append(tuple(int(p) for p in rng.integers(0, 4, 2)))
    spatial = [
        int(rng.integers(max(1, d * (k - 1) + 1 - lo - hi), 12))
        for k, d, (lo, hi) in zip(kernel, dilation, padding, strict=True)
    ]
    x_shape = (int(rng.integers(1, 3)), c_group * groups, *spatial)
    w_shape = (per_group * groups, c_group, *kernel)
    return x_shape, w_shape, stride, dilation, groups, tuple(padding)


CASES = [_random_case(np.random.default_rng(seed), 1 + seed % 2) for seed in range(120)]


@pytest.mark.parametrize(("xs", "ws", "stride", "dilation", "groups", "padding"), CASES)
def test_direct_kernels_equal_reference(xs, ws, stride, dilation, groups, padding):
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    xp = pad(x, padding, "zeros", 0.0)
    expected = reference.correlate(xp, w, stride, dilation, groups)
    y = direct.correlate_unpadded(x, w, stride, dilation, groups, padding)
    np.testing.assert_allclose(y, expected, atol=1e-10)

    g = rng.standard_normal(y.shape)
    full = xp.shape[2:]
    z = dilate_and_pad(g, ws[2:], stride, dilation, full)
    ones = (1,) * len(stride)
    adjoint = reference.correlate(z, transpose_weight(w, groups), ones, dilation, groups)
    expected_gx = pad_adjoint(adjoint, padding, "zeros", xs[2:])
    gx = direct.transpose_unpadded(g, w, stride, dilation, groups, padding, xs[2:])
    np.testing.assert_allclose(gx, expected_gx, atol=1e-10)

    expected_gw = reference.correlate_weight_grad(xp, g, ws[2:], stride, dilation, groups)
    gw = direct.weight_grad_unpadded(x, g, ws[2:], stride, dilation, groups, padding)
    np.testing.assert_allclose(gw, expected_gw, atol=1e-10)


def test_cases_cover_every_kernel_path():
    """The random cases reach the flat kernel at strides 1 and 2, the row kernel, 3x3 and
    other kernels, and both adjoints (stride 1 by the flipped forward, else scatter)."""
    flat_s1 = flat_s2 = rows = nine = other = scatter = 0
    for xs, ws, stride, _, _, padding in CASES:
        if len(stride) == 1:
            continue
        x_width, kw = xs[3], ws[3]
        out_width = (x_width + sum(padding[1]) - (kw - 1) * 1 - 1) // stride[1] + 1
        flat = max(stride) <= 2 and (out_width - 1) * stride[1] < x_width
        flat_s1 += flat and stride == (1, 1)
        flat_s2 += flat and 2 in stride
        rows += not flat
        nine += ws[2:] == (3, 3)
        other += ws[2:] != (3, 3)
        scatter += stride != (1, 1)
    assert min(flat_s1, flat_s2, rows, nine, other, scatter) >= 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_row_bands_tile_the_output(dtype):
    """``forward_rows`` with ``row0`` (the fused kernel's bands) equals the whole output."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 4, 11, 9)).astype(dtype)
    w = rng.standard_normal((8, 1, 3, 3)).astype(dtype)
    for stride in [(1, 1), (2, 2), (3, 1)]:
        whole = direct.correlate_unpadded(x, w, stride, (1, 1), 4, ((1, 1), (1, 1)))
        rows = whole.shape[2]
        for r0 in range(rows):
            band = np.empty((1, 8, min(3, rows - r0), whole.shape[3]), dtype)
            direct.forward_rows(x, w, stride, (1, 1), (1, 1), r0, band, 2)
            np.testing.assert_allclose(band, whole[:, :, r0 : r0 + band.shape[2]], rtol=1e-5)


def test_float32_weight_gradient_is_accurate():
    """Float32 sums are accumulated in float64: large planes stay close to float64."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 8, 64, 64))
    g = rng.standard_normal((4, 8, 64, 64))
    pads = ((1, 1), (1, 1))
    exact = direct.weight_grad_unpadded(x, g, (3, 3), (1, 1), (1, 1), 8, pads)
    single = direct.weight_grad_unpadded(
        x.astype(np.float32), g.astype(np.float32), (3, 3), (1, 1), (1, 1), 8, pads
    )
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, exact, rtol=1e-4, atol=1e-3)


def test_weight_gradient_shares_few_groups_out_by_channel_blocks():
    """With fewer groups than threads, jobs are blocks of a group's output channels (the
    last block shorter); the result does not depend on the split."""
    from convzoo.engine import parallel

    rng = np.random.default_rng(11)
    x, g = rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((2, 5, 9, 8))
    pads = ((1, 1), (1, 1))
    expected = reference.correlate_weight_grad(pad(x, pads, "zeros", 0.0), g, (3, 3), (1, 1),
                                               (1, 1), 1)  # fmt: skip
    before = parallel.num_threads()
    try:
        for threads in (1, 2, 3):
            parallel.set_num_threads(threads)
            gw = direct.weight_grad_unpadded(x, g, (3, 3), (1, 1), (1, 1), 1, pads)
            np.testing.assert_allclose(gw, expected, atol=1e-10)
    finally:
        parallel.set_num_threads(before)
