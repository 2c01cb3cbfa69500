"""Every engine algorithm against the reference loops, float64 and PyTorch; and selection."""

from __future__ import annotations

import numpy as np
import pytest

import convzoo
from convzoo import conv, conv_backward, conv_transpose
from convzoo.engine import ALGORITHMS, Problem, choose
from convzoo.engine.select import choose_transpose

torch = pytest.importorskip("torch")
F = torch.nn.functional

# (id, input shape, weight shape, keywords): small enough for the reference loops.
CASES = [
    ("dense3x3", (2, 3, 7, 6), (4, 3, 3, 3), dict(padding=1)),
    ("dense3x3-odd", (1, 2, 9, 5), (3, 2, 3, 3), dict(padding=(1, 0))),
    ("strided", (2, 3, 9, 9), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ("dilated", (1, 2, 9, 9), (3, 2, 3, 3), dict(dilation=2, padding=2)),
    ("pointwise", (2, 6, 5, 5), (4, 6, 1, 1), {}),
    ("pointwise-s2-g2", (2, 6, 7, 7), (4, 3, 1, 1), dict(stride=2, groups=2)),
    ("grouped", (2, 4, 6, 6), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ("depthwise", (2, 4, 8, 7), (4, 1, 3, 3), dict(groups=4, padding=1)),
    ("depthwise-m2-s2", (2, 3, 9, 8), (6, 1, 3, 3), dict(groups=3, stride=2, padding=1)),
    ("depthwise-d2", (1, 3, 9, 9), (3, 1, 3, 3), dict(groups=3, dilation=2, padding=2)),
    ("depthwise1d", (2, 4, 13), (8, 1, 5), dict(groups=4, stride=3, padding=2)),
    ("large7x7", (1, 2, 12, 11), (3, 2, 7, 7), dict(padding=3)),
    ("stem7x7-s2", (2, 3, 17, 16), (4, 3, 7, 7), dict(stride=2, padding=3)),
    ("s2-5x8", (1, 2, 13, 14), (3, 2, 5, 8), dict(stride=2, padding=(2, 1))),
    ("s2-4x4", (2, 3, 12, 11), (4, 3, 4, 4), dict(stride=2, padding=1)),
    ("conv1d-k9", (2, 3, 20), (4, 3, 9), dict(padding=4)),
    ("conv3d", (1, 2, 5, 6, 5), (3, 2, 3, 3, 3), dict(padding=1)),
]


def _problem(xs, ws, kw):
    spec = convzoo.make_spec("conv", xs, ws, **kw)
    padded = (xs[0], xs[1], *spec.padded_spatial)
    return Problem(padded, ws, spec.stride, spec.dilation, spec.groups, np.dtype("float64"))


def _arrays(xs, ws, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)


def _torch_conv(x, w, **kw):
    fn = {3: F.conv1d, 4: F.conv2d, 5: F.conv3d}[x.ndim]
    return fn(x, w, **kw)


def _pairs():
    for case_id, xs, ws, kw in CASES:
        for name, algorithm in ALGORITHMS.items():
            if name != "reference" and algorithm.supports(_problem(xs, ws, kw)):
                yield pytest.param(name, xs, ws, kw, id=f"{name}-{case_id}")


@pytest.mark.parametrize(("name", "xs", "ws", "kw"), list(_pairs()))
def test_algorithm_matches_reference_and_torch(name, xs, ws, kw):
    x, w = _arrays(xs, ws)
    y = conv(x, w, algorithm=name, **kw)
    np.testing.assert_allclose(y, conv(x, w, algorithm="reference", **kw), atol=1e-9)
    g = np.random.default_rng(1).standard_normal(y.shape)
    gx, gw, _ = conv_backward(g, x, w, algorithm=name, **kw)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ty = _torch_conv(tx, tw, **kw)
    np.testing.assert_allclose(y, ty.detach().numpy(), atol=1e-9)
    tgx, tgw = torch.autograd.grad(ty, (tx, tw), torch.tensor(g))
    np.testing.assert_allclose(gx, tgx.numpy(), atol=1e-9)
    np.testing.assert_allclose(gw, tgw.numpy(), atol=1e-9)


@pytest.mark.parametrize(("name", "xs", "ws", "kw"), list(_pairs()))
def test_algorithm_float32_close_to_float64(name, xs, ws, kw):
    x, w = _arrays(xs, ws, np.float32)
    y = conv(x, w, algorithm=name, **kw)
    assert y.dtype == np.float32
    exact = conv(x.astype(np.float64), w.astype(np.float64), algorithm="gemm", **kw)
    assert float(np.abs(y - exact).max() / np.abs(exact).max()) < 1e-5


def test_transposed_through_direct_kernel_matches_torch():
    x, w = _arrays((2, 4, 5, 6), (4, 2, 4, 4))
    y = conv_transpose(x, w, stride=2, padding=1, groups=4, algorithm="direct")
    ty = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), stride=2, padding=1, groups=4)
    np.testing.assert_allclose(y, ty.numpy(), atol=1e-9)


