"""PyTorch as an oracle: seeded random convolution configurations and torch's answers.

Nothing here calls convzoo: padding amounts are recomputed from their textbook rules (the
TensorFlow rule for ``'same'``), padding modes come from ``torch.nn.functional.pad`` (and
``numpy.pad(mode='symmetric')`` for the one mode torch lacks), and gradients from torch
autograd. The sweep tests compare convzoo with these answers.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

PADDING_FORMS = ("int", "tuple", "pairs", "valid", "same", "same_lower", "full")
MODES = ("zeros", "constant", "reflect", "replicate", "circular", "symmetric")
TORCH_MODES = {"constant": "constant", "zeros": "constant", "reflect": "reflect"}
TORCH_MODES |= {"replicate": "replicate", "circular": "circular"}
MAX_SIZE = {1: 13, 2: 8, 3: 5}


@dataclass
class Case:
    """One convolution to check: shapes, hyperparameters and the padding argument."""

    transposed: bool
    ndim: int
    batch: int
    c_in: int
    c_out: int
    groups: int
    spatial: tuple
    kernel: tuple
    stride: tuple
    dilation: tuple
    form: str
    padding: object  # the argument given to convzoo
    pads: tuple  # ((lo, hi), ...) computed by the test from the rule
    mode: str = "zeros"
    value: float = 0.0
    bias: bool = True
    dtype: str = "float64"
    output_padding: tuple = ()
    use_output_size: bool = False
    seed: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        def dims(values):
            return "x".join(map(str, values)) if len(set(values)) > 1 else str(values[0])

        kind = "conv_transpose" if self.transposed else "conv"
        parts = [
            f"{kind}{self.ndim}d",
            f"s{dims(self.stride)}",
            f"d{dims(self.dilation)}",
            f"g{self.groups}" + ("dw" if self.groups == self.c_in > 1 else ""),
            self.form.replace("_", "-"),
        ]
        if not self.transposed:
            parts.append(self.mode)
        elif self.use_output_size:
            parts.append("outsize")
        elif any(self.output_padding):
            parts.append(f"op{dims(self.output_padding)}")
        parts += [
            f"k{'x'.join(map(str, self.kernel))}",
            f"in{'x'.join(map(str, self.spatial))}",
            f"b{self.batch}",
            "bias" if self.bias else "nobias",
            "f32" if self.dtype == "float32" else "f64",
            f"#{self.seed}",
        ]
        return "-".join(parts)

    def arrays(self):
        """Seeded input, weight, bias and output-gradient arrays (float64, then cast)."""
        rng = np.random.default_rng(self.seed)
        x = rng.standard_normal((self.batch, self.c_in, *self.spatial))
        if self.transposed:
            w_shape = (self.c_in, self.c_out // self.groups, *self.kernel)
        else:
            w_shape = (self.c_out, self.c_in // self.groups, *self.kernel)
        w = rng.standard_normal(w_shape)
        b = rng.standard_normal(self.c_out) if self.bias else None
        g = rng.standard_normal((self.batch, self.c_out, *self.output_spatial()))
        cast = [None if a is None else a.astype(self.dtype) for a in (x, w, b, g)]
        return tuple(cast)

    def output_spatial(self):
        out = []
        for i in range(self.ndim):
            n, k, s, d, (lo, hi) = (
                self.spatial[i], self.kernel[i], self.stride[i], self.dilation[i], self.pads[i]
            )  # fmt: skip
            if self.transposed:
                out.append((n - 1) * s - lo - hi + d * (k - 1) + 1 + self.extension()[i])
            else:
                out.append((n + lo + hi - d * (k - 1) - 1) // s + 1)
        return tuple(out)

    def extension(self):
        """Cells added at the end of a transposed output: output_padding, plus for 'same'
        the ``s - d*(k-1) - 1`` cells that make ``out = n*s`` when the kernel is short."""
        extra = [0] * self.ndim
        if self.form in ("same", "same_lower"):
            rows = zip(self.stride, self.dilation, self.kernel)
            extra = [max(s - d * (k - 1) - 1, 0) for s, d, k in rows]
        return tuple(op + e for op, e in zip(self.output_padding, extra))

    def kwargs(self):
        """Keyword arguments for the convzoo call."""
        kw = {
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "groups": self.groups,
        }
        if self.transposed:
            if self.use_output_size:  # spatial sizes, or the full (N, C, *spatial) shape
                full = (self.batch, self.c_out) if self.seed % 2 else ()
                kw["output_size"] = (*full, *self.output_spatial())
            else:
                kw["output_padding"] = self.output_padding
        else:
            kw["padding_mode"] = self.mode
            kw["padding_value"] = self.value
        return kw


def rule_pads(form, padding, spatial, kernel, stride, dilation, transposed):
    """``(lo, hi)`` per dimension from the textbook rule of each padding form."""
    pads = []
    for i, (n, k, s, d) in enumerate(zip(spatial, kernel, stride, dilation)):
        reach = d * (k - 1)
        if form == "int":
            pair = (padding, padding)
        elif form == "tuple":
            pair = (padding[i], padding[i])
        elif form == "pairs":
            pair = tuple(padding[i])
        elif form == "valid" or (form == "full" and transposed):
            pair = (0, 0)
        elif form == "full":
            pair = (reach, reach)
        else:  # 'same' / 'same_lower': TensorFlow's rule, odd cell at the end (or start)
            if transposed:
                total = max(reach + 1 - s, 0)
            else:
                total = max((math.ceil(n / s) - 1) * s + reach + 1 - n, 0)
            small, big = total // 2, total - total // 2
            pair = (big, small) if form == "same_lower" else (small, big)
        pads.append(pair)
    return tuple(pads)


def _valid_conv(case):
    for n, k, d, (lo, hi) in zip(case.spatial, case.kernel, case.dilation, case.pads):
        if d * (k - 1) + 1 > n + lo + hi:
            return False
        if case.mode == "reflect" and max(lo, hi) >= n:
            return False
        if case.mode in ("circular", "symmetric") and max(lo, hi) > n:
            return False
    return True


def random_case(seed, *, transposed=False, ndim=None, dtype=None, tiny=False):
    """A random valid configuration drawn from ``seed`` (the same seed, the same case)."""
    rng = np.random.default_rng(seed)
    ndim = ndim or int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25]))
    for _ in range(1000):
        case = _draw(rng, seed, transposed, ndim, dtype, tiny)
        if transposed and min(case.output_spatial()) >= 1:
            return case
        if not transposed and _valid_conv(case):
            return case
    raise RuntimeError(f"no valid case for seed {seed}")


def _draw(rng, seed, transposed, ndim, dtype, tiny):
    def pick(values, p=None):
        return values[int(rng.choice(len(values), p=p))]

    max_size = 4 if tiny else MAX_SIZE[ndim]
    max_k = 3 if (tiny or ndim == 3) else 4
    kernel = tuple(int(rng.integers(1, max_k + 1)) for _ in range(ndim))
    stride = tuple(int(rng.integers(1, 4)) for _ in range(ndim))
    dilation = tuple(int(rng.integers(1, 4)) for _ in range(ndim))
    if rng.random() < 0.4:  # many cases with one shared value, as most layers use
        stride, dilation = (stride[0],) * ndim, (dilation[0],) * ndim
    spatial = tuple(int(rng.integers(1, max_size + 1)) for _ in range(ndim))
    groups_kind = pick(["one", "grouped", "depthwise"], p=[0.5, 0.3, 0.2])
    if groups_kind == "one":
        groups, c_in, c_out = 1, int(rng.integers(1, 4)), int(rng.integers(1, 4))
    elif groups_kind == "grouped":
        groups = int(rng.integers(2, 4))
        c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    else:
        groups = int(rng.integers(2, 5))
        c_in, c_out = groups, groups * int(rng.integers(1, 3))
    if tiny:
        c_in, c_out = min(c_in, groups * 2), min(c_out, groups * 2)
    form = pick(PADDING_FORMS)
    padding = {
        "int": int(rng.integers(0, 3)),
        "tuple": tuple(int(rng.integers(0, 3)) for _ in range(ndim)),
        "pairs": tuple((int(rng.integers(0, 4)), int(rng.integers(0, 4))) for _ in range(ndim)),
    }.get(form, form)
    pads = rule_pads(form, padding, spatial, kernel, stride, dilation, transposed)
    case = Case(
        transposed, ndim, int(rng.integers(1, 3 if tiny else 5)), c_in, c_out, groups,
        spatial, kernel, stride, dilation, form, padding, pads,
        bias=bool(rng.random() < 0.6),
        dtype=dtype or pick(["float64", "float32"], p=[0.6, 0.4]),
        seed=seed,
    )  # fmt: skip
    if transposed:
        limits = [max(s, d) for s, d in zip(stride, dilation)]
        if rng.random() < 0.5:
            case.output_padding = tuple(int(rng.integers(0, m)) for m in limits)
        else:
            case.output_padding = (0,) * ndim
        # torch's output_size accepts output_padding < stride only (not < dilation)
        fits = all(op < s for op, s in zip(case.output_padding, stride))
        case.use_output_size = bool(rng.random() < 0.2 and form in ("int", "tuple") and fits)
    else:
        case.mode = pick(MODES)
        if case.mode == "constant":
            case.value = float(pick([1.0, -2.5, 0.5]))
    return case


# ------------------------------------------------------------------------------ torch side


def _conv_fn(ndim, transposed):
    names = ("conv_transpose" if transposed else "conv") + f"{ndim}d"
    return getattr(F, names)


def torch_pad(x, pads, mode, value):
    """Pad a tensor in any mode; 'symmetric' by gathering along numpy.pad's index map."""
    if mode == "symmetric":
        for axis, (lo, hi) in enumerate(pads, start=2):
            index = np.pad(np.arange(x.shape[axis]), (lo, hi), mode="symmetric")
            x = torch.index_select(x, axis, torch.from_numpy(index))
        return x
    flat = [v for lo_hi in reversed(pads) for v in lo_hi]  # last dim first
    if not any(flat):
        return x
    if mode in ("zeros", "constant"):
        return F.pad(x, flat, mode="constant", value=value)
    return F.pad(x, flat, mode=TORCH_MODES[mode])


