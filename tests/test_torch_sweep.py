"""Seeded random sweep of convzoo against PyTorch CPU: forward, gradients, transposed.

Each case (see ``torch_oracle.random_case``) draws 1D/2D/3D, stride 1-3, dilation 1-3,
groups 1 / grouped / depthwise, a padding form (int, tuple, asymmetric (lo, hi) pairs,
'valid', 'same' incl. stride > 1 and even kernels, 'same_lower', 'full'), a padding mode
(zeros, constant with a value, reflect, replicate, circular, symmetric), bias or not,
batch 1-4, odd and even kernels, non-square inputs, output_padding / output_size for
transposed, float64 (checked to 1e-10 relative) or float32 (1e-4). Torch pads with
``F.pad`` (symmetric: ``numpy.pad``'s index map) and convolves with padding 0; where torch
accepts the padding argument itself, the case is also checked against that.
"""

import numpy as np
import pytest
import torch
from torch_oracle import (
    MODES,
    Case,
    assert_close,
    random_case,
    rule_pads,
    torch_conv,
    torch_conv_transpose,
    torch_direct,
    torch_pad,
)

import convzoo


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny problems: torch's thread pool only adds contention on a shared 2-core runner."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


CONV_CASES = [random_case(seed) for seed in range(1000)]
TRANSPOSE_CASES = [random_case(10_000 + seed, transposed=True) for seed in range(500)]
REFERENCE_CASES = [random_case(20_000 + seed, tiny=True) for seed in range(60)]
REFERENCE_TRANSPOSE_CASES = [
    random_case(30_000 + seed, transposed=True, tiny=True) for seed in range(40)
]


def _ids(cases):
    return [case.id for case in cases]


def check_conv(case, algorithm="auto"):
    x, w, b, g = case.arrays()
    kw = case.kwargs()
    expected, grads = torch_conv(case, x, w, b, g)
    y = convzoo.conv(x, w, b, **kw, algorithm=algorithm)
    assert_close(y, expected, case.dtype, "conv")
    direct = torch_direct(case, x, w, b)
    if direct is not None:
        assert_close(y, direct, case.dtype, "conv vs torch's own padding")
    assert convzoo.output_shape(x.shape, w.shape, **_shape_kwargs(kw)) == y.shape
    got = convzoo.conv_backward(g, x, w, **kw, algorithm=algorithm)
    for name, a, e in zip(("grad_input", "grad_weight", "grad_bias"), got, grads):
        assert_close(a, e, case.dtype, name)


def check_conv_transpose(case, algorithm="auto"):
    x, w, b, g = case.arrays()
    kw = case.kwargs()
    expected, grads = torch_conv_transpose(case, x, w, b, g)
    y = convzoo.conv_transpose(x, w, b, **kw, algorithm=algorithm)
    assert_close(y, expected, case.dtype, "conv_transpose")
    direct = torch_direct(case, x, w, b)
    if direct is not None:
        assert_close(y, direct, case.dtype, "conv_transpose vs torch's own padding")
    if not case.use_output_size:
        shape = convzoo.output_shape(x.shape, w.shape, transposed=True, **_shape_kwargs(kw))
        assert shape == y.shape
    got = convzoo.conv_transpose_backward(g, x, w, **kw, algorithm=algorithm)
    for name, a, e in zip(("grad_input", "grad_weight", "grad_bias"), got, grads):
        assert_close(a, e, case.dtype, name)


def _shape_kwargs(kw):
    drop = ("padding_mode", "padding_value", "output_size")
    return {k: v for k, v in kw.items() if k not in drop}


@pytest.mark.slow
@pytest.mark.parametrize("case", CONV_CASES, ids=_ids(CONV_CASES))
def test_conv_matches_torch(case):
    check_conv(case)


@pytest.mark.slow
@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=_ids(TRANSPOSE_CASES))
def test_conv_transpose_matches_torch(case):
    check_conv_transpose(case)


@pytest.mark.parametrize("case", REFERENCE_CASES, ids=_ids(REFERENCE_CASES))
def test_reference_conv_matches_torch(case):
    check_conv(case, algorithm="reference")


@pytest.mark.parametrize("case", REFERENCE_TRANSPOSE_CASES, ids=_ids(REFERENCE_TRANSPOSE_CASES))
def test_reference_conv_transpose_matches_torch(case):
    check_conv_transpose(case, algorithm="reference")


