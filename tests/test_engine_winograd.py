"""Winograd F(2x2, 3x3) and F(4x4, 3x3): forward, implicit padding, adjoint, threads."""

import numpy as np
import pytest

from convzoo import conv, conv_backward, conv_transpose
from convzoo.engine import blas, parallel, winograd, winograd_pipeline
from convzoo.engine.select import Problem, choose, choose_transpose

pytest.importorskip("numba")

CASES = [  # input shape, C_out, padding, dilation
    ((1, 3, 9, 11), 5, 1, 1),
    ((3, 7, 13, 6), 2, ((2, 0), (0, 3)), (2, 1)),
    ((2, 5, 17, 20), 6, 2, 2),
    ((2, 4, 5, 5), 3, ((3, 1), (0, 4)), 1),  # low pad > 2d: the adjoint's offset is negative
    ((1, 2, 4, 3), 4, 0, 1),  # output smaller than one tile
]


def _arrays(x_shape, c_out, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal((c_out, x_shape[1], 3, 3)).astype(dtype)
    return x, w


@pytest.mark.parametrize("m", [2, 4])
@pytest.mark.parametrize("x_shape, c_out, padding, dilation", CASES)
def test_forward_and_gradients_match_gemm_in_float64(m, x_shape, c_out, padding, dilation):
    x, w = _arrays(x_shape, c_out)
    kw = dict(padding=padding, dilation=dilation)
    y = conv(x, w, algorithm=f"winograd_f{m}", **kw)
    np.testing.assert_allclose(y, conv(x, w, algorithm="gemm", **kw), rtol=0, atol=1e-10)
    g = np.random.default_rng(1).standard_normal(y.shape)
    got = conv_backward(g, x, w, algorithm=f"winograd_f{m}", **kw)
    want = conv_backward(g, x, w, algorithm="gemm", **kw)
    for a, b in zip(got[:2], want[:2], strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


@pytest.mark.parametrize("m", [2, 4])
def test_non_zero_padding_modes_use_the_padded_path(m):
    x, w = _arrays((2, 3, 8, 9), 4)
    kw = dict(padding=((1, 2), (2, 1)), padding_mode="reflect")
    y = conv(x, w, algorithm=f"winograd_f{m}", **kw)
    np.testing.assert_allclose(y, conv(x, w, algorithm="gemm", **kw), atol=1e-10)
    g = np.ones_like(y)
    gx = conv_backward(g, x, w, algorithm=f"winograd_f{m}", **kw)[0]
    np.testing.assert_allclose(gx, conv_backward(g, x, w, algorithm="gemm", **kw)[0], atol=1e-10)


@pytest.mark.parametrize("m", [2, 4])
def test_transposed_convolution_uses_the_native_adjoint(m):
    x, w = _arrays((2, 4, 7, 6), 3)  # conv_transpose weight: (C_in, C_out, 3, 3)
    w = np.ascontiguousarray(w.transpose(1, 0, 2, 3))
    got = conv_transpose(x, w, padding=1, algorithm=f"winograd_f{m}")
    np.testing.assert_allclose(got, conv_transpose(x, w, padding=1, algorithm="gemm"), atol=1e-10)


def test_non_contiguous_inputs():
    x, w = _arrays((2, 6, 12, 10), 4)
    xs, ws = x[:, ::2, :, ::-1], w[:, ::2]
    y = conv(xs, ws, padding=1, algorithm="winograd_f4")
    np.testing.assert_allclose(y, conv(xs, ws, padding=1, algorithm="gemm"), atol=1e-10)


@pytest.mark.parametrize("m", [2, 4])
def test_float32_error_below_1e3_of_float64_forward_and_gradients(m):
    x, w = _arrays((2, 48, 23, 17), 40, seed=3)
    w /= np.sqrt(9 * 48)
    exact = conv(x, w, padding=1, algorithm="gemm")
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    y = conv(x32, w32, padding=1, algorithm=f"winograd_f{m}")
    assert y.dtype == np.float32
    assert float(np.abs(y - exact).max() / np.abs(exact).max()) < 1e-3
    g = np.random.default_rng(4).standard_normal(exact.shape)
    exact_gx, exact_gw, _ = conv_backward(g, x, w, padding=1, algorithm="gemm")
    gx, gw, _ = conv_backward(g.astype(np.float32), x32, w32, padding=1, algorithm=f"winograd_f{m}")
    assert gx.dtype == gw.dtype == np.float32
    assert float(np.abs(gx - exact_gx).max() / np.abs(exact_gx).max()) < 1e-3
    assert float(np.abs(gw - exact_gw).max() / np.abs(exact_gw).max()) < 1e-3


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_many_small_chunks_on_any_thread_count(monkeypatch, threads):
    monkeypatch.setattr(winograd_pipeline, "WORKSPACE_BYTES", 1)  # one tile row per chunk
    monkeypatch.setattr(winograd_pipeline, "MIN_TILES", 1)
    previous = parallel.num_threads()
    parallel.set_num_threads(threads)
    try:
        x, w = _arrays((3, 5, 14, 9), 6)
        y = conv(x, w, padding=1, dilation=(1, 2), algorithm="winograd_f4")
    finally:
        parallel.set_num_threads(previous)
    np.testing.assert_allclose(
        y, conv(x, w, padding=1, dilation=(1, 2), algorithm="gemm"), atol=1e-10
    )


@pytest.mark.parametrize("threads", [2, 4])
@pytest.mark.parametrize("m", [2, 4])
def test_chunks_in_rounds_sharing_the_products(monkeypatch, threads, m):
    """Transformed weights past ``SHARED_U_BYTES``: rounds of one chunk per thread (the
    last round short), products shared by transformed cell; forward and input gradient."""
    monkeypatch.setattr(winograd_pipeline, "SHARED_U_BYTES", 0)
    monkeypatch.setattr(winograd_pipeline, "WORKSPACE_BYTES", 1)  # one tile row per chunk
    monkeypatch.setattr(winograd_pipeline, "MIN_TILES", 1)
    monkeypatch.setitem(parallel._state, "threads", threads)
    rounds, in_rounds = [], winograd_pipeline._in_rounds
    monkeypatch.setattr(winograd_pipeline, "_in_rounds",
                        lambda u, starts, *rest: rounds.append(len(starts)) or
                        in_rounds(u, starts, *rest))  # fmt: skip
    x, w = _arrays((1, 5, 9, 9), 6)  # 3 (m = 4) or 5 (m = 2) chunks
    y = conv(x, w, padding=1, dilation=(1, 2), algorithm=f"winograd_f{m}")
    g = np.random.default_rng(2).standard_normal(y.shape)
    gx = conv_backward(g, x, w, padding=1, dilation=(1, 2), algorithm=f"winograd_f{m}")[0]
    want_y = conv(x, w, padding=1, dilation=(1, 2), algorithm="gemm")
    want_gx = conv_backward(g, x, w, padding=1, dilation=(1, 2), algorithm="gemm")[0]
    np.testing.assert_allclose(y, want_y, atol=1e-10)
    np.testing.assert_allclose(gx, want_gx, atol=1e-10)
    assert len(rounds) == 2 and rounds[0] % threads != 0  # both passes; a short last round


def test_single_threaded_blas_restores_the_thread_count():
    if not blas.threads_available():
        pytest.skip("no OpenBLAS thread control in this NumPy build")
    get, _ = blas._thread_entry_points()
    before = get()
    with blas.single_threaded():
        with blas.single_threaded():
            assert get() == 1
        assert get() == 1
    assert get() == before


def test_auto_uses_winograd_for_resnet_forward_and_input_gradient():
    p = Problem((8, 64, 58, 58), (64, 64, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    assert choose(p).name.startswith("winograd")
    g, w = np.zeros((8, 64, 56, 56), np.float32), np.zeros((64, 64, 3, 3), np.float32)
    chosen, native = choose_transpose(g, w, (1, 1), (1, 1), 1, (58, 58))
    assert chosen.name.startswith("winograd") and native


def test_weight_gradient_on_many_chunks(monkeypatch):
    monkeypatch.setattr(winograd_pipeline, "WEIGHT_GRAD_WORKSPACE_BYTES", 1)
    x, w = _arrays((3, 4, 11, 10), 5)
    kw = dict(padding=((0, 2), (1, 1)), dilation=(1, 2))
    g = np.random.default_rng(2).standard_normal(conv(x, w, algorithm="gemm", **kw).shape)
    got = conv_backward(g, x, w, algorithm="winograd_f4", **kw)[1]
    np.testing.assert_allclose(got, conv_backward(g, x, w, algorithm="gemm", **kw)[1], atol=1e-10)


def test_auto_uses_winograd_for_resnet_weight_gradient():
    p = Problem((8, 64, 58, 58), (64, 64, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    assert choose(p, weight_grad=True).name.startswith("winograd")


@pytest.mark.parametrize("m", [2, 4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weight_transform_is_g_w_g_transposed(m, dtype):
    # 35 x 23 = 805 kernels: more than one block of 512 of the kernel, split among threads
    w = np.random.default_rng(5).standard_normal((35, 23, 3, 3)).astype(dtype)
    g = winograd.TRANSFORMS[m][1]
    a = m + 2
    expected = np.einsum("xi,kcij,yj->xykc", g, w.astype(np.float64), g).reshape(a * a, 35, 23)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    u = winograd_pipeline.transform_weights(w, m, dtype)  # (a*a, K, C)
    assert u.shape == (a * a, 35, 23) and u.dtype == dtype
    np.testing.assert_allclose(u, expected, atol=tol)
    flipped = winograd_pipeline.transform_weights(w, m, dtype, flip=True)  # (a*a, C, K)
    w_adjoint = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).astype(np.float64)
    expected = np.einsum("xi,ckij,yj->xyck", g, w_adjoint, g).reshape(a * a, 23, 35)
    np.testing.assert_allclose(flipped, expected, atol=tol)


def test_weight_gradient_memory_bound_limits_threads_and_auto():
    from convzoo.engine import gemm

    assert winograd_pipeline.weight_grad_threads(6, 512, 512, 8) == 1
    huge = Problem((1, 512, 9, 9), (512, 512, 3, 3), (1, 1), (1, 1), 1, np.dtype("float64"))
    assert winograd.weight_grad_cost(huge) == float("inf")
    assert choose(huge, weight_grad=True).name != "winograd_f4"
    assert gemm.weight_grad_cost(huge) < float("inf")


@pytest.mark.parametrize("kw", [dict(groups=2), dict(stride=2)])
def test_forcing_winograd_on_unsupported_layers_names_the_reason(kw):
    x, w = _arrays((1, 4, 8, 8), 4)
    w = w[:, : 4 // kw.get("groups", 1)]
    with pytest.raises(ValueError, match="algorithm='winograd_f4' does not support"):
        conv(x, w, padding=1, algorithm="winograd_f4", **kw)


def test_auto_keeps_gemm_where_the_weight_transform_dominates():
    p = Problem((1, 256, 16, 16), (256, 256, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    assert choose(p).name == "gemm"


@pytest.mark.parametrize("seed", range(12))
def test_seeded_sweep_of_shapes_pads_and_dilations(seed):
    rng = np.random.default_rng(100 + seed)
    d = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    pads = tuple((int(rng.integers(0, 5)), int(rng.integers(0, 5))) for _ in range(2))
    size = [int(rng.integers(2 * dd + 1 - lo - hi, 2 * dd + 14)) for dd, (lo, hi) in zip(d, pads)]
    size = [max(s, 1) for s in size]
    x, w = _arrays(
        (int(rng.integers(1, 4)), int(rng.integers(1, 6)), *size), int(rng.integers(1, 6))
    )
    kw = dict(padding=pads, dilation=d)
    want = conv(x, w, algorithm="gemm", **kw)
    g = rng.standard_normal(want.shape)
    want_grads = conv_backward(g, x, w, algorithm="gemm", **kw)[:2]
    for m in (2, 4):
        np.testing.assert_allclose(conv(x, w, algorithm=f"winograd_f{m}", **kw), want, atol=1e-10)
        grads = conv_backward(g, x, w, algorithm=f"winograd_f{m}", **kw)[:2]
        for got, expected in zip(grads, want_grads, strict=True):
            np.testing.assert_allclose(got, expected, atol=1e-10)
