"""Edge cases every algorithm must get right: empty batches, and NaN / inf that must reach
exactly the outputs whose windows hold them (as in PyTorch), whichever algorithm runs."""

from __future__ import annotations

import numpy as np
import pytest

import convzoo
from convzoo import conv, conv_backward, conv_transpose
from convzoo.engine import ALGORITHMS, Problem

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.mark.parametrize("algorithm", ["auto", "gemm", "winograd_f4", "direct"])
@pytest.mark.parametrize(
    ("x_shape", "w_shape", "kw"),
    [((0, 4, 50), (3, 4, 9), dict(padding=4)),
     ((0, 4, 9, 8), (3, 4, 3, 3), dict(padding=1)),
     ((0, 4, 9, 8), (4, 1, 3, 3), dict(padding=1, stride=2, groups=4)),
     ((0, 4, 6, 6, 6), (3, 4, 3, 3, 3), dict(padding=1))],
    ids=["1d", "2d", "2d-depthwise-s2", "3d"],
)  # fmt: skip
def test_an_empty_batch_gives_empty_results_and_zero_weight_gradients(
    algorithm, x_shape, w_shape, kw
):
    x, w = np.zeros(x_shape), np.ones(w_shape)
    nd = len(x_shape) - 2
    padded = tuple(n + 2 * kw["padding"] for n in x_shape[2:])
    problem = Problem((0, 4, *padded), w_shape, (kw.get("stride", 1),) * nd, (1,) * nd,
                      kw.get("groups", 1), x.dtype)  # fmt: skip
    if algorithm != "auto" and not ALGORITHMS[algorithm].supports(problem):
        with pytest.raises(ValueError, match=f"algorithm='{algorithm}' does not support"):
            conv(x, w, algorithm=algorithm, **kw)
        return
    fn = {3: F.conv1d, 4: F.conv2d, 5: F.conv3d}[len(x_shape)]
    want = fn(torch.zeros(x_shape, dtype=torch.float64), torch.from_numpy(w), **kw).shape
    y = conv(x, w, algorithm=algorithm, **kw)
    assert y.shape == tuple(want)
    gx, gw, gb = conv_backward(y, x, w, algorithm=algorithm, **kw)
    assert gx.shape == x.shape and gb.shape == (w_shape[0],)
    np.testing.assert_array_equal(gw, np.zeros(w_shape))
    groups = kw.get("groups", 1)
    wt = np.ones((w_shape[1] * groups, w_shape[0] // groups, *w_shape[2:]))
    xt = np.zeros((0, wt.shape[0], *x_shape[2:]))
    t = conv_transpose(xt, wt, algorithm=algorithm, **kw)
    gxt, gwt, _ = convzoo.conv_transpose_backward(np.zeros(t.shape), xt, wt, algorithm=algorithm,
                                                  **kw)  # fmt: skip
    assert gxt.shape == xt.shape
    np.testing.assert_array_equal(gwt, np.zeros(wt.shape))


NON_FINITE_CASES = [  # (id, input shape, weight shape, keywords), all Winograd/FFT-capable
    ("1d-k9", (2, 3, 40), (4, 3, 9), dict(padding=4)),
    ("2d-3x3", (2, 3, 13, 11), (4, 3, 3, 3), dict(padding=1)),
    ("2d-dilated", (1, 3, 14, 12), (2, 3, 3, 3), dict(padding=2, dilation=2)),
    ("3d-3x3x3", (1, 2, 6, 9, 9), (3, 2, 3, 3, 3), dict(padding=1)),
]


def _torch_grads(x, w, g, kw):
    fn = {3: F.conv1d, 4: F.conv2d, 5: F.conv3d}[x.ndim]
    tx, tw = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
    y = fn(tx, tw, **kw)
    y.backward(torch.from_numpy(g))
    return y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy()


def _same_non_finite(actual, expected):
    for test in (np.isnan, np.isposinf, np.isneginf):
        np.testing.assert_array_equal(test(actual), test(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("algorithm", ["winograd_f4", "winograd_f2", "fft", "auto"])
@pytest.mark.parametrize(("x_shape", "w_shape", "kw"), [c[1:] for c in NON_FINITE_CASES],
                         ids=[c[0] for c in NON_FINITE_CASES])  # fmt: skip
def test_nan_and_inf_reach_only_their_windows_whatever_the_algorithm(
    algorithm, x_shape, w_shape, kw
):
    # Winograd and FFT transforms mix windows: non-finite data must go to GEMM instead
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    x[(0, 0, *(n // 2 for n in x_shape[2:]))] = np.nan
    x[(-1, -1, *(n - 1 for n in x_shape[2:]))] = np.inf
    y = conv(x, w, algorithm=algorithm, **kw)
    g = rng.standard_normal(y.shape)
    g[(0, 0, *(1 for _ in x_shape[2:]))] = np.nan
    want_y, want_gx, want_gw = _torch_grads(x, w, g, kw)
    _same_non_finite(y, want_y)
    gx, gw, _ = conv_backward(g, x, w, algorithm=algorithm, **kw)
    _same_non_finite(gx, want_gx)
    _same_non_finite(gw, want_gw)
    w_bad = w.copy()
    w_bad[(1, 0, *(0 for _ in w_shape[2:]))] = np.nan  # poisons output channel 1 only
    _same_non_finite(conv(np.nan_to_num(x), w_bad, algorithm=algorithm, **kw),
                     _torch_grads(np.nan_to_num(x), w_bad, g, kw)[0])  # fmt: skip


def test_a_nan_padding_value_reaches_only_the_border_windows():
    x = np.random.default_rng(12).standard_normal((1, 2, 12, 12))
    w = np.random.default_rng(13).standard_normal((3, 2, 3, 3))
    y = conv(x, w, padding=1, padding_mode="constant", padding_value=np.nan,
             algorithm="winograd_f4")  # fmt: skip
    want = F.conv2d(F.pad(torch.from_numpy(x), (1, 1, 1, 1), value=float("nan")),
                    torch.from_numpy(w)).numpy()  # fmt: skip
    _same_non_finite(y, want)
    assert np.isfinite(y[:, :, 1:-1, 1:-1]).all()


@pytest.mark.parametrize("stride", [1, 2])
def test_direct_kernels_keep_nan_and_inf_in_their_windows(stride):
    # the weight gradient's dot products run over spare cells too (0 * inf = NaN there):
    # a non-finite result is recomputed by GEMM; a non-finite weight sends the adjoint to GEMM
    rng = np.random.default_rng(14)
    x, w = rng.standard_normal((2, 4, 11, 10)), rng.standard_normal((4, 1, 3, 3))
    x[0, 1, 5, 9] = np.inf
    x[1, 2, 0, 0] = np.nan
    kw = dict(padding=1, stride=stride, groups=4)
    y = conv(x, w, algorithm="direct", **kw)
    g = rng.standard_normal(y.shape)
    g[1, 3, 2, 2] = -np.inf
    want_y, want_gx, want_gw = _torch_grads(x, w, g, kw)
    _same_non_finite(y, want_y)
    for got, want in zip(conv_backward(g, x, w, algorithm="direct", **kw)[:2],
                         (want_gx, want_gw), strict=True):  # fmt: skip
        _same_non_finite(got, want)
    w[2, 0, 0, 0] = np.nan
    x = np.nan_to_num(x)
    gx = conv_backward(g, x, w, algorithm="direct", **kw)[0]
    _same_non_finite(gx, _torch_grads(x, w, g, kw)[1])