def test_sweep_covers_the_issue():
    """The sweep really contains every dimension, stride, dilation, form and mode."""
    cases = CONV_CASES + TRANSPOSE_CASES
    assert len(cases) >= 1000
    seen = {
        "ndim": {c.ndim for c in cases},
        "stride": {s for c in cases for s in c.stride},
        "dilation": {d for c in cases for d in c.dilation},
        "form": {c.form for c in cases},
        "mode": {c.mode for c in CONV_CASES},
        "batch": {c.batch for c in cases},
        "bias": {c.bias for c in cases},
        "dtype": {c.dtype for c in cases},
    }
    assert seen["ndim"] == {1, 2, 3}
    assert seen["stride"] == seen["dilation"] == {1, 2, 3}
    assert seen["form"] == {"int", "tuple", "pairs", "valid", "same", "same_lower", "full"}
    assert seen["mode"] == {"zeros", "constant", "reflect", "replicate", "circular", "symmetric"}
    assert seen["batch"] == {1, 2, 3, 4}
    assert seen["bias"] == {True, False}
    assert seen["dtype"] == {"float32", "float64"}
    assert any(c.groups == c.c_in > 1 for c in cases), "depthwise"
    assert any(1 < c.groups < c.c_in for c in cases), "grouped"
    assert any(k % 2 == 0 for c in cases for k in c.kernel), "even kernels"
    assert any(len(set(c.spatial)) > 1 for c in cases), "non-square inputs"
    assert any(lo != hi for c in cases for lo, hi in c.pads), "asymmetric padding"
    assert any(c.form == "same" and max(c.stride) > 1 for c in CONV_CASES), "same, stride>1"
    assert any(any(c.output_padding) for c in TRANSPOSE_CASES), "output_padding"
    assert any(c.use_output_size for c in TRANSPOSE_CASES), "output_size"
    short = [c for c in TRANSPOSE_CASES if c.form == "same" and c.extension() != c.output_padding]
    assert short, "transposed 'same' with a kernel shorter than the stride: out = n*s"
    direct = [c for c in cases if torch_direct(c, *c.arrays()[:3]) is not None]
    assert len(direct) > 200, "cases also checked against torch's own padding argument"


def test_symmetric_mode_matches_numpy_pad():
    """'symmetric' has no torch mode: numpy.pad(mode='symmetric') then a padding-0 conv."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 5, 6))
    w = rng.standard_normal((4, 3, 3, 2))
    pads = ((2, 1), (0, 3))
    xp = np.pad(x, ((0, 0), (0, 0), *pads), mode="symmetric")
    expected = torch.nn.functional.conv2d(torch.tensor(xp), torch.tensor(w)).numpy()
    y = convzoo.conv(x, w, padding=pads, padding_mode="symmetric")
    assert_close(y, expected, np.float64, "symmetric")


@pytest.mark.parametrize("budget", [1, 2_000, 20_000], ids=lambda b: f"workspace{b}B")
def test_gemm_chunks_match_torch(monkeypatch, budget):
    """A tiny workspace forces the batch- and row-chunked paths of GEMM's col2im (the
    forward's blocks have their own budget test in tests/test_engine_gemm.py)."""
    from convzoo.engine import col2im

    original = col2im.chunks
    monkeypatch.setattr(col2im, "chunks", lambda *a: original(*a, budget=budget))
    for case in CONV_CASES[:40]:
        check_conv(case, algorithm="gemm")
    for case in TRANSPOSE_CASES[:20]:
        check_conv_transpose(case, algorithm="gemm")


MEDIUM = {
    "resnet-3x3-s2-same-reflect": ((2, 16, 33, 31), (32, 16, 3, 3), 2, "same", 1, "reflect"),
    "depthwise-64-k5-d2": ((1, 64, 20, 18), (64, 1, 5, 5), 1, "same", 2, "zeros", 64),
    "conv3d-k3-s2-circular": ((1, 4, 12, 10, 9), (8, 4, 3, 3, 3), 2, 1, 1, "circular"),
    "conv1d-k7-symmetric": ((3, 8, 100), (16, 8, 7), 3, ((4, 2),), 1, "symmetric"),
}


@pytest.mark.parametrize("name", list(MEDIUM))
def test_medium_sizes_match_torch(name):
    """Layer-sized problems (more than one GEMM block row, real channel counts)."""
    x_shape, w_shape, stride, padding, dilation, mode, *groups = MEDIUM[name]
    groups = groups[0] if groups else 1
    kw = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    ndim = len(w_shape) - 2
    form = padding if isinstance(padding, str) else "pairs" if isinstance(padding, tuple) else "int"
    s, d = (stride,) * ndim, (dilation,) * ndim
    pads = rule_pads(form, padding, x_shape[2:], w_shape[2:], s, d, transposed=False)
    case = Case(False, ndim, x_shape[0], x_shape[1], w_shape[0], groups, x_shape[2:],
                w_shape[2:], s, d, form, padding, pads, mode=mode)  # fmt: skip
    rng = np.random.default_rng(len(name))
    x, w, b = (rng.standard_normal(shape) for shape in (x_shape, w_shape, w_shape[:1]))
    y_shape = convzoo.output_shape(x_shape, w_shape, **kw)
    g = rng.standard_normal(y_shape)
    expected, grads = torch_conv(case, x, w, b, g)
    assert_close(convzoo.conv(x, w, b, **kw, padding_mode=mode), expected, np.float64, name)
    got = convzoo.conv_backward(g, x, w, **kw, padding_mode=mode)
    for what, a, e in zip(("grad_input", "grad_weight", "grad_bias"), got, grads):
        assert_close(a, e, np.float64, what)


