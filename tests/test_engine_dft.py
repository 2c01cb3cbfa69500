"""The DFT-along-one-axis algorithm (1xk, kx1, short 1-D kernels) and the scratch arrays."""

from __future__ import annotations

import numpy as np
import pytest

from convzoo import conv, conv_backward, conv_transpose, conv_transpose_backward
from convzoo.bench.measure import peak_traced_bytes
from convzoo.engine import dft, dft_blocks, scratch
from convzoo.engine.select import Problem, choose

torch = pytest.importorskip("torch")
F = torch.nn.functional

# (id, input shape, weight shape, padding, dilation, groups)
CASES = [
    ("1x7-inception", (2, 6, 9, 9), (5, 6, 1, 7), ((0, 0), (3, 3)), 1, 1),
    ("7x1-inception", (2, 6, 9, 9), (5, 6, 7, 1), ((3, 3), (0, 0)), 1, 1),
    ("1x3-no-padding", (1, 3, 4, 10), (2, 3, 1, 3), ((0, 0), (0, 0)), 1, 1),
    ("1x4-asymmetric", (2, 3, 5, 11), (4, 3, 1, 4), ((0, 0), (1, 3)), 1, 1),
    ("1x3-dilated-groups", (2, 4, 6, 13), (6, 2, 1, 3), ((0, 0), (2, 4)), (1, 3), 2),
    ("5x1-pad-past-reach", (1, 2, 7, 3), (3, 2, 5, 1), ((6, 1), (0, 0)), 1, 1),
    ("1x5-unit-axis-padded", (1, 2, 3, 8), (2, 2, 1, 5), ((1, 2), (2, 2)), 1, 1),
    ("1d-k9", (3, 4, 21), (5, 4, 9), ((4, 4),), 1, 1),
    ("1d-k2-even", (2, 3, 8), (2, 3, 2), ((1, 0),), 1, 1),
    ("3d-1x1x5", (1, 3, 2, 3, 9), (2, 3, 1, 1, 5), ((0, 0), (0, 0), (2, 2)), 1, 1),
    ("3d-3x1x1", (1, 3, 6, 2, 3), (2, 3, 3, 1, 1), ((1, 1), (0, 0), (0, 0)), 1, 1),
]


def _torch_all(x, w, padding, dilation, groups, g):
    fn = {3: F.conv1d, 4: F.conv2d, 5: F.conv3d}[x.ndim]
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tw = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    flat = tuple(p for pair in reversed(padding) for p in pair)
    y = fn(F.pad(tx, flat), tw, dilation=dilation, groups=groups)
    gx, gw = torch.autograd.grad(y, (tx, tw), torch.tensor(g, dtype=torch.float64))
    return y.detach().numpy(), gx.numpy(), gw.numpy()


@pytest.fixture(params=["numba", "numpy"])
def dft_kernels(request, monkeypatch):
    """Run a test with the numba weight blocks and copies, and with the NumPy fallback."""
    if request.param == "numpy":
        monkeypatch.setattr(dft_blocks, "kernels", lambda: None)
    else:
        assert dft_blocks.kernels() is not None
    return request.param


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_dft_forward_and_gradients_match_torch(case, dft_kernels):
    _, xs, ws, padding, dilation, groups = case
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    kw = dict(padding=padding, dilation=dilation, groups=groups, algorithm="dft")
    y = conv(x, w, **kw)
    g = rng.standard_normal(y.shape)
    want = _torch_all(x, w, padding, dilation, groups, g)
    got = (y, *conv_backward(g, x, w, **kw)[:2])
    for name, a, b in zip(("output", "input grad", "weight grad"), got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, err_msg=name)


