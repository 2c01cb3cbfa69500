"""The GEMM engine: direct BLAS calls, partial im2col, implicit padding, bounded workspace."""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest

from convzoo import conv, conv_backward, conv_transpose
from convzoo.engine import blas, col2im, gemm
from convzoo.engine.windows import fill_windows, last_axis_phases, padded_phases

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.fixture(params=["cblas", "numpy"])
def blas_path(request, monkeypatch):
    """Run a test with the direct ctypes BLAS path and with the pure-NumPy fallback."""
    if request.param == "cblas" and not blas.available():
        pytest.fail("NumPy's bundled BLAS was not found: the ctypes path is untested")
    monkeypatch.setitem(blas._state, "enabled", request.param == "cblas")
    return request.param


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blas_gemm_any_layout_and_beta(blas_path, dtype):
    rng = np.random.default_rng(0)
    m, k, n = 5, 7, 3
    for ta, tb, tc, beta in itertools.product([False, True], [False, True], [False, True], [0, 1]):
        big_a = rng.standard_normal((k + 4, m + 3) if ta else (m + 3, k + 4)).astype(dtype)
        a = big_a[2 : k + 2, 1 : m + 1].T if ta else big_a[1 : m + 1, 2 : k + 2]
        big_b = rng.standard_normal((n + 5, k + 2) if tb else (k + 2, n + 5)).astype(dtype)
        b = big_b[3 : n + 3, :k].T if tb else big_b[:k, 3 : n + 3]
        big_c = rng.standard_normal((n + 2, m + 2) if tc else (m + 2, n + 2)).astype(dtype)
        c = big_c[:n, 1 : m + 1].T if tc else big_c[1 : m + 1, :n]
        expected = a.astype(np.float64) @ b + beta * c
        untouched = big_c.copy()
        result = blas.gemm(a, b, c, beta=float(beta))
        assert result is c
        np.testing.assert_allclose(c, expected, rtol=1e-5, atol=1e-5)
        outside = np.ones(big_c.shape, bool)
        outside[(slice(None, n), slice(1, m + 1)) if tc else (slice(1, m + 1), slice(None, n))] = 0
        np.testing.assert_array_equal(big_c[outside], untouched[outside])


def test_blas_gemm_falls_back_for_unsupported_operands():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    c = np.zeros((2, 4), np.float64)
    blas.gemm(a[:, ::-1], b, c)  # negative stride: not a BLAS layout
    np.testing.assert_allclose(c, a[:, ::-1] @ b)
    spread = np.arange(48.0).reshape(6, 8)[::2, ::2]  # no unit stride in either dimension
    c32 = np.ones((2, 4), np.float32)
    spread32 = np.arange(48.0, dtype=np.float32).reshape(6, 8)[::2, ::2]
    blas.gemm(a.astype(np.float32), spread32, c32, 2.0)
    np.testing.assert_allclose(c32, 2 + a @ spread, rtol=1e-6)
    mixed = np.ones((2, 4), np.float32)  # float64 operands, float32 result
    blas.gemm(a, spread, mixed, beta=1.0)
    np.testing.assert_allclose(mixed, 1 + a @ spread, rtol=1e-6)
    empty = np.full((2, 4), 3.0)
    blas.gemm(np.zeros((2, 0)), np.zeros((0, 4)), empty, beta=1.0)
    np.testing.assert_array_equal(empty, 3.0)


def test_set_enabled_switches_the_path_and_returns_the_previous_setting():
    previous = blas.set_enabled(False)
    try:
        assert not blas.available()
        assert blas.set_enabled(True) is False
        assert blas.available() == (blas._routines() is not None)
    finally:
        blas.set_enabled(previous)