def test_dcgan_upsampling_matches_torch():
    """A DCGAN generator layer: 4x4 kernel, stride 2, padding 1 doubles the size."""
    rng = np.random.default_rng(11)
    x, w, b = rng.standard_normal((2, 32, 8, 8)), rng.standard_normal((32, 16, 4, 4)), None
    y = convzoo.conv_transpose(x, w, b, stride=2, padding=1)
    expected = torch.nn.functional.conv_transpose2d(
        torch.tensor(x), torch.tensor(w), stride=2, padding=1
    ).numpy()
    assert y.shape == (2, 16, 16, 16)
    assert_close(y, expected, np.float64, "dcgan")


PAD_CASES = [(mode, ndim) for mode in MODES for ndim in (1, 2, 3)]


@pytest.mark.parametrize("mode, ndim", PAD_CASES, ids=[f"{m}-{n}d" for m, n in PAD_CASES])
def test_pad_and_its_adjoint_match_torch(mode, ndim):
    """convzoo.pad = F.pad (numpy.pad for 'symmetric'); pad_adjoint = F.pad's autograd."""
    from convzoo.padding import pad_adjoint

    rng = np.random.default_rng(ndim)
    x = rng.standard_normal((2, 3, *[5, 4, 6][:ndim]))
    pads = ((3, 1), (0, 2), (4, 4))[:ndim]  # asymmetric, up to the reflect limit n - 1
    value = -0.75 if mode == "constant" else 0.0
    xt = torch.tensor(x, requires_grad=True)
    expected = torch_pad(xt, pads, mode, value)
    np.testing.assert_array_equal(convzoo.pad(x, pads, mode, value), expected.detach().numpy())
    if mode == "symmetric":
        widths = ((0, 0), (0, 0), *pads)
        np.testing.assert_array_equal(convzoo.pad(x, pads, mode), np.pad(x, widths, mode))
    g = rng.standard_normal(expected.shape)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(pad_adjoint(g, pads, mode, x.shape[2:]), xt.grad.numpy(), 1e-12)


@pytest.mark.parametrize("k, s, d", [(1, 2, 1), (2, 3, 1), (1, 3, 1), (2, 4, 2), (3, 2, 1)])
def test_transposed_same_gives_n_times_stride(k, s, d):
    """Regression: with a dilated kernel shorter than the stride, transposed 'same' gave
    (n-1)*s + d*(k-1) + 1 < n*s; the missing cells are now output padding (torch's
    ``output_padding = s - d*(k-1) - 1``), as its docstring promises."""
    rng = np.random.default_rng(k * s * d)
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 2, k)), np.ones(2)
    y = convzoo.conv_transpose(x, w, b, stride=s, dilation=d, padding="same")
    assert y.shape == (2, 2, 4 * s)
    assert convzoo.output_shape(x.shape, w.shape, stride=s, dilation=d, padding="same",
                                transposed=True) == y.shape  # fmt: skip
    crop = max(d * (k - 1) + 1 - s, 0)
    extra = max(s - d * (k - 1) - 1, 0)
    expected = torch.nn.functional.conv_transpose1d(
        torch.tensor(x), torch.tensor(w), torch.tensor(b), s, 0, extra, 1, d
    ).numpy()[..., crop // 2 : crop // 2 + 4 * s]
    assert_close(y, expected, np.float64, "transposed same")


def test_four_spatial_dims_gemm_matches_reference():
    """Any number of spatial dims (torch stops at 3): the GEMM path equals the plain loops."""
    rng = np.random.default_rng(12)
    x, w = rng.standard_normal((2, 4, 5, 4, 3, 4)), rng.standard_normal((6, 2, 2, 3, 1, 2))
    kw = {"stride": (1, 2, 1, 3), "padding": ((1, 0), (0, 2), (1, 1), (2, 1)), "groups": 2}
    kw |= {"dilation": (2, 1, 1, 1), "padding_mode": "reflect"}
    y = convzoo.conv(x, w, **kw)
    assert_close(y, convzoo.conv(x, w, **kw, algorithm="reference"), np.float64, "conv4d")
    g = rng.standard_normal(y.shape)
    fast = convzoo.conv_backward(g, x, w, **kw)
    slow = convzoo.conv_backward(g, x, w, **kw, algorithm="reference")
    for a, e in zip(fast, slow, strict=True):
        assert_close(a, e, np.float64, "conv4d backward")
    kw_t = {"stride": 2, "padding": 1, "output_padding": (1, 0, 1, 0), "groups": 2}
    up = convzoo.conv_transpose(x, w[:4], **kw_t)
    assert_close(up, convzoo.conv_transpose(x, w[:4], **kw_t, algorithm="reference"),
                 np.float64, "conv_transpose4d")  # fmt: skip