def test_dft_float32_error_on_the_inception_layer():
    """float32 on the benchmark's 1x7 layer: within 1e-5 of a float64 reference."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 160, 17, 17), dtype=np.float32)
    w = rng.standard_normal((160, 160, 1, 7), dtype=np.float32)
    y = conv(x, w, padding=(0, 3), algorithm="dft")
    want = conv(x.astype(np.float64), w.astype(np.float64), padding=(0, 3), algorithm="gemm")
    assert y.dtype == np.float32
    assert np.abs(y - want).max() / np.abs(want).max() < 1e-5


def test_dft_transposed_convolution_matches_torch():
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((2, 4, 5, 9)), rng.standard_normal((4, 3, 1, 5))
    kw = dict(padding=(0, 1))
    y = conv_transpose(x, w, algorithm="dft", **kw)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    ty = F.conv_transpose2d(tx, tw, **kw)
    np.testing.assert_allclose(y, ty.detach().numpy(), atol=1e-10)
    g = rng.standard_normal(y.shape)
    gx, gw = torch.autograd.grad(ty, (tx, tw), torch.tensor(g))
    got = conv_transpose_backward(g, x, w, algorithm="dft", **kw)
    np.testing.assert_allclose(got[0], gx.numpy(), atol=1e-10)
    np.testing.assert_allclose(got[1], gw.numpy(), atol=1e-10)


@pytest.mark.parametrize(
    "weight, stride, length, supported",
    [
        ((8, 8, 1, 7), (1, 1), 23, True),
        ((8, 8, 7, 1), (1, 1), 23, True),
        ((8, 8, 3, 3), (1, 1), 23, False),  # two axes
        ((8, 8, 1, 1), (1, 1), 23, False),  # no axis
        ((8, 8, 1, 7), (1, 2), 23, False),  # strided
        ((8, 8, 1, 7), (1, 1), dft.MAX_LENGTH + 1, False),  # a row too long
    ],
)
def test_dft_supports(weight, stride, length, supported):
    problem = Problem((2, 8, length, length), weight, stride, (1, 1), 1, np.dtype("float32"))
    assert dft.supports(problem) is supported


def test_auto_takes_dft_for_the_inception_pair_and_not_for_3x3():
    def pick(weight, padded):
        return choose(Problem((8, 160, *padded), weight, (1, 1), (1, 1), 1, np.dtype("f4"))).name

    assert pick((160, 160, 1, 7), (17, 23)) == "dft"
    assert pick((160, 160, 7, 1), (23, 17)) == "dft"
    assert pick((160, 160, 3, 3), (19, 19)) != "dft"
    assert pick((160, 160, 1, 3), (224, 226)) != "dft"  # too long for the transforms


@pytest.mark.parametrize("size, padding, reach", [(17, (3, 3), 6), (5, (0, 4), 2), (6, (5, 0), 4)])
def test_transform_length_never_wraps_data_into_an_output(size, padding, reach):
    """Brute force: the cyclic correlation at that length equals the linear one."""
    length = dft.transform_length(size, padding, reach)
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal(size), rng.standard_normal(reach + 1)
    xp = np.pad(x, padding)
    linear = np.correlate(xp, w, mode="valid")
    ring = np.zeros(length)
    np.add.at(ring, (np.arange(size) + padding[0]) % length, x)
    cyclic = [
        sum(ring[(p + t) % length] * w[t] for t in range(reach + 1)) for p in range(len(linear))
    ]
    np.testing.assert_allclose(cyclic, linear, atol=1e-12)


def test_results_never_alias_the_scratch_arrays():
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal((2, 3, 4, 9)), rng.standard_normal((2, 3, 1, 5))
    first = conv(x, w, padding=(0, 2), algorithm="dft")
    kept = first.copy()
    conv(2 * x, w, padding=(0, 2), algorithm="dft")  # reuses every scratch array
    np.testing.assert_array_equal(first, kept)


def test_scratch_is_reused_held_and_released():
    scratch.release()
    a = scratch.scratch("test", (4, 4), np.float32)
    assert scratch.held() == 64
    b = scratch.scratch("test", (2,), np.float64)
    assert np.shares_memory(a, b) and scratch.held() == 64
    scratch.scratch("test", (100,), np.float32)  # grows
    assert scratch.held() == 400
    scratch.release()
    assert scratch.held() == 0


def test_peak_memory_counts_scratch_kept_from_earlier_calls():
    rng = np.random.default_rng(9)
    x, w = rng.standard_normal((1, 3, 64, 64)), rng.standard_normal((8, 3, 5, 5))
    conv(x, w, padding=2, algorithm="gemm")  # leaves its im2col workspace in scratch
    workspace = 3 * 25 * 64 * 64 * 8
    assert peak_traced_bytes(lambda: conv(x, w, padding=2, algorithm="gemm")) >= workspace


def test_dft_in_batch_chunks_matches_torch(monkeypatch):
    monkeypatch.setattr(dft, "WORKSPACE_BYTES", 1)  # one image per chunk
    rng = np.random.default_rng(10)
    x, w = rng.standard_normal((3, 4, 5, 12)), rng.standard_normal((6, 2, 1, 5))
    padding = ((0, 0), (2, 2))
    kw = dict(padding=padding, groups=2, algorithm="dft")
    y = conv(x, w, **kw)
    g = rng.standard_normal(y.shape)
    want = _torch_all(x, w, padding, 1, 2, g)
    got = (y, *conv_backward(g, x, w, **kw)[:2])
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_dft_workspace_is_bounded_by_its_budget(monkeypatch):
    """Chunked over the batch, the data-sized temporaries stay near the budget."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((16, 64, 16, 60), dtype=np.float32)
    w = rng.standard_normal((64, 64, 1, 5), dtype=np.float32)

    def peak(budget):
        monkeypatch.setattr(dft, "WORKSPACE_BYTES", budget)
        return peak_traced_bytes(lambda: conv(x, w, padding=(0, 2), algorithm="dft"))

    whole, chunked = peak(2**30), peak(2**20)
    assert whole > 5 * x.nbytes  # row copy, spectra, products, rows back, output
    # the output, 1 MiB of temporaries per chunk, and weight-sized arrays (2 + 1 MiB here)
    assert chunked < x.nbytes + 5 * 2**20