@pytest.mark.parametrize("lo", [-2, 0, 1, 3])
@pytest.mark.parametrize("step", [1, 2, 3])
def test_fill_windows_is_a_strided_read_of_the_padded_array(lo, step):
    x = np.arange(1.0, 16.0).reshape(1, 3, 5)
    hi = 2
    padded = np.pad(x[:, :, max(0, -lo) :], ((0, 0), (0, 0), (max(lo, 0), hi)))
    for start in range(4):
        length = max(0, (padded.shape[-1] - start - 1) // step + 1)
        dest = np.full((1, 3, length), np.nan)
        fill_windows(dest, x, (start,), (step,), ((lo, hi),))
        np.testing.assert_array_equal(dest, padded[..., start::step][..., :length])


@pytest.mark.parametrize("pads", [((0, 0), (0, 0)), ((2, 1), (3, 4)), ((-1, 2), (1, -2))])
@pytest.mark.parametrize("step", [1, 2, 3])
def test_padded_phases_split_the_zero_padded_last_axis(pads, step):
    x = np.arange(1.0, 31.0).reshape(1, 2, 3, 5)
    crop = tuple(slice(max(0, -lo), n - max(0, -hi)) for n, (lo, hi) in zip((3, 5), pads))
    kept = tuple((max(0, lo), max(0, hi)) for lo, hi in pads)
    padded = np.pad(x[(Ellipsis, *crop)], ((0, 0), (0, 0), *kept))
    phases = padded_phases(x, step, pads)
    assert phases.shape[-2:] == (step, -(-padded.shape[-1] // step))
    for p in range(step):
        got = phases[..., p, :]
        want = padded[..., p::step]
        np.testing.assert_array_equal(got[..., : want.shape[-1]], want)
        assert not got[..., want.shape[-1] :].any()  # rounding up to whole phases: zeros
    last_only = padded_phases(x, step, ((0, 0), pads[1]))
    np.testing.assert_array_equal(last_axis_phases(x, step, pads[1]), last_only)


# (id, input shape, weight shape, stride, padding pairs, dilation, groups)
CASES = [
    ("1d-k9", (2, 5, 23), (4, 5, 9), (1,), ((4, 4),), (1,), 1),
    ("1d-s3-d2-asym", (1, 4, 30), (6, 2, 5), (3,), ((3, 1),), (2,), 2),
    ("2d-3x3", (2, 3, 9, 8), (4, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    ("2d-stem-s2", (2, 3, 15, 14), (5, 3, 7, 7), (2, 2), ((3, 3), (3, 3)), (1, 1), 1),
    ("2d-s2-d3-asym", (1, 4, 17, 13), (4, 2, 3, 4), (2, 3), ((0, 2), (3, 1)), (3, 1), 2),
    ("2d-s2-d2-last", (1, 3, 11, 12), (4, 3, 3, 4), (1, 2), ((1, 1), (2, 3)), (1, 2), 1),
    ("2d-s3-d2-last", (2, 2, 8, 19), (3, 2, 2, 5), (2, 3), ((0, 1), (4, 0)), (1, 2), 1),
    ("2d-7x1", (2, 6, 9, 7), (6, 6, 7, 1), (1, 1), ((3, 3), (0, 0)), (1, 1), 1),
    ("2d-1x7", (2, 6, 7, 9), (6, 6, 1, 7), (1, 1), ((0, 0), (3, 3)), (1, 1), 1),
    ("2d-pointwise-pad", (1, 4, 5, 5), (3, 4, 1, 1), (2, 1), ((1, 0), (0, 2)), (1, 1), 1),
    ("2d-big-pad", (1, 2, 4, 5), (3, 2, 2, 3), (1, 2), ((4, 5), (3, 3)), (2, 1), 1),
    ("3d-3x3x3", (1, 4, 5, 6, 7), (3, 4, 3, 3, 3), (1, 1, 1), ((1, 1),) * 3, (1, 1, 1), 1),
    (
        "3d-s2-g2",
        (2, 4, 7, 6, 5),
        (4, 2, 3, 2, 3),
        (2, 1, 2),
        ((1, 2), (0, 1), (2, 0)),
        (1, 2, 1),
        2,
    ),
]


def _torch_reference(x, w, stride, pads, dilation, groups, g):
    fn = {3: F.conv1d, 4: F.conv2d, 5: F.conv3d}[x.ndim]
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tw = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    flat = tuple(p for pair in reversed(pads) for p in pair)
    y = fn(F.pad(tx, flat), tw, stride=stride, dilation=dilation, groups=groups)
    gx, gw = torch.autograd.grad(y, (tx, tw), torch.tensor(g, dtype=torch.float64))
    return y.detach().numpy(), gx.numpy(), gw.numpy()


@pytest.fixture(params=["split", "full"])
def split_mode(request, monkeypatch):
    """Force the partial im2col (first-dimension taps as products) or the full im2col."""
    monkeypatch.setattr(gemm, "MIN_SPLIT_DEPTH", 1 if request.param == "split" else 10**9)
    return request.param


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_forward_and_gradients_match_torch(case, dtype, blas_path, split_mode):
    _, xs, ws, stride, pads, dilation, groups = case
    rng = np.random.default_rng(1)
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(ws).astype(dtype)
    kw = dict(stride=stride, padding=pads, dilation=dilation, groups=groups, algorithm="gemm")
    y = conv(x, w, **kw)
    g = rng.standard_normal(y.shape).astype(dtype)
    ty, tgx, tgw = _torch_reference(x, w, stride, pads, dilation, groups, g)
    gx, gw, _ = conv_backward(g, x, w, **kw)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    assert y.dtype == gx.dtype == gw.dtype == dtype
    np.testing.assert_allclose(y, ty, **tol)
    np.testing.assert_allclose(gx, tgx, **tol)
    np.testing.assert_allclose(gw, tgw, **tol)


def test_gemm_non_contiguous_input_batch_one_and_row_blocks(monkeypatch, blas_path):
    monkeypatch.setattr(gemm, "WORKSPACE_BYTES", 64)  # one output row per block
    rng = np.random.default_rng(2)
    base = rng.standard_normal((6, 1, 11, 10)).transpose(1, 0, 3, 2)  # (1, 6, 10, 11)
    w = rng.standard_normal((4, 6, 3, 3))[:, :, ::-1]
    kw = dict(padding=((2, 0), (1, 1)), dilation=(1, 2))
    y = conv(base, w, algorithm="gemm", **kw)
    np.testing.assert_allclose(y, conv(base, w, algorithm="reference", **kw), atol=1e-10)
    g = rng.standard_normal(y.shape)
    for got, want in zip(
        conv_backward(g, base, w, algorithm="gemm", **kw),
        conv_backward(g, base, w, algorithm="reference", **kw),
    ):
        np.testing.assert_allclose(got, want, atol=1e-10)


def test_strided_windows_in_row_blocks_match_the_reference(monkeypatch, blas_path):
    """A strided last axis is copied from its phases, also one block of rows at a time."""
    monkeypatch.setattr(gemm, "WORKSPACE_BYTES", 64)  # one output row per block
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 13, 16))
    w = rng.standard_normal((5, 3, 7, 7))
    kw = dict(stride=(2, 3), padding=((3, 2), (3, 3)), dilation=(1, 1))
    want = conv(x, w, algorithm="reference", **kw)
    np.testing.assert_allclose(conv(x, w, algorithm="gemm", **kw), want, atol=1e-10)


def test_gemm_transposed_convolution_matches_torch(blas_path):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 6, 5, 4)), rng.standard_normal((6, 4, 4, 3))
    kw = dict(stride=(2, 1), padding=(1, 1), groups=2)
    want = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), **kw).numpy()
    np.testing.assert_allclose(conv_transpose(x, w, algorithm="gemm", **kw), want, atol=1e-10)


