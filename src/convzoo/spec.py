"""ConvSpec: every convolution argument, normalised and checked exactly once.

Each public entry point (``conv``, ``conv_transpose``, their backwards, ``output_shape``, the
layers, the cost model, the visualiser, the Dask tiling) turns its ``int | tuple | str``
arguments into one frozen :class:`ConvSpec` through :func:`make_spec`. Everything downstream
reads per-dimension tuples and ``(lo, hi)`` padding pairs and never re-parses arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._validate import exact_key, int_tuple, positive_int, shape_tuple
from .shapes import conv_length, resolve_padding, transposed_length

__all__ = ["PADDING_MODES", "ConvSpec", "make_spec", "output_shape"]

#: Padding modes and what they put in the padded cells (for a row ``a b c d``, pad 2).
PADDING_MODES = {
    "zeros": "0 0 | a b c d | 0 0",
    "constant": "v v | a b c d | v v   (v = padding_value)",
    "reflect": "c b | a b c d | c b   (mirror, edge not repeated; pad < n)",
    "replicate": "a a | a b c d | d d   (edge repeated)",
    "circular": "c d | a b c d | a b   (wrap around; pad <= n)",
    "symmetric": "b a | a b c d | d c   (mirror, edge repeated; pad <= n)",
}


@dataclass(frozen=True)
class ConvSpec:
    """A fully resolved convolution: shapes and per-dimension hyperparameters.

    Attributes
    ----------
    input_shape : tuple of int
        ``(N, C_in, *spatial)``.
    weight_shape : tuple of int
        ``(C_out, C_in/groups, *k)``, or ``(C_in, C_out/groups, *k)`` when ``transposed``.
    stride, dilation : tuple of int
        One entry per spatial dimension.
    padding : tuple of (int, int)
        ``(lo, hi)`` per spatial dimension. For a transposed convolution these are cropped
        from the output, as in PyTorch.
    groups : int
    padding_mode : str
        One of :data:`PADDING_MODES`.
    padding_value : float
        Fill value of ``'constant'`` mode (``0.0`` for ``'zeros'``).
    transposed : bool
    output_padding : tuple of int
        Extra cells added at the end of a transposed convolution's output.

    Examples
    --------
    >>> from convzoo import make_spec
    >>> spec = make_spec("conv", (8, 3, 224, 224), (64, 3, 7, 7), stride=2, padding=3)
    >>> spec.padding, spec.output_shape
    (((3, 3), (3, 3)), (8, 64, 112, 112))
    >>> spec.in_channels, spec.out_channels, spec.kernel_size, spec.padded_spatial
    (3, 64, (7, 7), (230, 230))
    """

    input_shape: tuple[int, ...]
    weight_shape: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    groups: int = 1
    padding_mode: str = "zeros"
    padding_value: float = 0.0
    transposed: bool = False
    output_padding: tuple[int, ...] = ()

    @property
    def ndim(self) -> int:
        """Number of spatial dimensions."""
        return len(self.input_shape) - 2

    @property
    def batch(self) -> int:
        return self.input_shape[0]

    @property
    def in_channels(self) -> int:
        return self.input_shape[1]

    @property
    def out_channels(self) -> int:
        w = self.weight_shape
        return w[1] * self.groups if self.transposed else w[0]

    @property
    def kernel_size(self) -> tuple[int, ...]:
        return self.weight_shape[2:]

    @property
    def input_spatial(self) -> tuple[int, ...]:
        return self.input_shape[2:]

    @property
    def padded_spatial(self) -> tuple[int, ...]:
        """Spatial size of the padded input (forward) or the uncropped output (transposed)."""
        if self.transposed:
            return tuple(
                o + lo + hi for o, (lo, hi) in zip(self.output_spatial, self.padding, strict=True)
            )
        return tuple(
            n + lo + hi for n, (lo, hi) in zip(self.input_spatial, self.padding, strict=True)
        )

    @property
    def output_spatial(self) -> tuple[int, ...]:
        rows = zip(
            self.input_spatial, self.kernel_size, self.stride, self.dilation, self.padding,
            strict=True,
        )  # fmt: skip
        if self.transposed:
            return tuple(
                transposed_length(n, k, s, d, lo, hi, op)
                for (n, k, s, d, (lo, hi)), op in zip(rows, self.output_padding, strict=True)
            )
        return tuple(conv_length(n, k, s, d, lo, hi) for n, k, s, d, (lo, hi) in rows)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.batch, self.out_channels, *self.output_spatial)

    def forward_view(self) -> ConvSpec:
        """The forward convolution whose adjoint this transposed convolution is.

        Its input is the transposed output before cropping (``padded_spatial``); its output is
        this spec's input. For a forward spec, returns ``self``.
        """
        if not self.transposed:
            return self
        padded = (self.batch, self.out_channels, *self.output_spatial)
        return ConvSpec(
            padded, self.weight_shape, self.stride, self.dilation, self.padding, self.groups
        )


def _check_channels(func, x_shape, w_shape, groups, transposed):
    c_in = x_shape[1]
    if transposed:
        w_name = "weight (C_in, C_out/groups, *kernel)"
        c_out = w_shape[1] * groups
        if c_in % groups:
            raise ValueError(f"{func}: groups={groups} must divide in_channels={c_in}")
        if w_shape[0] != c_in:
            raise ValueError(
                f"{func}: input has {c_in} channels but {w_name} has shape {w_shape}: "
                f"weight.shape[0] must equal in_channels={c_in}"
            )
        return c_out
    w_name = "weight (C_out, C_in/groups, *kernel)"
    c_out = w_shape[0]
    if c_in % groups:
        raise ValueError(f"{func}: groups={groups} must divide in_channels={c_in}")
    if c_out % groups:
        raise ValueError(f"{func}: groups={groups} must divide out_channels={c_out}")
    if w_shape[1] * groups != c_in:
        raise ValueError(
            f"{func}: input has {c_in} channels but {w_name} has shape {w_shape}: "
            f"weight.shape[1] * groups = {w_shape[1]} * {groups} must equal in_channels={c_in}"
        )
    return c_out


def _check_mode(func, mode, value, pads, spatial):
    if mode not in PADDING_MODES:
        raise ValueError(f"{func}: padding_mode must be one of {list(PADDING_MODES)}; got {mode!r}")
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TypeError(f"{func}: padding_value must be a real number; got {value!r}")
    if mode == "zeros" and value != 0:
        raise ValueError(
            f"{func}: padding_value={value} needs padding_mode='constant' (got 'zeros')"
        )
    limits = {"reflect": ("<", lambda p, n: p < n), "circular": ("<=", lambda p, n: p <= n)}
    limits["symmetric"] = limits["circular"]
    if mode in limits:
        sign, ok = limits[mode]
        for dim, ((lo, hi), n) in enumerate(zip(pads, spatial, strict=True)):
            if not (ok(lo, n) and ok(hi, n)):
                raise ValueError(
                    f"{func}: padding_mode={mode!r} needs padding {sign} input size in every "
                    f"dim; got padding ({lo}, {hi}) for size {n} in spatial dim {dim}"
                )


#: Specs made by :func:`make_spec`, by their exact arguments (a model calls its layers with
#: the same few argument sets; checking them again took 15-50 µs a call). At most
#: :data:`SPEC_MEMO_SIZE`; then the memo starts over.
_SPECS: dict = {}
SPEC_MEMO_SIZE = 4096


def make_spec(
    func: str,
    input_shape,
    weight_shape,
    *,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    padding_mode: str = "zeros",
    padding_value: float = 0.0,
    transposed: bool = False,
    output_padding=0,
    output_size=None,
) -> ConvSpec:
    """Check every argument against the shapes and return the resolved :class:`ConvSpec`.

    Parameters
    ----------
    func : str
        Name of the public function being called (it starts every error message).
    input_shape, weight_shape : tuple of int
        See :class:`ConvSpec`. The number of spatial dimensions is ``len(weight_shape) - 2``.
    stride, padding, dilation, groups, padding_mode, padding_value : see :func:`convzoo.conv`
    transposed, output_padding, output_size : see :func:`convzoo.conv_transpose`

    Returns
    -------
    ConvSpec

    Raises
    ------
    ValueError, TypeError
        With a message naming ``func``, the parameter, the rule and the values.

    Examples
    --------
    >>> spec = make_spec("conv", (1, 3, 7, 7), (128, 3, 3, 3))
    >>> spec.output_shape
    (1, 128, 5, 5)
    >>> make_spec("conv", (1, 3, 7, 7), (128, 3, 3, 3), stride=2, padding="same").padding
    ((1, 1), (1, 1))
    """
    arguments = (func, input_shape, weight_shape, stride, padding, dilation, groups,
                 padding_mode, padding_value, transposed, output_padding, output_size)  # fmt: skip
    key = exact_key(arguments)
    spec = _SPECS.get(key) if key is not None else None
    if spec is None:
        spec = _resolve(*arguments)
        if key is not None:
            if len(_SPECS) >= SPEC_MEMO_SIZE:
                _SPECS.clear()
            _SPECS[key] = spec
    return spec


def _resolve(func, input_shape, weight_shape, stride, padding, dilation, groups, padding_mode,
             padding_value, transposed, output_padding, output_size) -> ConvSpec:  # fmt: skip
    """:func:`make_spec`'s checks and resolution (uncached)."""
    x_shape = shape_tuple(func, "input shape", input_shape)
    w_shape = shape_tuple(func, "weight shape", weight_shape)
    if len(w_shape) < 3:
        raise ValueError(
            f"{func}: weight must have shape (C_out, C_in/groups, *kernel) with at least one "
            f"spatial dim; got shape {w_shape}"
        )
    ndim = len(w_shape) - 2
    if len(x_shape) != ndim + 2:
        raise ValueError(
            f"{func}: input must have shape (N, C, *spatial) with {ndim} spatial dims to match "
            f"weight shape {w_shape}; got input shape {x_shape} (ndim {len(x_shape)}, "
            f"expected {ndim + 2})"
        )
    if min(x_shape[1:]) == 0 or min(w_shape) == 0:
        raise ValueError(
            f"{func}: channels, spatial sizes and kernel sizes must be positive; got input "
            f"shape {x_shape} and weight shape {w_shape}"
        )
    groups = positive_int(func, "groups", groups)
    _check_channels(func, x_shape, w_shape, groups, transposed)
    spatial, kernel = x_shape[2:], w_shape[2:]
    s = int_tuple(func, "stride", stride, ndim)
    d = int_tuple(func, "dilation", dilation, ndim)
    pads = resolve_padding(padding, spatial, kernel, s, d, transposed=transposed, func=func)
    if transposed:
        if padding_mode != "zeros":
            raise ValueError(
                f"{func}: padding_mode must be 'zeros' for a transposed convolution (its "
                f"padding crops the output); got {padding_mode!r}"
            )
        op = _output_padding(func, output_padding, output_size, x_shape, w_shape, s, d, pads)
        if isinstance(padding, str) and padding.startswith("same") and output_size is None:
            # a kernel shorter than the stride leaves nothing to crop: extend to n*s instead
            short = (max(si - di * (k - 1) - 1, 0) for si, di, k in zip(s, d, w_shape[2:]))
            op = tuple(o + extra for o, extra in zip(op, short, strict=True))
        spec = ConvSpec(x_shape, w_shape, s, d, pads, groups, transposed=True, output_padding=op)
        if min(spec.output_spatial) < 1:
            raise ValueError(
                f"{func}: padding {pads} crops the whole output; the uncropped output is "
                f"{spec.padded_spatial} for input {spatial}"
            )
        return spec
    if output_size is not None or output_padding != 0:
        raise ValueError(
            f"{func}: output_padding and output_size apply to transposed convolutions only"
        )
    _check_mode(func, padding_mode, padding_value, pads, spatial)
    for dim, (n, k, di, (lo, hi)) in enumerate(zip(spatial, kernel, d, pads, strict=True)):
        if di * (k - 1) + 1 > n + lo + hi:
            raise ValueError(
                f"{func}: the dilated kernel is larger than the padded input in spatial dim "
                f"{dim}: dilation*(kernel-1)+1 = {di}*({k}-1)+1 = {di * (k - 1) + 1} > "
                f"input {n} + padding {lo}+{hi} = {n + lo + hi}"
            )
    value = float(padding_value) if padding_mode == "constant" else 0.0
    return ConvSpec(x_shape, w_shape, s, d, pads, groups, padding_mode, value)


