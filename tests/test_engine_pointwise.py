"""1x1 convolutions as per-image products on the engine's threads (engine/pointwise.py)."""

from __future__ import annotations

import numpy as np
import pytest

from convzoo import conv, conv_backward
from convzoo.engine import blas, pointwise
from convzoo.engine.parallel import num_threads


def _reference(x, w, g, groups):
    """The same products by einsum: output and weight gradient."""
    (n, c, p), c_out = x.shape, w.shape[0]
    xs = x.reshape(n, groups, c // groups, p)
    ws = w.reshape(groups, c_out // groups, c // groups)
    y = np.einsum("goc,ngcp->ngop", ws, xs).reshape(n, c_out, p)
    gs = g.reshape(n, groups, c_out // groups, p)
    dw = np.einsum("ngop,ngcp->goc", gs, xs).reshape(w.shape)
    return y, dw


@pytest.fixture(params=["threads", "stacked"])
def path(request, monkeypatch):
    """Whole images per thread where the batch allows it, and the stacked matmul."""
    if request.param == "stacked":
        monkeypatch.setattr(blas, "whole_images_per_thread", lambda n_batch: False)
    return request.param


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("n", "c", "c_out", "p", "groups"),
    [(8, 12, 6, 10, 3), (8, 16, 4, 33, 1), (3, 4, 4, 5, 2), (0, 4, 2, 5, 1), (9, 6, 6, 7, 6)],
    ids=["shufflenet-like", "dense", "odd-batch", "empty-batch", "depthwise"],
)
def test_pointwise_matches_einsum(path, dtype, n, c, c_out, p, groups):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, p)).astype(dtype)
    w = rng.standard_normal((c_out, c // groups)).astype(dtype)
    g = rng.standard_normal((n, c_out, p)).astype(dtype)
    want_y, want_dw = _reference(x, w, g, groups)
    y, dw = pointwise.forward(x, w, groups), pointwise.weight_grad(x, g, groups)
    assert y.dtype == dw.dtype == dtype and y.shape == want_y.shape and dw.shape == w.shape
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y, want_y, rtol=tol, atol=tol)
    np.testing.assert_allclose(dw, want_dw, rtol=tol, atol=tol * max(n * p, 1))


def test_even_batches_go_to_the_engine_threads(monkeypatch):
    """Each image's products run once, on single-threaded BLAS, when the batch splits evenly."""
    calls = []
    real = blas.gemm
    monkeypatch.setattr(blas, "gemm", lambda *a, **k: calls.append(1) or real(*a, **k))
    x, w = np.ones((8, 6, 4), np.float32), np.ones((3, 2), np.float32)
    pointwise.forward(x, w, 3)
    expected = 8 * 3 if blas.whole_images_per_thread(8) else 0
    assert len(calls) == expected
    if num_threads() > 1 and blas.threads_available():
        assert expected == 24


def test_gemm_on_an_empty_batch_of_1x1_kernels():
    from convzoo.engine import gemm

    x, w, g = np.ones((0, 6, 5, 5)), np.ones((3, 2, 1, 1)), np.ones((0, 3, 5, 5))
    assert gemm.correlate(x, w, (1, 1), (1, 1), 3).shape == (0, 3, 5, 5)
    dw = gemm.correlate_weight_grad(x, g, (1, 1), (1, 1), (1, 1), 3)
    assert dw.shape == (3, 2, 1, 1) and not dw.any()


def test_grouped_1x1_through_the_public_api_matches_the_reference_loops():
    """conv and conv_backward (gemm on 1x1 kernels, strided too) against the reference."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 6, 5, 7))
    w = rng.standard_normal((9, 2, 1, 1))
    for stride in (1, 2):
        kw = dict(stride=stride, groups=3)
        y = conv(x, w, algorithm="gemm", **kw)
        np.testing.assert_allclose(y, conv(x, w, algorithm="reference", **kw), atol=1e-12)
        gy = rng.standard_normal(y.shape)
        got = conv_backward(gy, x, w, algorithm="gemm", **kw)[:2]
        want = conv_backward(gy, x, w, algorithm="reference", **kw)[:2]
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, atol=1e-12)