def test_plan_splits_phases_for_strided_dilated_first_dimension():
    layout = gemm.plan((5, 3), (2, 1), (3, 1), 32)
    assert layout["split"] and layout["phases"] == [(0,), (1,)]
    # taps 0..4 at dilation 3 read rows 0, 3, 6, 9, 12 = 2*q + r
    assert layout["shifts"] == [((0,), 0), ((1,), 1), ((3,), 0), ((4,), 1), ((6,), 0)]
    assert layout["halo"] == (6,) and len(layout["taps"]) == 3
    assert not gemm.plan((5, 3), (2, 1), (3, 1), 8)["split"]  # 8 * 3 < MIN_SPLIT_DEPTH


def test_plan_splits_two_dimensions_of_a_3d_forward_only():
    forward = gemm.plan((3, 2, 3), (2, 1, 1), (1, 2, 1), 64)
    assert forward["dims"] == 2 and forward["halo"] == (1, 2)
    assert forward["phases"] == [(0, 0), (1, 0)] and len(forward["shifts"]) == 6
    assert gemm.plan((3, 2, 3), (2, 1, 1), (1, 2, 1), 64, forward=False)["dims"] == 1
    assert gemm.plan((3, 3), (1, 1), (1, 1), 512)["dims"] == 1  # 2-D: one dimension at most


