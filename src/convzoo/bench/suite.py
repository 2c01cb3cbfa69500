"""The benchmark suite: one layer per convolution type, at the sizes real networks use.

Each :class:`Layer` builds a :class:`Case`: seeded float32 arrays and six zero-argument
callables (convzoo, PyTorch and the textbook NumPy version, forward and backward), plus the
FLOPs and the compulsory memory traffic used for the roofline, and the FLOPs of the
cheapest conceivable algorithm (:func:`.ceiling.fewest_macs`) used for the speed-up
ceiling. Backward means the input and weight gradients of the whole sequence (PyTorch
reuses a recorded graph, so only its backward pass is timed). Batch 8 throughout.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import conv, conv_backward, conv_transpose, conv_transpose_backward, make_spec
from ..engine.select import Problem, choose, choose_transpose
from ..functional.fused import (
    depthwise_separable,
    shuffle_pointwise_grouped,
    shuffle_pointwise_grouped_backward,
)
from . import textbook
from .ceiling import fewest_macs

__all__ = ["Case", "Layer", "SUITE", "QUICK", "suite"]

BATCH = 8


@dataclass
class Case:
    """Everything the runner needs for one layer (callables take no arguments)."""

    ops: dict[str, Callable[[], object]]
    flops: float  # forward, direct method (2 per multiply-add)
    fewest_flops: float  # forward, the cheapest conceivable algorithm (.ceiling)
    bytes_fwd: int  # compulsory traffic: input + weights + output
    bytes_bwd: int  # input + weights + output gradient read, input and weight gradients written
    in_out_bytes: int
    algorithm: str  # what 'auto' chose (forward / input gradient / weight gradient)
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Layer:
    name: str
    description: str
    build: Callable[[np.random.Generator, int], Case]


def _torch():
    try:
        import torch
    except ImportError as error:  # pragma: no cover
        raise ImportError(
            "the benchmark compares with PyTorch: pip install convzoo[torch]"
        ) from error
    return torch


def _nbytes(*arrays):
    return int(sum(a.nbytes for a in arrays))


def _algorithms(x, w, spec):
    xp_shape = (x.shape[0], x.shape[1], *spec.padded_spatial)
    problem = Problem(xp_shape, w.shape, spec.stride, spec.dilation, spec.groups, x.dtype)
    g = np.zeros(spec.output_shape, x.dtype)  # finite: non-finite data would route to GEMM
    t, native = choose_transpose(g, w, spec.stride, spec.dilation, spec.groups, spec.padded_spatial)
    return (
        f"{choose(problem).name} / {t.name}{'' if native else '(adjoint)'} / "
        f"{choose(problem, weight_grad=True).name}"
    )


def _conv_case(rng, batch, x_shape, w_shape, **kw) -> Case:
    """A single convolution (torch.nn.functional.conv{1,2,3}d)."""
    torch = _torch()
    x = rng.standard_normal((batch, *x_shape), dtype=np.float32)
    w = rng.standard_normal(w_shape, dtype=np.float32) / math.sqrt(math.prod(w_shape[1:]))
    spec = make_spec("conv", x.shape, w.shape, **kw)
    y = conv(x, w, **kw)
    gy = rng.standard_normal(y.shape, dtype=np.float32)
    fn = {
        3: torch.nn.functional.conv1d,
        4: torch.nn.functional.conv2d,
        5: torch.nn.functional.conv3d,
    }[x.ndim]
    tkw = dict(stride=spec.stride, dilation=spec.dilation, groups=spec.groups)
    pads = spec.padding
    tx, tw = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
    t_pad = tuple(p for pair in reversed(pads) for p in pair)
    ty = fn(torch.nn.functional.pad(tx, t_pad), tw, **tkw)
    tg = torch.from_numpy(gy)
    textbook_args = (spec.stride, pads, spec.dilation, spec.groups)
    ops = {
        "convzoo_fwd": lambda: conv(x, w, **kw),
        "convzoo_bwd": lambda: conv_backward(gy, x, w, **kw)[:2],
        "torch_fwd": lambda: fn(torch.nn.functional.pad(tx, t_pad), tw, **tkw),
        "torch_bwd": lambda: torch.autograd.grad(ty, (tx, tw), tg, retain_graph=True),
        "numpy_fwd": lambda: textbook.forward(x, w, *textbook_args),
        "numpy_bwd": lambda: textbook.backward(gy, x, w, *textbook_args),
    }
    if all(lo == hi for lo, hi in pads):  # symmetric: let torch pad inside the conv
        tkw["padding"] = tuple(lo for lo, _ in pads)
        ty = fn(tx, tw, **tkw)
        ops["torch_fwd"] = lambda: fn(tx, tw, **tkw)
    problem = Problem((batch, x.shape[1], *spec.padded_spatial), w.shape, spec.stride,
                      spec.dilation, spec.groups, x.dtype)  # fmt: skip
    return Case(
        ops, 2.0 * problem.macs, 2.0 * fewest_macs(problem), _nbytes(x, w, y),
        _nbytes(x, w, gy, x, w), _nbytes(x, y), _algorithms(x, w, spec),
    )  # fmt: skip


def _transposed_case(rng, batch) -> Case:
    """DCGAN-style 4x4 stride-2 transposed convolution, 128 -> 64 channels, 16 -> 32."""
    torch = _torch()
    x = rng.standard_normal((batch, 128, 16, 16), dtype=np.float32)
    w = rng.standard_normal((128, 64, 4, 4), dtype=np.float32) / 32
    kw = dict(stride=2, padding=1)
    y = conv_transpose(x, w, **kw)
    gy = rng.standard_normal(y.shape, dtype=np.float32)
    tx, tw = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
    f = torch.nn.functional.conv_transpose2d
    ty, tg = f(tx, tw, **kw), torch.from_numpy(gy)
    # textbook: the transposed conv is the input gradient of a forward conv (col2im)
    fwd_w = w  # (C_in_t, C_out_t, k) is the forward weight (C_out, C_in, k) of the adjoint
    pads = ((1, 1), (1, 1))

    def numpy_fwd():
        zero_x = np.zeros((batch, 64, 32, 32), np.float32)
        return textbook.backward(x, zero_x, fwd_w, (2, 2), pads, (1, 1), 1)[0]

    def numpy_bwd():
        gx = textbook.forward(gy, fwd_w, (2, 2), pads, (1, 1), 1)
        gw = textbook.backward(x, gy, fwd_w, (2, 2), pads, (1, 1), 1)[1]
        return gx, gw

    ops = {
        "convzoo_fwd": lambda: conv_transpose(x, w, **kw),
        "convzoo_bwd": lambda: conv_transpose_backward(gy, x, w, **kw)[:2],
        "torch_fwd": lambda: f(tx, tw, **kw),
        "torch_bwd": lambda: torch.autograd.grad(ty, (tx, tw), tg, retain_graph=True),
        "numpy_fwd": numpy_fwd,
        "numpy_bwd": numpy_bwd,
    }
    macs = batch * 128 * 64 * 16 * 16 * 16
    fewest = y.size * x.shape[1]  # one per output element per input channel (fewest_macs)
    spec = make_spec("conv", y.shape, w.shape, **kw)
    return Case(ops, 2.0 * macs, 2.0 * fewest, _nbytes(x, w, y), _nbytes(x, w, gy, x, w),
                _nbytes(x, y), "transpose: " + _algorithms(y, w, spec))  # fmt: skip


def _chain(convs, x, gy):
    """Backward through a chain of convs: recompute nothing, keep each op's input."""
    inputs = [x]
    for w, kw in convs[:-1]:
        inputs.append(conv(inputs[-1], w, **kw))
    grads = []

    def backward():
        g = gy
        for (w, kw), inp in zip(reversed(convs), reversed(inputs)):
            g, gw, _ = conv_backward(g, inp, w, **kw)
            grads.append(gw)
        return g

    return backward