def test_auto_picks_direct_for_depthwise():
    p = Problem((8, 128, 58, 58), (128, 1, 3, 3), (1, 1), (1, 1), 128, np.dtype("float32"))
    assert choose(p).name == "direct"


def test_auto_picks_direct_for_resnext_groups():
    p = Problem((8, 128, 58, 58), (128, 4, 3, 3), (1, 1), (1, 1), 32, np.dtype("float32"))
    assert choose(p).name == "direct"


def test_auto_picks_gemm_for_pointwise():
    p = Problem((8, 256, 56, 56), (64, 256, 1, 1), (1, 1), (1, 1), 1, np.dtype("float32"))
    assert choose(p).name == "gemm"


def test_auto_depthwise_transpose_uses_native_kernel():
    g, w = np.zeros((8, 64, 28, 28)), np.zeros((64, 1, 3, 3))
    chosen, native = choose_transpose(g, w, (2, 2), (1, 1), 64, (57, 57))
    assert (chosen.name, native) == ("direct", True)


def test_forcing_an_unsupported_algorithm_names_it():
    x, w = _arrays((1, 2, 6, 6, 6), (2, 2, 3, 3, 3))  # 3-D: no direct kernel
    with pytest.raises(ValueError, match="algorithm='direct' does not support"):
        conv(x, w, algorithm="direct")


def test_numba_kernel_is_cached_on_disk():
    from pathlib import Path

    from convzoo.engine import direct, direct_kernels

    forward = direct_kernels.flat_forward
    x, w = _arrays((1, 2, 5, 5), (2, 1, 3, 3), np.float32)
    direct.correlate(x, w, (1, 1), (1, 1), 2)
    pattern = "direct_kernels.flat_forward-*.nbi"
    index_files = list(Path(forward._cache.cache_path).glob(pattern))
    assert index_files, "numba wrote no on-disk cache index for the depthwise kernel"


# ---- fused sequences ------------------------------------------------------------------


def _shuffle(x, s):
    n, c, *rest = x.shape
    # (N, s, C/s, *sp) -> (N, C/s, s, *sp) -> (N, C, *sp)
    return x.reshape(n, s, c // s, *rest).swapaxes(1, 2).reshape(x.shape)


@pytest.mark.parametrize(
    ("xs", "mult", "c_out", "kw"),
    [
        ((2, 3, 9, 8), 1, 5, dict(padding=1)),
        ((1, 4, 11, 10), 2, 3, dict(stride=2, padding=1)),
        ((2, 2, 9, 9), 1, 4, dict(dilation=2, padding="same", padding_mode="reflect")),
        ((1, 3, 7, 40), 1, 2, dict(padding=(0, 2))),  # more than one band when budget is small
    ],
    ids=["basic", "mult2-stride2", "dilated-reflect", "wide"],
)
def test_fused_depthwise_separable_equals_unfused(xs, mult, c_out, kw, monkeypatch):
    from convzoo.engine import fused
    from convzoo.functional.fused import depthwise_separable

    monkeypatch.setattr(fused, "BAND_BYTES", 256)  # force many bands
    rng = np.random.default_rng(3)
    c = xs[1]
    x = rng.standard_normal(xs)
    dw, pw = rng.standard_normal((mult * c, 1, 3, 3)), rng.standard_normal((c_out, mult * c, 1, 1))
    b_dw, b_pw = rng.standard_normal(mult * c), rng.standard_normal(c_out)
    y = depthwise_separable(x, dw, pw, b_dw, b_pw, algorithm="fused", **kw)
    h = conv(x, dw, b_dw, groups=c, algorithm="reference", **kw)
    np.testing.assert_allclose(y, conv(h, pw, b_pw, algorithm="reference"), atol=1e-9)
    np.testing.assert_allclose(y, depthwise_separable(x, dw, pw, b_dw, b_pw, **kw), atol=1e-9)


def test_depthwise_separable_rejects_wrong_pointwise_shape():
    from convzoo.functional.fused import depthwise_separable

    with pytest.raises(ValueError, match=r"pointwise_weight must have shape \(C_out, 6, 1, 1\)"):
        depthwise_separable(np.ones((1, 3, 5, 5)), np.ones((6, 1, 3, 3)), np.ones((4, 3, 1, 1)))


def test_depthwise_separable_rejects_unknown_algorithm():
    from convzoo.functional.fused import depthwise_separable

    with pytest.raises(ValueError, match="algorithm must be 'auto', 'fused' or 'unfused'"):
        depthwise_separable(
            np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), np.ones((1, 1, 1, 1)), algorithm="x"
        )