def test_conv3d_workspace_is_bounded_by_the_budget(monkeypatch):
    """Peak memory of a forward/backward is the output plus the bounded workspace."""
    monkeypatch.setattr(gemm, "WORKSPACE_BYTES", 2**16)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 16, 8, 20, 20), dtype=np.float32)
    w = rng.standard_normal((16, 16, 3, 3, 3), dtype=np.float32)
    budget = 6 * gemm.WORKSPACE_BYTES + 2 * 16 * 9 * 400 * 4  # split budget + halo rows
    tracemalloc.start()
    try:
        y = conv(x, w, padding=1, algorithm="gemm")
        forward_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        gx, gw, _ = conv_backward(y, x, w, padding=1, algorithm="gemm")
        backward_peak = tracemalloc.get_traced_memory()[1] - y.nbytes
    finally:
        tracemalloc.stop()
    assert forward_peak <= y.nbytes + budget + 2**16
    assert backward_peak <= gx.nbytes + gw.nbytes * 4 + budget + 2**16
    im2col_bytes = x.nbytes * 27
    assert forward_peak < y.nbytes + im2col_bytes / 8


def test_cost_prefers_split_layout_for_deep_first_dimension_taps():
    from convzoo.engine import Problem

    f32 = np.dtype("float32")
    conv3d = Problem((8, 64, 18, 58, 58), (64, 64, 3, 3, 3), (1,) * 3, (1,) * 3, 1, f32)
    full = gemm.cost(conv3d)
    try:
        gemm.MIN_SPLIT_DEPTH, before = 10**9, gemm.MIN_SPLIT_DEPTH
        assert gemm.cost(conv3d) > full  # full im2col copies 3x as much
    finally:
        gemm.MIN_SPLIT_DEPTH = before


@pytest.mark.parametrize("scatter", ["numba", "numpy"])
def test_gemm_col2im_kernel_and_numpy_loop_agree_with_torch(scatter, monkeypatch):
    """The 2-D col2im runs as a numba kernel (parallel over planes); without numba, as one
    strided NumPy add per tap. Both equal PyTorch, also when the batch is chunked."""
    if scatter == "numpy":
        monkeypatch.setattr(col2im, "_kernel", lambda: None)
    else:
        assert col2im._kernel() is not None
    monkeypatch.setattr(col2im, "WORKSPACE_BYTES", 4096)  # several chunks of images and rows
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((3, 6, 7, 5)), rng.standard_normal((6, 2, 4, 3))
    kw = dict(stride=(2, 3), padding=(1, 0), dilation=(1, 2), groups=3)
    want = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), **kw).numpy()
    np.testing.assert_allclose(conv_transpose(x, w, algorithm="gemm", **kw), want, atol=1e-10)


