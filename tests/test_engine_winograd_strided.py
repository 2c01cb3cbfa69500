"""Winograd for stride-2 layers through their phases (F(3x3, 4x4), F(3x3, 2x2)): vs PyTorch."""

import numpy as np
import pytest

from convzoo import conv, conv_backward, conv_transpose
from convzoo.engine import gemm, parallel, winograd_phases, winograd_pipeline, winograd_strided
from convzoo.engine.select import Problem, choose, choose_transpose
from convzoo.engine.winograd import TRANSFORMS
from convzoo.engine.winograd_f3_jit import PHASE_INPUT, PHASE_OUTPUT
from convzoo.engine.winograd_f3_jit import TRANSFORMS as F3_TRANSFORMS

pytest.importorskip("numba")
torch = pytest.importorskip("torch")

CASES = [  # input shape, C_out, kernel, padding
    ((2, 3, 23, 20), 5, (7, 7), 3),  # a small stem
    ((1, 2, 13, 14), 3, (5, 8), ((2, 1), (0, 3))),
    ((3, 4, 11, 9), 2, (6, 5), ((0, 0), (2, 2))),
    ((1, 2, 8, 7), 4, (8, 6), ((3, 4), (1, 2))),
    ((2, 3, 7, 7), 3, (7, 7), 0),  # one output cell
    ((1, 1, 9, 30), 6, (7, 5), ((1, 0), (2, 2))),  # wide: many tiles per row
    ((2, 4, 16, 16), 3, (4, 4), 1),  # 2x2 sub-kernels: F(3x3, 2x2)
    ((1, 3, 13, 11), 5, (4, 4), ((0, 2), (1, 0))),
    ((2, 2, 5, 6), 3, (4, 4), 0),
    ((1, 2, 12, 9), 2, (4, 6), ((2, 1), (1, 2))),  # mixed: 4x4 sub-kernels
]