def _sequence_case(rng, batch, x_shape, convs_spec, fused=None) -> Case:
    """A sequence of convolutions (weights: list of (shape, keywords))."""
    torch = _torch()
    x = rng.standard_normal((batch, *x_shape), dtype=np.float32)
    convs = [
        (rng.standard_normal(s, dtype=np.float32) / math.sqrt(math.prod(s[1:])), kw)
        for s, kw in convs_spec
    ]
    h, macs, fewest, textbook_steps = x, 0, 0, []
    for w, kw in convs:
        spec = make_spec("conv", h.shape, w.shape, **kw)
        problem = Problem((batch, h.shape[1], *spec.padded_spatial), w.shape, spec.stride,
                          spec.dilation, spec.groups, h.dtype)  # fmt: skip
        macs, fewest = macs + problem.macs, fewest + fewest_macs(problem)
        textbook_steps.append((w, (spec.stride, spec.padding, spec.dilation, spec.groups)))
        h = conv(h, w, **kw)
    y = h
    gy = rng.standard_normal(y.shape, dtype=np.float32)
    tx = torch.from_numpy(x).requires_grad_()
    tws = [torch.from_numpy(w).requires_grad_() for w, _ in convs]

    def torch_fwd():
        t = tx
        for tw, (_, kw) in zip(tws, convs):
            t = torch.nn.functional.conv2d(t, tw, **kw)
        return t

    ty, tg = torch_fwd(), torch.from_numpy(gy)

    def numpy_fwd():
        t = x
        for w, args in textbook_steps:
            t = textbook.forward(t, w, *args)
        return t

    acts = [x]
    for w, args in textbook_steps[:-1]:
        acts.append(textbook.forward(acts[-1], w, *args))

    def numpy_bwd():
        g = gy
        for (w, args), a in zip(reversed(textbook_steps), reversed(acts)):
            g, _ = textbook.backward(g, a, w, *args)
        return g

    ops = {
        "convzoo_fwd": fused if fused is not None else (lambda: _run_chain(x, convs)),
        "convzoo_bwd": _chain(convs, x, gy),
        "torch_fwd": torch_fwd,
        "torch_bwd": lambda: torch.autograd.grad(ty, [tx, *tws], tg, retain_graph=True),
        "numpy_fwd": numpy_fwd,
        "numpy_bwd": numpy_bwd,
    }
    weights = [w for w, _ in convs]
    algorithm = "fused" if fused is not None else "chain of auto"
    return Case(ops, 2.0 * macs, 2.0 * fewest, _nbytes(x, *weights, y),
                _nbytes(x, *weights, gy, x, *weights), _nbytes(x, y), algorithm,
                {"inputs": (x, convs)})  # fmt: skip