def torch_conv(case, x, w, b, g):
    """Output and (grad_input, grad_weight, grad_bias) of the case by torch autograd."""
    xt, wt = (torch.tensor(a, requires_grad=True) for a in (x, w))
    bt = torch.tensor(b, requires_grad=True) if b is not None else None
    xp = torch_pad(xt, case.pads, case.mode, case.value)
    y = _conv_fn(case.ndim, False)(xp, wt, bt, case.stride, 0, case.dilation, case.groups)
    y.backward(torch.tensor(g))
    grad_bias = bt.grad.numpy() if bt is not None else g.sum(axis=(0, *range(2, g.ndim)))
    return y.detach().numpy(), (xt.grad.numpy(), wt.grad.numpy(), grad_bias)


def torch_conv_transpose(case, x, w, b, g):
    """Output and gradients of the transposed case, cropping torch's unpadded result."""
    xt, wt = (torch.tensor(a, requires_grad=True) for a in (x, w))
    bt = torch.tensor(b, requires_grad=True) if b is not None else None
    fn = _conv_fn(case.ndim, True)
    full = fn(xt, wt, None, case.stride, 0, 0, case.groups, case.dilation)
    # cells past the last kernel stamp (output_padding) get the bias only
    full = F.pad(full, [v for e in reversed(case.extension()) for v in (0, e)])
    crop = tuple(slice(lo, lo + o) for (lo, _), o in zip(case.pads, case.output_spatial()))
    y = full[(Ellipsis, *crop)]
    if bt is not None:
        y = y + bt.reshape(1, -1, *([1] * case.ndim))
    y.backward(torch.tensor(g))
    grad_bias = bt.grad.numpy() if bt is not None else g.sum(axis=(0, *range(2, g.ndim)))
    return y.detach().numpy(), (xt.grad.numpy(), wt.grad.numpy(), grad_bias)


