"""The seed's "calculation comparison", for any layer: one convolution, five ways.

Standard vs depthwise separable (MobileNet, Xception) vs grouped (AlexNet) vs shuffled
grouped (ShuffleNet) vs spatially separable, all mapping the same input to the same output
shape, with each variant's cost as a ratio of the standard one's.

References
----------
A. G. Howard et al., "MobileNets", arXiv:1704.04861 (ratio ``1/N + 1/D_K^2``, eq. 5).
X. Zhang et al., "ShuffleNet", arXiv:1707.01083.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd

from .._validate import int_tuple, positive_int, shape_tuple
from ..spec import make_spec
from .conv import cost_of_spec
from .rules import movement_cost
from .types import DEFAULT_ITEMSIZE, Cost

__all__ = ["Variant", "Comparison", "compare"]


@dataclass(frozen=True)
class Variant:
    """One way to build the layer: its name, its steps and its summed :class:`Cost`."""

    name: str
    steps: str
    cost: Cost
    ratio: Fraction
    """Multiplications relative to the standard convolution, exactly."""


@dataclass(frozen=True)
class Comparison:
    """Rows of :func:`compare`; ``comparison["depthwise separable"]`` picks one by name."""

    input_shape: tuple[int, ...]
    rows: tuple[Variant, ...]
    notes: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Variant:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"Comparison: no variant {name!r}; have {[r.name for r in self.rows]}")

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def to_markdown(self) -> str:
        """The comparison as a GitHub markdown table."""
        lines = [
            "| variant | steps | mults | adds | params | mults vs standard |",
            "|---|---|--:|--:|--:|--:|",
        ]
        for row in self.rows:
            c = row.cost
            lines.append(
                f"| {row.name} | {row.steps} | {c.mults:,} | {c.adds:,} | {c.params:,} | "
                f"{float(row.ratio):.1%} |"
            )
        lines.extend(f"\n_{note}_" for note in self.notes)
        return "\n".join(lines)


def compare(
    in_shape,
    out_channels: int,
    kernel_size,
    *,
    stride=1,
    padding=0,
    dilation=1,
    groups: int | None = None,
    bias: bool = False,
    exact: bool = False,
    itemsize: int = DEFAULT_ITEMSIZE,
) -> Comparison:
    """Cost of one convolution built five ways, with ratios to the standard one.

    Parameters
    ----------
    in_shape : tuple of int, shape (N, C_in, *spatial)
    out_channels : int
    kernel_size : int or tuple of int
    stride, padding, dilation
        As in :func:`convzoo.conv`; the depthwise and spatial steps take them, the 1x1
        steps have none.
    groups : int, optional
        Groups of the grouped variants; by default the smallest ``g > 1`` dividing both
        channel counts (the grouped rows are left out, with a note, if there is none).
    bias, exact, itemsize
        As in :func:`convzoo.costmodel.conv.cost_of_spec`.

    Returns
    -------
    Comparison
        Rows ``standard``, ``depthwise separable`` (k×k depthwise then 1×1),
        ``grouped``, ``shuffled grouped`` (grouped then a channel shuffle: same arithmetic,
        one more copy), ``spatially separable`` (a ``k_1×1`` convolution ``C_in -> C_out``
        then a depthwise ``1×k_2`` one per further dimension).

    Notes
    -----
    Without padding, depthwise separable / standard ``= 1/C_out + 1/K`` exactly, and
    grouped / standard ``= 1/g``.

    Examples
    --------
    The seed's example: 7×7×3 input, 128 filters of 3×3×3.

    >>> table = compare((1, 3, 7, 7), 128, 3)
    >>> table["standard"].cost.mults, table["depthwise separable"].cost.mults
    (86400, 10275)
    >>> table["depthwise separable"].ratio == Fraction(1, 128) + Fraction(1, 9)
    True
    >>> [row.name for row in table]
    ['standard', 'depthwise separable', 'spatially separable']
    """
    func = "compare"
    x_shape = shape_tuple(func, "in_shape", in_shape)
    if len(x_shape) < 3:
        raise ValueError(
            f"{func}: in_shape must be (N, C_in, *spatial) with at least one spatial dim; "
            f"got {x_shape}"
        )
    ndim = len(x_shape) - 2
    c_in = x_shape[1]
    c_out = positive_int(func, "out_channels", out_channels)
    k = int_tuple(func, "kernel_size", kernel_size, ndim)
    s = int_tuple(func, "stride", stride, ndim)
    d = int_tuple(func, "dilation", dilation, ndim)
    opts = {"bias": bias, "exact": exact, "itemsize": itemsize}

    def conv(shape, c_o, kernel, g=1, **kw) -> Cost:
        spec = make_spec(func, shape, (c_o, shape[1] // g, *kernel), groups=g, **kw)
        return cost_of_spec(spec, **opts)

    standard = conv(x_shape, c_out, k, stride=s, padding=padding, dilation=d)
    pads = make_spec(func, x_shape, (c_out, c_in, *k), stride=s, padding=padding,
                     dilation=d).padding  # fmt: skip
    rows = [("standard", f"{_k(k)} conv {c_in}->{c_out}", standard)]
    dw = conv(x_shape, c_in, k, c_in, stride=s, padding=pads, dilation=d)
    pw = conv(dw.output_shape, c_out, (1,) * ndim)
    rows.append(("depthwise separable", f"{_k(k)} depthwise, 1x1 {c_in}->{c_out}", dw + pw))
    notes = []
    g = _groups(func, groups, c_in, c_out)
    if g is None:
        notes.append(f"no grouped rows: no groups > 1 divide both {c_in} and {c_out} channels")
    else:
        grouped = conv(x_shape, c_out, k, g, stride=s, padding=pads, dilation=d)
        shuffle = movement_cost([grouped.output_shape], grouped.output_shape, itemsize=itemsize)
        rows.append(("grouped", f"{_k(k)} conv, {g} groups", grouped))
        rows.append(("shuffled grouped", f"{_k(k)} conv, {g} groups, shuffle", grouped + shuffle))
    steps, shape, total = [], x_shape, None
    for dim in range(ndim):
        one_d = tuple(k[i] if i == dim else 1 for i in range(ndim))
        axis = {
            "stride": tuple(s[i] if i == dim else 1 for i in range(ndim)),
            "dilation": tuple(d[i] if i == dim else 1 for i in range(ndim)),
            "padding": tuple(pads[i] if i == dim else (0, 0) for i in range(ndim)),
        }
        step = conv(shape, c_out, one_d, 1 if dim == 0 else c_out, **axis)
        steps.append(f"{_k(one_d)}" + (f" conv {c_in}->{c_out}" if dim == 0 else " depthwise"))
        total = step if total is None else total + step
        shape = step.output_shape
    rows.append(("spatially separable", ", ".join(steps), total))
    variants = tuple(
        Variant(name, how, cost, Fraction(cost.mults, standard.mults)) for name, how, cost in rows
    )
    return Comparison(x_shape, variants, tuple(notes))


def _k(kernel) -> str:
    return "x".join(str(n) for n in kernel)


def _groups(func, groups, c_in, c_out):
    if groups is None:
        common = gcd(c_in, c_out)
        return next((g for g in range(2, common + 1) if common % g == 0), None)
    g = positive_int(func, "groups", groups)
    if c_in % g or c_out % g:
        raise ValueError(
            f"{func}: groups={g} must divide in_channels={c_in} and out_channels={c_out}"
        )
    return g