def _run_chain(x, convs):
    for w, kw in convs:
        x = conv(x, w, **kw)
    return x


def _depthwise_separable(rng, batch) -> Case:
    """MobileNet block at 56x56: depthwise 3x3 (128) then pointwise 128 -> 128, fused."""
    case = _sequence_case(
        rng, batch, (128, 56, 56),
        [((128, 1, 3, 3), dict(padding=1, groups=128)), ((128, 128, 1, 1), {})],
    )  # fmt: skip
    x, ((dw, _), (pw, _)) = case.extra["inputs"]
    case.ops["convzoo_fwd"] = lambda: depthwise_separable(x, dw, pw, padding=1)
    case.algorithm = "fused depthwise_separable / direct + gemm"
    return case


def _shuffle(x, s):
    n, c, *rest = x.shape
    return x.reshape(n, s, c // s, *rest).swapaxes(1, 2).reshape(x.shape)  # (N,s,C/s)->(N,C/s,s)


def _shuffle_pointwise(rng, batch) -> Case:
    """ShuffleNet (g=3) stage 2: channel shuffle of 240 channels, then 1x1 grouped 240 -> 60."""
    torch = _torch()
    x = rng.standard_normal((batch, 240, 28, 28), dtype=np.float32)
    w = rng.standard_normal((60, 80, 1, 1), dtype=np.float32) / 9
    y = shuffle_pointwise_grouped(x, w, groups=3, shuffle_groups=3)
    gy = rng.standard_normal(y.shape, dtype=np.float32)
    tx, tw = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()

    def torch_fwd():
        shuffled = tx.view(batch, 3, 80, 28, 28).transpose(1, 2).reshape(batch, 240, 28, 28)
        return torch.nn.functional.conv2d(shuffled, tw, groups=3)

    ty, tg = torch_fwd(), torch.from_numpy(gy)

    args = ((1, 1), ((0, 0), (0, 0)), (1, 1), 3)
    ops = {
        "convzoo_fwd": lambda: shuffle_pointwise_grouped(x, w, groups=3, shuffle_groups=3),
        "convzoo_bwd": lambda: shuffle_pointwise_grouped_backward(
            gy, x, w, groups=3, shuffle_groups=3
        )[:2],
        "torch_fwd": torch_fwd,
        "torch_bwd": lambda: torch.autograd.grad(ty, (tx, tw), tg, retain_graph=True),
        "numpy_fwd": lambda: textbook.forward(_shuffle(x, 3), w, *args),
        "numpy_bwd": lambda: textbook.backward(gy, _shuffle(x, 3), w, *args),
    }
    macs = batch * 60 * 80 * 28 * 28  # a 1x1 kernel: the fewest there can be
    return Case(ops, 2.0 * macs, 2.0 * macs, _nbytes(x, w, y), _nbytes(x, w, gy, x, w),
                _nbytes(x, y), "fused shuffle_pointwise_grouped / fused backward")  # fmt: skip


def _layer(name, description, x_shape, w_shape, **kw):
    return Layer(name, description, lambda rng, b: _conv_case(rng, b, x_shape, w_shape, **kw))


SUITE: list[Layer] = [
    _layer("resnet3x3_64", "ResNet 3x3, 64->64, 56x56", (64, 56, 56), (64, 64, 3, 3), padding=1),
    _layer(
        "resnet3x3_256", "ResNet 3x3, 256->256, 14x14", (256, 14, 14), (256, 256, 3, 3), padding=1
    ),  # fmt: skip
    _layer("pointwise_256_64", "1x1, 256->64, 56x56", (256, 56, 56), (64, 256, 1, 1)),
    _layer(
        "stem7x7_s2",
        "7x7 stride-2 stem, 3->64, 224x224",
        (3, 224, 224),
        (64, 3, 7, 7),
        stride=2,
        padding=3,
    ),  # fmt: skip
    _layer(
        "depthwise3x3_s1",
        "depthwise 3x3 s1, 128 ch, 56x56 (MobileNet)",
        (128, 56, 56),
        (128, 1, 3, 3),
        padding=1,
        groups=128,
    ),  # fmt: skip
    _layer(
        "depthwise3x3_s2",
        "depthwise 3x3 s2, 128 ch, 56->28 (MobileNet)",
        (128, 56, 56),
        (128, 1, 3, 3),
        stride=2,
        padding=1,
        groups=128,
    ),  # fmt: skip
    Layer(
        "depthwise_separable", "MobileNet block: dw 3x3 + pw 128->128, 56x56", _depthwise_separable
    ),  # fmt: skip
    _layer(
        "grouped3x3_resnext",
        "ResNeXt 32x4d 3x3, 128 ch, 32 groups, 56x56",
        (128, 56, 56),
        (128, 4, 3, 3),
        padding=1,
        groups=32,
    ),  # fmt: skip
    Layer(
        "shuffle_pointwise_g3",
        "ShuffleNet g=3: shuffle + 1x1 grouped 240->60, 28x28",
        _shuffle_pointwise,
    ),  # fmt: skip
    Layer(
        "separable_7x1_1x7",
        "Inception 1x7 then 7x1, 160->160, 17x17",
        lambda rng, b: _sequence_case(
            rng,
            b,
            (160, 17, 17),
            [((160, 160, 1, 7), dict(padding=(0, 3))), ((160, 160, 7, 1), dict(padding=(3, 0)))],
        ),
    ),  # fmt: skip
    _layer(
        "dilated3x3_d2",
        "dilated 3x3 d=2, 128->128, 28x28",
        (128, 28, 28),
        (128, 128, 3, 3),
        padding=2,
        dilation=2,
    ),  # fmt: skip
    Layer("transposed4x4_s2", "transposed 4x4 s2, 128->64, 16->32 (DCGAN)", _transposed_case),
    _layer(
        "conv3d_3x3x3", "3D 3x3x3, 64->64, 16x56x56", (64, 16, 56, 56), (64, 64, 3, 3, 3), padding=1
    ),  # fmt: skip
    _layer("conv1d_k9", "1D k=9, 128->128, length 2048", (128, 2048), (128, 128, 9), padding=4),
]

#: A tiny suite (same code paths, small sizes) for smoke tests and ``--quick``.
QUICK: list[Layer] = [
    _layer("quick_3x3", "3x3, 8->8, 12x12", (8, 12, 12), (8, 8, 3, 3), padding=1),
    _layer(
        "quick_depthwise",
        "depthwise 3x3, 8 ch, 12x12",
        (8, 12, 12),
        (8, 1, 3, 3),
        padding=1,
        groups=8,
    ),  # fmt: skip
    Layer("quick_transposed", "transposed 4x4 s2 (full size)", _transposed_case),
]


def suite(quick: bool = False, only=None) -> list[Layer]:
    """The layers to run: the full suite or the quick one, optionally filtered by name."""
    layers = QUICK if quick else SUITE
    if only:
        unknown = sorted(set(only) - {layer.name for layer in layers})
        if unknown:
            names = ", ".join(layer.name for layer in layers)
            raise ValueError(f"bench: unknown layer(s) {unknown}; choose from {names}")
        layers = [layer for layer in layers if layer.name in only]
    return layers