def _output_padding(func, output_padding, output_size, x_shape, w_shape, s, d, pads):
    ndim = len(s)
    if output_size is None:
        op = int_tuple(func, "output_padding", output_padding, ndim, minimum=0)
    else:
        if output_padding != 0:
            raise ValueError(f"{func}: give output_padding or output_size, not both")
        size = tuple(output_size)
        if len(size) == ndim + 2:
            size = size[2:]
        size = int_tuple(func, "output_size", size, ndim)
        smallest = tuple(
            transposed_length(n, k, si, di, lo, hi)
            for n, k, si, di, (lo, hi) in zip(x_shape[2:], w_shape[2:], s, d, pads, strict=True)
        )
        op = tuple(o - m for o, m in zip(size, smallest, strict=True))
        if any(not 0 <= o < max(si, di) for o, si, di in zip(op, s, d, strict=True)):
            largest = tuple(m + max(si, di) - 1 for m, si, di in zip(smallest, s, d, strict=True))
            raise ValueError(
                f"{func}: output_size={size} is not reachable: each size must lie between "
                f"{smallest} and {largest} for this input, stride and dilation"
            )
        return op
    for o, si, di in zip(op, s, d, strict=True):
        if not o < max(si, di):
            raise ValueError(
                f"{func}: output_padding must be smaller than stride or dilation in every dim; "
                f"got output_padding={op}, stride={s}, dilation={d}"
            )
    return op