def test_depthwise_separable_fused_needs_2d():
    from convzoo.functional.fused import depthwise_separable

    with pytest.raises(ValueError, match="algorithm='fused' needs a 2-D input"):
        depthwise_separable(
            np.ones((1, 2, 5)), np.ones((2, 1, 3)), np.ones((1, 2, 1)), algorithm="fused"
        )


def test_depthwise_separable_1d_runs_unfused():
    from convzoo.functional.fused import depthwise_separable

    x, dw, pw = np.ones((1, 2, 5)), np.ones((2, 1, 3)), np.ones((1, 2, 1))
    assert depthwise_separable(x, dw, pw).tolist() == [[[6.0, 6.0, 6.0]]]


@pytest.mark.parametrize(
    ("channels", "c_out", "groups", "shuffle_groups", "spatial"),
    [(12, 6, 3, 3, (5, 4)), (12, 8, 2, 3, (6,)), (240, 60, 3, 3, (3, 3)), (8, 4, 4, 2, (2, 2, 2))],
    ids=["g3s3", "g2s3-1d", "shufflenet", "g4s2-3d"],
)
def test_fused_shuffle_pointwise_grouped_equals_unfused(
    channels, c_out, groups, shuffle_groups, spatial
):
    from convzoo.functional.fused import shuffle_pointwise_grouped

    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, channels, *spatial))
    w = rng.standard_normal((c_out, channels // groups, *([1] * len(spatial))))
    b = rng.standard_normal(c_out)
    y = shuffle_pointwise_grouped(x, w, b, groups=groups, shuffle_groups=shuffle_groups)
    expected = conv(_shuffle(x, shuffle_groups), w, b, groups=groups, algorithm="reference")
    np.testing.assert_allclose(y, expected, atol=1e-9)


def test_shuffle_pointwise_grouped_rejects_bad_shuffle_groups():
    from convzoo.functional.fused import shuffle_pointwise_grouped

    with pytest.raises(ValueError, match="shuffle_groups=5 must divide channels=6"):
        shuffle_pointwise_grouped(
            np.ones((1, 6, 2)), np.ones((2, 3, 1)), groups=2, shuffle_groups=5
        )


def test_shuffle_pointwise_grouped_rejects_non_1x1():
    from convzoo.functional.fused import shuffle_pointwise_grouped

    with pytest.raises(ValueError, match=r"weight must be a 1x1 kernel; got kernel size \(3,\)"):
        shuffle_pointwise_grouped(
            np.ones((1, 6, 4)), np.ones((2, 3, 3)), groups=2, shuffle_groups=2
        )


# ---- Winograd -------------------------------------------------------------------------


@pytest.mark.parametrize("m", [2, 4])
def test_winograd_float32_error_below_1e3_of_float64(m):
    from convzoo.engine import winograd

    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 64, 18, 18))
    w = rng.standard_normal((32, 64, 3, 3)) / 24.0  # He-like scale
    exact = conv(x, w, algorithm="gemm")
    y = winograd.correlate(x.astype(np.float32), w.astype(np.float32), m=m)
    error = float(np.abs(y - exact).max() / np.abs(exact).max())
    assert error < 1e-3
    if m == 2:  # F(2x2) is the more accurate of the two, by design
        y4 = winograd.correlate(x.astype(np.float32), w.astype(np.float32), m=4)
        assert error < float(np.abs(y4 - exact).max() / np.abs(exact).max())