def test_dft_weight_block_holds_gauss_operands_of_the_conjugate_spectrum(dft_kernels):
    """Per bin, Gauss's three products of ``A + S``, ``A``, ``S`` with ``c``, ``d - c``, ``c +
    d`` give ``conj(W) X`` (real part ``k1 - k3``, imaginary ``k1 + k2``) with ``W = A - iS``
    the DFT of the taps and ``X = c + id``: the complex arithmetic the real products stand
    for (numba and NumPy)."""
    rng = np.random.default_rng(7)
    w = rng.standard_normal((3, 4, 5))
    angle = rng.uniform(0, 2 * np.pi, (6, 5))
    block = dft_blocks.weight_block(w, np.cos(angle), np.sin(angle), "test_block")
    assert block.shape == (18, 3, 4)
    spectrum = np.einsum("oct,bt->boc", w, np.exp(-1j * angle))  # W = A - iS
    x = rng.standard_normal((6, 4)) + 1j * rng.standard_normal((6, 4))
    want = np.einsum("boc,bc->bo", np.conj(spectrum), x)
    c, d = x.real, x.imag
    k1, k2, k3 = (np.einsum("boc,bc->bo", block[i::3], v) for i, v in enumerate([c, d - c, c + d]))
    np.testing.assert_allclose((k1 - k3) + 1j * (k1 + k2), want, atol=1e-12)
    scratch.release()


def test_gauss_transform_matrices_compute_a_cyclic_correlation():
    """``gauss_inverse @ (left * right)`` with the Gauss spectra of the taps (``left``) and
    of a row (``right``) is the row's cyclic correlation with the taps, odd and even
    lengths."""
    rng = np.random.default_rng(3)
    for length in (7, 8):
        x, w = rng.standard_normal(length), rng.standard_normal(length)
        bins, positions = length // 2 + 1, np.arange(length)
        right = dft_blocks.gauss_spectra(bins, positions, length, "float64") @ x
        left = dft_blocks.gauss_spectra(bins, positions, length, "float64", left=True) @ w
        y = dft_blocks.gauss_inverse(bins, positions, length, "float64") @ (left * right)
        want = [x @ np.roll(w, s) for s in range(length)]
        np.testing.assert_allclose(y, want, atol=1e-12)


def test_gauss_rows_keep_every_product_that_does_not_vanish():
    """The products :func:`gauss_rows` leaves out are those of the real bins' ``S`` (zero
    for real taps) and their ``k2`` (``-k1``, read by the inverse with weight zero): the
    correlation through the kept rows alone is the full one, odd and even lengths."""
    rng = np.random.default_rng(8)
    for length, kept in ((7, 3 * 4 - 2), (8, 3 * 5 - 4)):
        x, w = rng.standard_normal(length), rng.standard_normal(length)
        bins, positions = length // 2 + 1, np.arange(length)
        needed = dft_blocks.gauss_rows(bins, length)
        assert len(needed) == kept
        right = dft_blocks.gauss_spectra(bins, positions, length, "float64") @ x
        left = dft_blocks.gauss_spectra(bins, positions, length, "float64", left=True) @ w
        inverse = dft_blocks.gauss_inverse(bins, positions, length, "float64")
        full = inverse @ (left * right)
        np.testing.assert_allclose(inverse[:, needed] @ (left * right)[needed], full, atol=1e-12)
        for b in dft_blocks.real_bins(length):
            assert abs(left[3 * b + 2]) < 1e-12 and np.abs(inverse[:, 3 * b + 1]).max() < 1e-12


def test_dft_permuted_copy_any_view(dft_kernels):
    x = np.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5)
    for order in [(3, 1, 0, 2), (2, 1, 0, 3), (0, 1, 2, 3)]:
        view = x.transpose(order)
        out = np.empty(view.shape)
        dft_blocks.permuted_copy(out, view)
        np.testing.assert_array_equal(out, view)
