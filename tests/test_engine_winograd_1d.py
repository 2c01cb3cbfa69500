"""Winograd for 1-D kernels of up to 9 taps, nested into F(4x4, 3x3) / F(2x2, 3x3).

PyTorch is the oracle (``torch.nn.functional.conv1d`` and autograd), through the public API.
"""

import numpy as np
import pytest

from convzoo import conv, conv_backward, conv_transpose
from convzoo.engine import parallel, winograd, winograd_1d, winograd_pipeline
from convzoo.engine.select import Problem, choose, choose_transpose

pytest.importorskip("numba")
torch = pytest.importorskip("torch")
F = torch.nn.functional

ALGORITHMS = ["winograd_f4", "winograd_f2"]


def _pairs(padding, k):
    """The ``(lo, hi)`` padding of the oracle, from the textbook rules."""
    if padding == "same":  # TensorFlow's rule: the extra cell goes after
        return (k - 1) // 2, k - 1 - (k - 1) // 2
    if isinstance(padding, int):
        return padding, padding
    return padding[0]


def _torch(x, w, padding, g):
    """``(y, dx, dw)`` of a zero-padded ``conv1d`` by torch, in float64."""
    lo, hi = _pairs(padding, w.shape[2])
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    y = F.conv1d(F.pad(xt, (lo, hi)), wt)
    if g is None:
        return y.detach().numpy(), None, None
    y.backward(torch.tensor(g, dtype=torch.float64))
    return y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()


def _arrays(n, c_in, c_out, length, k, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c_in, length)).astype(dtype)
    w = (rng.standard_normal((c_out, c_in, k)) / np.sqrt(c_in * k)).astype(dtype)
    return x, w