def test_winograd_counts_its_multiplications():
    from collections import Counter

    from convzoo.engine import reference, winograd

    x, w = _arrays((1, 2, 6, 6), (3, 2, 3, 3))
    counter = Counter()
    reference.correlate(x, w, (1, 1), (1, 1), 1, counter)
    p = Problem(x.shape, w.shape, (1, 1), (1, 1), 1, x.dtype)
    counts = winograd.multiplications(p, 2)
    assert counts["direct"] == counter["mults"] == 3 * 2 * 9 * 16
    assert counts["elementwise"] == 16 * 3 * 2 * 4  # 4 tiles of 4x4 transformed cells
    assert counts["saving"] == pytest.approx(9 * 4 / 16)


def test_auto_picks_winograd_for_resnet_3x3():
    p = Problem((8, 64, 58, 58), (64, 64, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    assert choose(p).name.startswith("winograd")


# ---- FFT ------------------------------------------------------------------------------


def test_auto_picks_fft_only_for_large_kernels():
    large = Problem((2, 32, 80, 80), (32, 32, 13, 13), (1, 1), (1, 1), 1, np.dtype("float32"))
    small = Problem((2, 32, 80, 80), (32, 32, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    assert choose(large).name == "fft"
    assert choose(small).name != "fft"


def test_fft_large_kernel_grouped_dilated_strided_matches_gemm():
    x, w = _arrays((2, 4, 30, 27), (6, 2, 9, 7))
    kw = dict(groups=2, dilation=(2, 1), stride=(1, 2), padding=3)
    np.testing.assert_allclose(
        conv(x, w, algorithm="fft", **kw), conv(x, w, algorithm="gemm", **kw), atol=1e-9
    )
    g = np.random.default_rng(2).standard_normal(conv(x, w, algorithm="gemm", **kw).shape)
    for got, want in zip(
        conv_backward(g, x, w, algorithm="fft", **kw),
        conv_backward(g, x, w, algorithm="gemm", **kw),
    ):
        np.testing.assert_allclose(got, want, atol=1e-8)


def test_gemm_chunked_by_rows_matches_reference(monkeypatch):
    from convzoo.engine import col2im, gemm

    monkeypatch.setattr(gemm, "WORKSPACE_BYTES", 64)  # one output row per chunk
    monkeypatch.setattr(col2im, "WORKSPACE_BYTES", 64)  # the strided input gradient's too
    x, w = _arrays((2, 3, 9, 8), (4, 3, 3, 3))
    kw = dict(stride=2, padding=1, dilation=(1, 2))
    y = conv(x, w, algorithm="gemm", **kw)
    np.testing.assert_allclose(y, conv(x, w, algorithm="reference", **kw), atol=1e-9)
    g = np.random.default_rng(0).standard_normal(y.shape)
    gx, gw, _ = conv_backward(g, x, w, algorithm="gemm", **kw)
    rx, rw, _ = conv_backward(g, x, w, algorithm="reference", **kw)
    np.testing.assert_allclose(gx, rx, atol=1e-9)
    np.testing.assert_allclose(gw, rw, atol=1e-9)


def test_auto_strided_backward_uses_col2im_not_zero_insertion():
    g, w = np.zeros((8, 64, 112, 112)), np.zeros((64, 3, 7, 7))
    chosen, native = choose_transpose(g, w, (2, 2), (1, 1), 1, (229, 229))
    assert (chosen.name, native) == ("gemm", True)


def test_parallel_for_covers_every_job_once_with_any_thread_count():
    from convzoo.engine import parallel

    before = parallel.num_threads()
    try:
        for threads in (1, 3):
            parallel.set_num_threads(threads)
            seen = []
            parallel.parallel_for(lambda a, b, out: out.extend(range(a, b)), 7, seen)
            assert sorted(seen) == list(range(7))
            x, w = _arrays((2, 4, 6, 5), (4, 1, 3, 3))
            np.testing.assert_allclose(
                conv(x, w, groups=4, algorithm="direct"),
                conv(x, w, groups=4, algorithm="reference"),
                atol=1e-12,
            )
    finally:
        parallel.set_num_threads(before)


def test_set_num_threads_rejects_zero():
    from convzoo.engine import parallel

    with pytest.raises(ValueError, match="set_num_threads: threads must be a positive int; got 0"):
        parallel.set_num_threads(0)