def torch_direct(case, x, w, b):
    """torch's own padding argument, where torch accepts this case's padding (else None).

    Symmetric int/tuple padding in zeros mode, ``padding='same'`` at stride 1 and
    ``'valid'`` for ``conv``; int/tuple padding (and ``output_size``) for ``conv_transpose``.
    """
    xt, wt = torch.tensor(x), torch.tensor(w)
    bt = torch.tensor(b) if b is not None else None
    symmetric = all(lo == hi for lo, hi in case.pads)
    if case.transposed:
        if case.form not in ("int", "tuple", "valid") or not symmetric:
            return None
        pads = tuple(lo for lo, _ in case.pads)
        module = getattr(torch.nn, f"ConvTranspose{case.ndim}d")(
            case.c_in, case.c_out, case.kernel, case.stride, pads, case.output_padding,
            case.groups, case.bias, case.dilation, dtype=xt.dtype,
        )  # fmt: skip
        with torch.no_grad():
            module.weight.copy_(wt)
            if bt is not None:
                module.bias.copy_(bt)
            size = case.output_spatial() if case.use_output_size else None
            return module(xt, output_size=size).numpy()
    if case.mode != "zeros":
        return None
    if case.form in ("same", "valid") and (case.form == "valid" or set(case.stride) == {1}):
        padding = case.form
    elif case.form in ("int", "tuple") or (case.form == "pairs" and symmetric):
        padding = tuple(lo for lo, _ in case.pads)
    else:
        return None
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 'same' with even kernels copies
        y = _conv_fn(case.ndim, False)(xt, wt, bt, case.stride, padding, case.dilation, case.groups)
    return y.numpy()


def assert_close(actual, expected, dtype, what=""):
    """Max error within 1e-10 (float64) or 1e-4 (float32) of the largest expected value."""
    rtol = 1e-10 if np.dtype(dtype) == np.float64 else 1e-4
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == np.dtype(dtype), f"{what}: dtype {actual.dtype} != {dtype}"
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1.0)
    error = float(np.max(np.abs(actual.astype(np.float64) - expected), initial=0.0))
    assert error <= rtol * scale, f"{what}: max error {error:.3g} > {rtol:g} * {scale:.3g}"