def _arrays(x_shape, c_out, kernel, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal((c_out, x_shape[1], *kernel)).astype(dtype)
    return x, w


def _torch_pad(padding):
    """``conv``'s padding as ``F.pad``'s (left, right, top, bottom)."""
    if isinstance(padding, int):
        return (padding,) * 4
    (top, bottom), (left, right) = padding
    return (left, right, top, bottom)


def _torch(x, w, g, padding):
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.conv2d(torch.nn.functional.pad(tx, _torch_pad(padding)), tw, stride=2)
    gx, gw = torch.autograd.grad(ty, (tx, tw), torch.tensor(g))
    return ty.detach().numpy(), gx.numpy(), gw.numpy()


@pytest.mark.parametrize("x_shape, c_out, kernel, padding", CASES)
def test_forward_and_gradients_match_torch(x_shape, c_out, kernel, padding):
    x, w = _arrays(x_shape, c_out, kernel)
    y = conv(x, w, stride=2, padding=padding, algorithm="winograd_s2")
    g = np.random.default_rng(1).standard_normal(y.shape)
    want_y, want_gx, want_gw = _torch(x, w, g, padding)
    np.testing.assert_allclose(y, want_y, rtol=0, atol=1e-10)
    gx, gw, _ = conv_backward(g, x, w, stride=2, padding=padding, algorithm="winograd_s2")
    np.testing.assert_allclose(gx, want_gx, rtol=0, atol=1e-10)
    np.testing.assert_allclose(gw, want_gw, rtol=0, atol=1e-10)


def test_gradients_of_the_stem_are_the_phases_own():
    """The input gradient and weight gradient run the phases' adjoints (not another
    algorithm's): called directly, they match PyTorch."""
    x, w = _arrays((2, 3, 21, 18), 4, (7, 7), seed=2)
    padding = ((3, 3), (3, 3))
    y = winograd_strided.unpadded(x, w, (2, 2), (1, 1), 1, padding)
    g = np.random.default_rng(3).standard_normal(y.shape)
    want_y, want_gx, want_gw = _torch(x, w, g, padding)
    gx = winograd_strided.unpadded_transpose(g, w, (2, 2), (1, 1), 1, padding, x.shape[2:])
    gw = winograd_strided.unpadded_weight_grad(x, g, (7, 7), (2, 2), (1, 1), 1, padding)
    for got, want in ((y, want_y), (gx, want_gx), (gw, want_gw)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_padded_input_entry_points_match_the_unpadded_ones():
    x, w = _arrays((1, 2, 15, 12), 3, (7, 6), seed=4)
    padding = ((3, 2), (1, 2))
    xp = np.pad(x, ((0, 0), (0, 0), *padding))
    y = winograd_strided.correlate(xp, w)
    np.testing.assert_allclose(y, winograd_strided.unpadded(x, w, (2, 2), (1, 1), 1, padding))
    g = np.random.default_rng(5).standard_normal(y.shape)
    full = winograd_strided.transpose(g, w, (2, 2), (1, 1), 1, xp.shape[2:])
    cropped = winograd_strided.unpadded_transpose(g, w, (2, 2), (1, 1), 1, padding, x.shape[2:])
    np.testing.assert_allclose(full[:, :, 3:-2, 1:-2], cropped, atol=1e-12)
    np.testing.assert_allclose(
        winograd_strided.weight_grad(xp, g, (7, 6), (2, 2), (1, 1), 1),
        winograd_strided.unpadded_weight_grad(x, g, (7, 6), (2, 2), (1, 1), 1, padding),
        atol=1e-12,
    )


def test_float32_error_below_1e3_of_float64_forward_and_gradients():
    x, w = _arrays((2, 3, 64, 57), 32, (7, 7), seed=6)
    w /= np.sqrt(147)
    exact = conv(x, w, stride=2, padding=3, algorithm="gemm")
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    y = conv(x32, w32, stride=2, padding=3, algorithm="winograd_s2")
    assert y.dtype == np.float32
    assert float(np.abs(y - exact).max() / np.abs(exact).max()) < 1e-3
    g = np.random.default_rng(7).standard_normal(exact.shape)
    exact_gx, exact_gw, _ = conv_backward(g, x, w, stride=2, padding=3, algorithm="gemm")
    gx, gw, _ = conv_backward(
        g.astype(np.float32), x32, w32, stride=2, padding=3, algorithm="winograd_s2"
    )
    assert gx.dtype == gw.dtype == np.float32
    assert float(np.abs(gx - exact_gx).max() / np.abs(exact_gx).max()) < 1e-3
    assert float(np.abs(gw - exact_gw).max() / np.abs(exact_gw).max()) < 1e-3


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_many_small_chunks_on_any_thread_count(monkeypatch, threads):
    monkeypatch.setattr(winograd_pipeline, "WORKSPACE_BYTES", 1)  # one tile row per chunk
    monkeypatch.setattr(winograd_pipeline, "WEIGHT_GRAD_WORKSPACE_BYTES", 1)
    monkeypatch.setattr(winograd_pipeline, "MIN_TILES", 1)
    x, w = _arrays((3, 2, 19, 16), 4, (7, 7), seed=8)
    previous = parallel.num_threads()
    parallel.set_num_threads(threads)
    try:
        y = conv(x, w, stride=2, padding=3, algorithm="winograd_s2")
        g = np.random.default_rng(9).standard_normal(y.shape)
        gx, gw, _ = conv_backward(g, x, w, stride=2, padding=3, algorithm="winograd_s2")
    finally:
        parallel.set_num_threads(previous)
    want_y, want_gx, want_gw = _torch(x, w, g, 3)
    for got, want in ((y, want_y), (gx, want_gx), (gw, want_gw)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_non_contiguous_inputs_and_padding_modes():
    x, w = _arrays((2, 6, 20, 18), 4, (7, 7), seed=10)
    xs, ws = x[:, ::2, :, ::-1], w[:, ::2]
    for kw in (dict(padding=3), dict(padding=3, padding_mode="reflect")):
        got = conv(xs, ws, stride=2, algorithm="winograd_s2", **kw)
        np.testing.assert_allclose(
            got, conv(xs, ws, stride=2, algorithm="gemm", **kw), rtol=0, atol=1e-10
        )


def test_transposed_convolution_uses_the_native_adjoint():
    x, w = _arrays((2, 4, 6, 5), 3, (7, 7), seed=11)
    w = np.ascontiguousarray(w.transpose(1, 0, 2, 3))  # conv_transpose weight: (C_in, C_out, k, k)
    got = conv_transpose(x, w, stride=2, padding=3, output_padding=1, algorithm="winograd_s2")
    want = torch.nn.functional.conv_transpose2d(
        torch.tensor(x), torch.tensor(w), stride=2, padding=3, output_padding=1
    )
    np.testing.assert_allclose(got, want.numpy(), rtol=0, atol=1e-10)


def _split_phases(x, top, left, rows, cols):
    """Reference: ``(N, C, H, W) -> (N, 4C, rows, cols)``, channel ``4c + 2p + q`` holding
    ``x[c, 2i + p - top, 2j + q - left]`` (zero outside ``x``)."""
    n, c, h, w = x.shape
    grid = np.zeros((n, c, 2 * rows, 2 * cols))
    h, w = min(h, 2 * rows - top), min(w, 2 * cols - left)
    grid[:, :, top : top + h, left : left + w] = x[:, :, :h, :w]
    phases = grid.reshape(n, c, rows, 2, cols, 2).transpose(0, 1, 3, 5, 2, 4)
    return phases.reshape(n, 4 * c, rows, cols)


def _merge_phases(phases, top, left, spatial):
    """Reference adjoint of :func:`_split_phases`: ``(N, 4C, rows, cols) -> (N, C, *spatial)``."""
    n, c4, rows, cols = phases.shape
    grid = phases.reshape(n, c4 // 4, 2, 2, rows, cols).transpose(0, 1, 4, 2, 5, 3)
    grid = grid.reshape(n, c4 // 4, 2 * rows, 2 * cols)
    out = np.zeros((n, c4 // 4, *spatial))
    h, w = min(spatial[0], 2 * rows - top), min(spatial[1], 2 * cols - left)
    out[:, :, :h, :w] = grid[:, :, top : top + h, left : left + w]
    return out


def test_reference_split_and_merge_are_adjoint():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 3, 9, 8))
    phases = rng.standard_normal((2, 12, 6, 5))
    split = _split_phases(x, 2, 3, 6, 5)
    assert split[0, 4 * 1 + 2 * 1 + 0, 1, 2] == x[0, 1, 2 * 1 + 1 - 2, 2 * 2 + 0 - 3]
    merged = _merge_phases(phases, 2, 3, (9, 8))
    assert np.isclose(np.vdot(split, phases), np.vdot(x, merged))


@pytest.mark.parametrize("r", [2, 4])
@pytest.mark.parametrize(
    "x_shape, g_spatial, top, left",
    [((2, 3, 16, 15), (7, 6), 1, 1), ((1, 2, 9, 20), (5, 8), 0, 3), ((2, 1, 13, 12), (4, 4), 2, 0)],
)
def test_weight_gradient_reads_the_phases_in_place(r, x_shape, g_spatial, top, left):
    rng = np.random.default_rng(8)
    x, g = rng.standard_normal(x_shape), rng.standard_normal((x_shape[0], 2, *g_spatial))
    rows, cols = g_spatial[0] + r - 1, g_spatial[1] + r - 1
    kernels = winograd_strided._kernels(r, gradient=True)
    g_matrix = winograd_phases.g_matrix(r)
    want = winograd_pipeline.run_weight_grad(
        _split_phases(x, top, left, rows, cols), g, (0, 0), (1, 1), 3, kernels, g_matrix
    )
    transforms = (PHASE_INPUT[r], kernels[1])
    got = winograd_pipeline.run_weight_grad(
        x, g, (top, left), (1, 1), 3, transforms, g_matrix, channels=4 * x_shape[1]
    )
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kernel, r", [((7, 5), 4), ((8, 8), 4), ((4, 4), 2), ((4, 3), 2)])
@pytest.mark.parametrize("flip", [False, True])
def test_transformed_taps_are_g_s_gt_of_every_sub_kernel(kernel, r, flip):
    w = np.random.default_rng(5).standard_normal((2, 3, *kernel))
    u = winograd_phases.transformed_taps(w, r, np.float64, flip=flip)
    a, g = r + 2, winograd_phases.g_matrix(r)
    assert u.shape == ((a * a, 12, 2) if flip else (a * a, 2, 12))
    full = np.zeros((2, 3, 2 * r, 2 * r))  # sub-kernel (p, q) of channel c: full[:, c, p::2, q::2]
    full[:, :, : kernel[0], : kernel[1]] = w
    for c in range(3):
        for p in range(2):
            for q in range(2):
                sub = full[:, c, p::2, q::2]  # (K, r, r)
                if flip:
                    sub = sub[:, ::-1, ::-1]
                want = (g @ sub @ g.T).reshape(2, a * a)
                got = u[:, 4 * c + 2 * p + q].T if flip else u[:, :, 4 * c + 2 * p + q].T
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("r", [2, 4])
@pytest.mark.parametrize(
    "g_shape, spatial, top, left",
    [((2, 3, 7, 6), (16, 15), 1, 1), ((1, 2, 5, 8), (9, 20), 0, 3), ((2, 1, 4, 4), (13, 12), 2, 0)],
)
def test_phases_stored_in_place_equal_the_merged_phases(r, g_shape, spatial, top, left):
    rng = np.random.default_rng(9)
    g, w = rng.standard_normal(g_shape), rng.standard_normal((g_shape[1], 2, 2 * r, 2 * r))
    u = winograd_phases.transformed_taps(w, r, np.float64, flip=True)
    rows, cols = g_shape[2] + r - 1, g_shape[3] + r - 1
    kernels = winograd_strided._kernels(r)
    phases = winograd_pipeline.run(
        g, u, (r - 1, r - 1), (rows, cols), (1, 1), 3, transforms=kernels
    )
    want = _merge_phases(phases, top, left, spatial)
    got = np.full((g_shape[0], 2, *spatial), np.nan)  # every cell a phase holds is written
    got[:, :, 2 * rows - top :] = got[:, :, :, 2 * cols - left :] = 0
    transforms = (kernels[0], PHASE_OUTPUT[r])
    winograd_pipeline.run(g, u, (r - 1, r - 1), (rows, cols), (1, 1), 3, got, transforms,
                          (top, left, rows, cols))  # fmt: skip
    assert not np.isnan(got).any()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)  # fastmath: sums may reorder


@pytest.mark.parametrize("r", [4, 2])
def test_f3_transforms_compute_a_3x3_tile_of_an_r_by_r_correlation(r):
    rng = np.random.default_rng(13)
    a = r + 2
    d, k = rng.standard_normal((a, a)), rng.standard_normal((r, r))
    bt = TRANSFORMS[r][0]  # the same B^T as F(4x4, 3x3) (r = 4) or F(2x2, 3x3) (r = 2)
    a_t, g = F3_TRANSFORMS[r]
    tile = a_t @ ((g @ k @ g.T) * (bt @ d @ bt.T)) @ a_t.T
    want = [[(d[i : i + r, j : j + r] * k).sum() for j in range(3)] for i in range(3)]
    np.testing.assert_allclose(tile, want, atol=1e-12)


def test_multiplications_of_the_stem():
    stem = Problem((8, 3, 230, 230), (64, 3, 7, 7), (2, 2), (1, 1), 1, np.dtype("float32"))
    counts = winograd_strided.multiplications(stem)
    assert counts["direct"] == 8 * 64 * 147 * 112 * 112
    assert counts["elementwise"] == 36 * 64 * 12 * 8 * 38 * 38  # 38 x 38 tiles per image
    assert 2.9 < counts["saving"] < 3.0


def test_auto_uses_the_phases_for_the_stem_forward_and_weight_gradient_only():
    stem = Problem((8, 3, 230, 230), (64, 3, 7, 7), (2, 2), (1, 1), 1, np.dtype("float32"))
    assert choose(stem).name == "winograd_s2"
    assert choose(stem, weight_grad=True).name == "winograd_s2"
    # the adjoint would transform 64 channels of the gradient: GEMM's col2im is cheaper
    g, w = np.zeros((8, 64, 112, 112), np.float32), np.zeros((64, 3, 7, 7), np.float32)
    chosen, native = choose_transpose(g, w, (2, 2), (1, 1), 1, (230, 230))
    assert chosen.name == "gemm" and native
    assert winograd_strided.transpose_cost(stem) > gemm.cost(stem)


def test_weight_gradient_memory_bound_hands_wide_layers_to_gemm():
    wide = Problem((1, 256, 30, 30), (256, 256, 7, 7), (2, 2), (1, 1), 1, np.dtype("float64"))
    assert winograd_strided.weight_grad_cost(wide) == float("inf")
    assert choose(wide, weight_grad=True).name != "winograd_s2"


def test_auto_keeps_gemm_for_many_input_channels():
    layer = Problem((4, 32, 60, 60), (64, 32, 5, 5), (2, 2), (1, 1), 1, np.dtype("float32"))
    assert choose(layer).name == "gemm"


def test_auto_uses_the_phases_for_every_pass_of_the_dcgan_layer():
    """4x4 stride 2, 64 -> 128 channels on 32 x 32 (the input gradient of the benchmark's
    transposed layer): F(3x3, 2x2) on the phases does 2.25x fewer products than GEMM. Its
    adjoint (the transposed layer's forward) stores the phases into the grid in place."""
    layer = Problem((8, 64, 34, 34), (128, 64, 4, 4), (2, 2), (1, 1), 1, np.dtype("float32"))
    assert winograd_strided.multiplications(layer)["saving"] > 1.7  # overhanging tiles
    assert choose(layer).name == "winograd_s2"
    assert choose(layer, weight_grad=True).name == "winograd_s2"
    g, w = np.zeros((8, 128, 16, 16), np.float32), np.zeros((128, 64, 4, 4), np.float32)
    chosen, native = choose_transpose(g, w, (2, 2), (1, 1), 1, (34, 34))
    assert chosen.name == "winograd_s2" and native


@pytest.mark.parametrize(
    "kw, kernel",
    [
        (dict(stride=2, padding=1), (3, 3)),  # too few taps
        (dict(stride=2, padding=4), (9, 9)),  # too many
        (dict(stride=1, padding=3), (7, 7)),
        (dict(stride=2, dilation=2, padding=6), (7, 7)),
        (dict(stride=2, groups=2, padding=3), (7, 7)),
    ],
)
def test_forcing_it_on_unsupported_layers_names_the_reason(kw, kernel):
    x, w = _arrays((1, 4, 20, 20), 4, kernel)
    w = w[:, : 4 // kw.get("groups", 1)]
    with pytest.raises(ValueError, match="algorithm='winograd_s2' does not support"):
        conv(x, w, algorithm="winograd_s2", **kw)


def test_non_finite_input_goes_to_gemm():
    x, w = _arrays((1, 2, 16, 16), 3, (7, 7), seed=14)
    x[0, 1, 5, 6] = np.nan
    y = conv(x, w, stride=2, padding=3, algorithm="winograd_s2")
    np.testing.assert_array_equal(
        np.isnan(y), np.isnan(conv(x, w, stride=2, padding=3, algorithm="gemm"))
    )