def output_shape(
    input_shape,
    weight_shape,
    *,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    transposed: bool = False,
    output_padding=0,
) -> tuple[int, ...]:
    """Shape of a convolution's output, from shapes alone (nothing is computed).

    Parameters
    ----------
    input_shape : tuple of int
        ``(N, C_in, *spatial)``.
    weight_shape : tuple of int
        ``(C_out, C_in/groups, *k)``; for ``transposed=True``, ``(C_in, C_out/groups, *k)``.
    stride, padding, dilation, groups, output_padding
        As in :func:`convzoo.conv` and :func:`convzoo.conv_transpose`.
    transposed : bool
        Shape of the transposed convolution instead.

    Returns
    -------
    tuple of int
        ``(N, C_out, *out)`` with ``out = (n + lo + hi - d*(k-1) - 1)//s + 1`` per dimension
        (transposed: ``(n-1)*s - lo - hi + d*(k-1) + output_padding + 1``).

    Examples
    --------
    The seed's two rules: without padding ``W -> W - w + 1``; with 'same' padding and
    stride S, ``W -> ceil(W / S)``:

    >>> output_shape((1, 3, 5, 5), (1, 3, 3, 3))
    (1, 1, 3, 3)
    >>> output_shape((1, 3, 224, 224), (64, 3, 7, 7), stride=2, padding="same")
    (1, 64, 112, 112)
    >>> output_shape((1, 64, 7, 7), (64, 32, 4, 4), stride=2, padding=1, transposed=True)
    (1, 32, 14, 14)
    """
    func = "output_shape"
    spec = make_spec(
        func, input_shape, weight_shape, stride=stride, padding=padding, dilation=dilation,
        groups=groups, transposed=transposed, output_padding=output_padding,
    )  # fmt: skip
    return spec.output_shape