@pytest.mark.parametrize(
    "stride, dilation, padding",
    [((2, 2), (1, 1), (1, 1)), ((3, 2), (2, 1), (2, 0)), ((2, 3), (1, 2), (0, 3)),
     ((1, 2), (1, 1), (0, 1)), ((4, 4), (1, 1), (5, 5))],
)  # fmt: skip
@pytest.mark.parametrize("overwrite", [True, False])
def test_col2im_kernel_crops_as_it_writes(stride, dilation, padding, overwrite):
    """The phase-split col2im writes the cropped grid straight from the columns: every
    cell exactly once when overwriting (zero where no tap lands), or added to what is there,
    against the per-tap NumPy scatter onto the full grid followed by a crop."""
    from convzoo.engine.col2im_kernel import col2im_2d

    rng = np.random.default_rng(11)
    (sh, sw), (dh, dw), (lo_h, lo_w) = stride, dilation, padding
    n, c, kh, kw, oh, ow = 2, 3, 3, 4, 4, 5
    cols = rng.standard_normal((n, c, kh, kw, oh, ow))
    full = np.zeros((n, c, (oh - 1) * sh + (kh - 1) * dh + 1, (ow - 1) * sw + (kw - 1) * dw + 1))
    for i, j in itertools.product(range(kh), range(kw)):
        full[:, :, i * dh : i * dh + (oh - 1) * sh + 1 : sh,
             j * dw : j * dw + (ow - 1) * sw + 1 : sw] += cols[:, :, i, j]  # fmt: skip
    height, width = full.shape[2] - 2 * lo_h + 1, full.shape[3] - lo_w + 2  # past the grid too
    want = np.zeros((n, c, height, width))
    inside = full[:, :, lo_h : lo_h + height, lo_w : lo_w + width]
    want[:, :, : inside.shape[2], : inside.shape[3]] = inside
    start = np.full(want.shape, np.nan) if overwrite else rng.standard_normal(want.shape)
    x = start.copy()
    col2im_2d(0, n * c, cols, x, 0, 0, sh, sw, dh, dw, lo_h, lo_w, overwrite)
    np.testing.assert_allclose(x, want if overwrite else start + want, atol=1e-12)


def test_col2im_kernel_adds_a_block_of_rows_at_its_offset():
    """Row blocks (a workspace smaller than one image's columns) add their share at
    ``first_row``: two half-blocks sum to the whole, in any order."""
    from convzoo.engine.col2im_kernel import col2im_2d

    rng = np.random.default_rng(12)
    cols = rng.standard_normal((1, 2, 4, 4, 6, 5))
    whole = np.zeros((1, 2, 12, 10))
    col2im_2d(0, 2, cols, whole, 0, 0, 2, 2, 1, 1, 1, 1, True)
    parts = np.zeros_like(whole)
    for rows in (slice(3, 6), slice(0, 3)):
        block = np.ascontiguousarray(cols[:, :, :, :, rows])  # as the engine's workspace is
        col2im_2d(0, 2, block, parts, 0, rows.start, 2, 2, 1, 1, 1, 1, False)
    np.testing.assert_allclose(parts, whole, atol=1e-12)


@pytest.mark.parametrize("n_batch, groups", [(8, 1), (4, 2), (3, 1), (1, 1)])
def test_transposed_conv_per_image_threads_match_torch(n_batch, groups):
    """Batches that split evenly over the threads run product and col2im image by image on
    them (single-threaded BLAS); others take the batched product. Both equal PyTorch."""
    rng = np.random.default_rng(13)
    x = rng.standard_normal((n_batch, 8, 6, 5)).astype(np.float32)
    w = rng.standard_normal((8, 6 // groups, 4, 4)).astype(np.float32)
    kw = dict(stride=2, padding=1, groups=groups)
    want = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), **kw).numpy()
    got = conv_transpose(x, w, algorithm="gemm", **kw)
    assert got.flags.c_contiguous and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_per_image_threads_only_for_even_shares():
    from convzoo.engine import parallel

    before = parallel.num_threads()
    try:
        parallel.set_num_threads(2)
        assert blas.whole_images_per_thread(8) == blas.threads_available()
        assert not blas.whole_images_per_thread(3)  # one thread would do twice the work
        assert blas.whole_images_per_thread(9) == blas.threads_available()  # small remainder
        parallel.set_num_threads(1)
        assert not blas.whole_images_per_thread(8)
    finally:
        parallel.set_num_threads(before)


def test_conv_transpose_with_unreached_cells_at_stride_one():
    """At stride 1 an output_padding (allowed below the dilation) adds cells no input
    reaches: they are zero, as in PyTorch (the cropped stride-1 kernels are not used)."""
    rng = np.random.default_rng(14)
    x, w = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((3, 2, 3, 2))
    kw = dict(stride=1, padding=1, dilation=3, output_padding=(2, 1))
    want = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), **kw).numpy()
    for algorithm in ("auto", "gemm", "direct"):
        np.testing.assert_allclose(conv_transpose(x, w, algorithm=algorithm, **kw), want,
                                   atol=1e-10)  # fmt: skip