CASES = [  # batch, C_in, C_out, length, k, padding
    (1, 3, 5, 17, 9, 4),
    (2, 4, 3, 10, 9, ((0, 3),)),
    (3, 2, 4, 14, 8, "same"),
    (2, 5, 2, 11, 7, ((5, 1),)),  # low padding beyond k - 1: the adjoint crops
    (1, 3, 3, 8, 5, 0),
    (2, 2, 6, 13, 4, ((2, 9),)),  # high padding beyond k - 1
    (1, 4, 4, 6, 3, 1),
    (2, 3, 2, 5, 2, "same"),
    (1, 2, 3, 4, 1, ((1, 2),)),
    (2, 3, 3, 12, 6, 2),  # output length a multiple of 3: written in place
    (1, 2, 2, 3, 9, 0),  # kernel longer than the input: padding makes room
]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("n, c_in, c_out, length, k, padding", CASES)
def test_forward_and_gradients_match_torch_in_float64(algorithm, n, c_in, c_out, length, k,
                                                      padding):  # fmt: skip
    if k > length + sum(_pairs(padding, k)):
        length = k  # (1, 2, 2, 3, 9, 0) would have no output: lengthen the input
    x, w = _arrays(n, c_in, c_out, length, k)
    y_ref = _torch(x, w, padding, None)[0]
    g = np.random.default_rng(1).standard_normal(y_ref.shape)
    y_ref, dx_ref, dw_ref = _torch(x, w, padding, g)
    y = conv(x, w, padding=padding, algorithm=algorithm)
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=1e-12)
    dx, dw, _ = conv_backward(g, x, w, padding=padding, algorithm=algorithm)
    np.testing.assert_allclose(dx, dx_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dw, dw_ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("stride", [1, 2])  # stride 2: a stride-1 correlation of the
@pytest.mark.parametrize("algorithm", ALGORITHMS)  # zero-inserted input
def test_transposed_convolution_matches_torch(algorithm, stride):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 4, 10))
    w = rng.standard_normal((4, 3, 7))  # conv_transpose weight: (C_in, C_out, k)
    kw = dict(stride=stride, padding=2)
    want = F.conv_transpose1d(torch.tensor(x), torch.tensor(w), **kw).numpy()
    got = conv_transpose(x, w, algorithm=algorithm, **kw)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_non_zero_padding_modes_and_strided_arrays(algorithm):
    x, w = _arrays(2, 6, 4, 19, 7, seed=9)
    xs, ws = x[:, ::2, ::-1], w[:, ::2]  # non-contiguous input and weight
    kw = dict(padding=((3, 2),), padding_mode="reflect")
    y = conv(xs, ws, algorithm=algorithm, **kw)
    np.testing.assert_allclose(y, conv(xs, ws, algorithm="gemm", **kw), atol=1e-12)
    g = np.random.default_rng(10).standard_normal(y.shape)[:, :, ::-1]
    got = conv_backward(g, xs, ws, algorithm=algorithm, **kw)
    want = conv_backward(g, xs, ws, algorithm="gemm", **kw)
    for a, b in zip(got[:2], want[:2], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_the_transposed_convolution_uses_the_native_adjoint():
    g, w = np.zeros((2, 4, 10)), np.zeros((4, 3, 7))
    chosen, native = choose_transpose(g, w, (1,), (1,), 1, (16,), algorithm="winograd_f4")
    assert (chosen.name, native) == ("winograd_f4", True)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_float32_error_below_1e3_of_float64_reference(algorithm):
    x, w = _arrays(2, 64, 48, 301, 9, seed=3)
    g = np.random.default_rng(4).standard_normal((2, 48, 301))
    y_ref, dx_ref, dw_ref = _torch(x, w, 4, g)
    x32, w32, g32 = x.astype(np.float32), w.astype(np.float32), g.astype(np.float32)
    y = conv(x32, w32, padding=4, algorithm=algorithm)
    dx, dw, _ = conv_backward(g32, x32, w32, padding=4, algorithm=algorithm)
    for got, want in ((y, y_ref), (dx, dx_ref), (dw, dw_ref)):
        assert got.dtype == np.float32
        assert float(np.abs(got - want).max() / np.abs(want).max()) < 1e-3


def test_run_weight_grad_reads_overlapping_views_in_place():
    rng = np.random.default_rng(5)
    base = rng.standard_normal((2, 3, 30))
    view = np.lib.stride_tricks.as_strided(base, (2, 3, 8, 6), (*base.strides[:2], 24, 8))
    g = rng.standard_normal((2, 4, 6, 4))
    got = winograd_pipeline.run_weight_grad(view, g, (0, 0), (1, 1), 4)
    want = np.einsum("nkij,ncijab->kcab", g, np.lib.stride_tricks.sliding_window_view(
        np.ascontiguousarray(view), (3, 3), axis=(2, 3))[:, :, :6, :4])  # fmt: skip
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_auto_picks_winograd_f4_for_the_benchmark_layer():
    # conv1d_k9 of the benchmark: x (8, 128, 2048), w (128, 128, 9), padding 4
    p = Problem((8, 128, 2056), (128, 128, 9), (1,), (1,), 1, np.dtype("float32"))
    assert choose(p).name == "winograd_f4"
    assert choose(p, weight_grad=True).name == "winograd_f4"
    g, w = np.zeros((8, 128, 2048), np.float32), np.zeros((128, 128, 9), np.float32)
    chosen, native = choose_transpose(g, w, (1,), (1,), 1, (2056,))
    assert (chosen.name, native) == ("winograd_f4", True)


@pytest.mark.parametrize("shape", [((8, 4, 2056), (4, 4, 9)), ((1, 128, 40), (128, 128, 9)),
                                   ((8, 128, 2050), (128, 128, 3))])  # fmt: skip
def test_auto_leaves_thin_short_and_small_kernel_layers_to_other_algorithms(shape):
    p = Problem(*shape, (1,), (1,), 1, np.dtype("float32"))
    assert not choose(p).name.startswith("winograd")


def test_multiplications_count_the_nesting_saving():
    f32 = np.dtype("float32")
    p9 = Problem((8, 128, 2056), (128, 128, 9), (1,), (1,), 1, f32)
    counts = winograd.multiplications(p9, 4)
    assert counts["direct"] == 8 * 128 * 128 * 9 * 2048
    assert counts["elementwise"] == 36 * 128 * 128 * 8 * 171  # 171 tiles of 12 outputs
    assert round(counts["saving"], 2) == 2.99
    p7 = Problem((8, 128, 2054), (128, 128, 7), (1,), (1,), 1, f32)
    assert round(winograd.multiplications(p7, 4)["saving"], 2) == round(3 * 7 / 9, 2)


@pytest.mark.parametrize(
    "keywords, weight_shape",
    [
        (dict(stride=2), (4, 3, 5)),
        (dict(dilation=2), (4, 3, 5)),
        (dict(), (4, 3, 10)),
        (dict(groups=3), (6, 1, 5)),
    ],
)
def test_forcing_an_unsupported_1d_convolution_names_it(keywords, weight_shape):
    x = np.ones((1, 3, 20))
    with pytest.raises(ValueError, match="algorithm='winograd_f4' does not support"):
        conv(x, np.ones(weight_shape), algorithm="winograd_f4", **keywords)


def test_supports_only_stride_1_dilation_1_single_group_up_to_9_taps():
    f32 = np.dtype("float32")
    ok = Problem((1, 4, 30), (4, 4, 9), (1,), (1,), 1, f32)
    assert winograd_1d.supports(ok)
    for bad in (
        Problem((1, 4, 30), (4, 4, 9), (2,), (1,), 1, f32),
        Problem((1, 4, 30), (4, 4, 9), (1,), (2,), 1, f32),
        Problem((1, 4, 30), (4, 4, 10), (1,), (1,), 1, f32),
        Problem((1, 4, 30), (4, 2, 9), (1,), (1,), 2, f32),
    ):
        assert not winograd.supports(bad)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_many_small_chunks_on_any_thread_count(monkeypatch, threads):
    monkeypatch.setattr(winograd_pipeline, "WORKSPACE_BYTES", 1)  # one tile per chunk
    monkeypatch.setattr(winograd_pipeline, "MIN_TILES", 1)
    monkeypatch.setattr(winograd_pipeline, "WEIGHT_GRAD_WORKSPACE_BYTES", 1)
    x, w = _arrays(3, 4, 5, 29, 9, seed=7)
    g = np.random.default_rng(8).standard_normal((3, 5, 29))
    y_ref, dx_ref, dw_ref = _torch(x, w, 4, g)
    previous = parallel.num_threads()
    parallel.set_num_threads(threads)
    try:
        y = conv(x, w, padding=4, algorithm="winograd_f4")
        dx, dw, _ = conv_backward(g, x, w, padding=4, algorithm="winograd_f4")
    finally:
        parallel.set_num_threads(previous)
    for got, want in ((y, y_ref), (dx, dx_ref), (dw, dw_ref)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_nested_kernels_are_cached_on_disk():
    from pathlib import Path

    from convzoo.engine import winograd_1d_jit

    x, w = _arrays(1, 2, 2, 20, 9, dtype=np.float32)
    conv(x, w, padding=4, algorithm="winograd_f4")
    for kernel in ("input_nested_f4", "output_nested_f4"):
        cache = Path(getattr(winograd_1d_jit, kernel)._cache.cache_path)
        assert list(cache.glob(f"winograd_1d_jit.{kernel}-*.nbi")), kernel


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_seeded_sweep_against_torch(algorithm):
    rng = np.random.default_rng(6)
    worst = 0.0
    for seed in range(40):
        n, c_in, c_out = (int(v) for v in rng.integers(1, 6, size=3))
        k = int(rng.integers(1, 10))
        lo, hi = (int(v) for v in rng.integers(0, 11, size=2))
        length = int(rng.integers(max(1, k - lo - hi), 40))
        x, w = _arrays(n, c_in, c_out, length, k, seed=seed)
        y_ref = _torch(x, w, ((lo, hi),), None)[0]
        g = rng.standard_normal(y_ref.shape)
        y_ref, dx_ref, dw_ref = _torch(x, w, ((lo, hi),), g)
        y = conv(x, w, padding=((lo, hi),), algorithm=algorithm)
        dx, dw, _ = conv_backward(g, x, w, padding=((lo, hi),), algorithm=algorithm)
        for got, want in ((y, y_ref), (dx, dx_ref), (dw, dw_ref)):
            worst = max(worst, float(np.abs(got - want).max()))
    assert worst < 1e-11
