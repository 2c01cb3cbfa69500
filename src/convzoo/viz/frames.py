"""Frame data of a convolution animation, computed from the spec and the reference engine.

A :class:`Scene` is what an animation draws, with no drawing in it: named 2-D grids of
numbers laid out in columns (input, intermediate, output) and a list of :class:`Frame` s,
each one output cell being computed: the cells the kernel window covers, the products it
sums, and the value the reference engine (``algorithm="reference"``) wrote there. Tests
check the frames against the engine, so a picture can never disagree with the library.

Layout conventions: 1-D signals are one-row grids, 2-D maps are grids, 3-D volumes are one
grid per depth slice; batch index 0 is shown. A grid's ``kind`` marks each cell as a real
input value (``REAL``), a padding cell (``PAD``, its value is the padding mode's fill) or a
zero inserted between the inputs of a transposed convolution (``INSERTED``).

References
----------
V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
arXiv:1603.07285 (2016).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from .. import conv, make_spec, pad
from ..padding import source_index

__all__ = [
    "REAL", "PAD", "INSERTED", "Grid", "Frame", "Scene", "conv_scene", "add_volume_grids",
    "spec_text", "window_frames",
]  # fmt: skip

REAL, PAD, INSERTED = 0, 1, 2


@dataclass
class Grid:
    """One 2-D panel: ``values`` (rows, cols) and ``kind`` (rows, cols) of REAL/PAD/INSERTED.

    ``column`` is the stage it is drawn in (0 = input, increasing to the right), ``group`` a
    channel group for colouring (``None``: no groups), ``hidden`` cells are drawn empty until
    a frame fills them (outputs).

    Examples
    --------
    >>> import numpy as np
    >>> scene = conv_scene(np.arange(16.0).reshape(1, 1, 4, 4), np.ones((1, 1, 3, 3)))
    >>> scene.grids["in", 0].values.shape
    (4, 4)
    """

    label: str
    values: np.ndarray
    kind: np.ndarray
    column: int
    group: int | None = None
    output: bool = False
    heat: bool = False


@dataclass
class Frame:
    """One step: output cell ``target = (grid key, row, col)`` gets ``value``.

    ``window`` lists the ``(grid key, row, col)`` cells the kernel covers, ``terms`` the
    ``(input value, weight)`` products summed (plus ``bias``), ``index`` the position of
    ``value`` in the engine's output array; ``fills`` more cells the step completes (a whole
    channel for a shuffle).

    Examples
    --------
    >>> import numpy as np
    >>> frame = conv_scene(np.arange(16.0).reshape(1, 1, 4, 4), np.ones((1, 1, 3, 3))).frames[0]
    >>> frame.target, float(frame.value), len(frame.terms)    # 0+1+2+4+5+6+8+9+10
    ((('out', 0), 0, 0), 45.0, 9)
    """

    target: tuple
    value: float
    index: tuple
    window: list = field(default_factory=list)
    terms: list = field(default_factory=list)
    bias: float = 0.0
    caption: str = ""
    fills: list = field(default_factory=list)


@dataclass
class Scene:
    """Everything an animation shows: ``grids`` (dict key -> Grid), ``frames``, texts.

    Examples
    --------
    >>> import numpy as np
    >>> scene = conv_scene(np.arange(16.0).reshape(1, 1, 4, 4), np.ones((1, 1, 3, 3)))
    >>> len(scene.frames), list(scene.grids)
    (4, [('in', 0), ('out', 0)])
    """

    title: str
    grids: dict
    frames: list
    subtitle: str = ""
    column_titles: tuple = ()
    output: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def _split(coord):
    """Spatial coordinate -> (depth slice, row, col) for 1-, 2- and 3-D."""
    if len(coord) == 1:
        return 0, 0, int(coord[0])
    if len(coord) == 2:
        return 0, int(coord[0]), int(coord[1])
    return int(coord[0]), int(coord[1]), int(coord[2])


def _as_2d(volume):
    """(*spatial) -> list of 2-D slices (one per depth slice)."""
    if volume.ndim == 1:
        return [volume[None, :]]
    if volume.ndim == 2:
        return [volume]
    return list(volume)


def _key(stage, channel, depth, ndim):
    return (stage, channel, depth) if ndim == 3 else (stage, channel)


def _label(name, channel, depth, ndim, channels):
    text = f"{name} c{channel}" if channels > 1 else name
    return f"{text} z{depth}" if ndim == 3 else text


def add_volume_grids(
    grids, stage, volume, kind, column, *, name, groups=1, output=False, heat=False
):
    """Add the grids of one ``(C, *spatial)`` volume as ``(stage, c[, z])`` keys."""
    channels, ndim = volume.shape[0], volume.ndim - 1
    per_group = max(channels // groups, 1)
    kinds = _as_2d(kind)
    for c in range(channels):
        for z, (values, k) in enumerate(zip(_as_2d(volume[c]), kinds, strict=True)):
            grids[_key(stage, c, z, ndim)] = Grid(
                _label(name, c, z, ndim, channels),
                np.array(values, dtype=float),
                np.array(k),
                column,
                group=c // per_group if groups > 1 else None,
                output=output,
                heat=heat,
            )


def _fmt(v):
    return f"{v:.3g}" if abs(v - round(v)) > 1e-9 else str(int(round(v)))


def window_frames(view, w, y, bias, stride, dilation, groups, out_stage, in_stage, channels):
    """Frames of a stride/dilation window over ``view`` (C, *padded) with weights ``w``."""
    ndim = view.ndim - 1
    c_out, c_per = w.shape[0], w.shape[1]
    outs_per_group = c_out // groups
    frames = []
    for co in channels:
        g = co // outs_per_group
        for pos in itertools.product(*(range(n) for n in y.shape[2:])):
            window, terms = [], []
            for ci_local in range(c_per):
                ci = g * c_per + ci_local
                for tap in itertools.product(*(range(k) for k in w.shape[2:])):
                    at = tuple(p * s + t * d for p, s, t, d in zip(pos, stride, tap, dilation))
                    z, r, c = _split(at)
                    window.append((_key(in_stage, ci, z, ndim), r, c))
                    terms.append((float(view[(ci, *at)]), float(w[(co, ci_local, *tap)])))
            value = float(y[(0, co, *pos)])
            z, r, c = _split(pos)
            b = float(bias[co]) if bias is not None else 0.0
            products = " + ".join(f"{_fmt(a)}·{_fmt(b_)}" for a, b_ in terms[:9])
            more = " + …" if len(terms) > 9 else ""
            frames.append(
                Frame(
                    target=(_key(out_stage, co, z, ndim), r, c),
                    value=value,
                    index=(0, co, *pos),
                    window=window,
                    terms=terms,
                    bias=b,
                    caption=f"y[c{co}, {', '.join(map(str, pos))}] = {products}{more}"
                    + (f" + {_fmt(b)}" if b else "")
                    + f" = {_fmt(value)}",
                )
            )
    return frames


def spec_text(spec):
    def one(values):
        return str(values[0]) if len(set(values)) == 1 else "×".join(map(str, values))

    pads = {p for pair in spec.padding for p in pair}
    pad_text = str(pads.pop()) if len(pads) == 1 else str(spec.padding)
    text = f"k={one(spec.kernel_size)} s={one(spec.stride)} p={pad_text}"
    if max(spec.dilation) > 1:
        text += f" d={one(spec.dilation)}"
    if spec.groups > 1:
        text += f" groups={spec.groups}"
    return text


def conv_scene(
    x,
    weight,
    bias=None,
    *,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    padding_mode="zeros",
    padding_value=0.0,
    channels=None,
    title=None,
):
    """The frames of ``convzoo.conv(x, weight, ...)``: a window sliding over the padded input.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, *spatial)
        Only batch 0 is shown.
    weight : ndarray, shape (C_out, C_in/groups, *k)
    bias : ndarray, shape (C_out,), optional
    stride, padding, dilation, groups, padding_mode, padding_value
        As in :func:`convzoo.conv`.
    channels : sequence of int, optional
        Output channels to animate (default: all), in order.
    title : str, optional

    Returns
    -------
    Scene
        Input grids (column 0, padding cells marked ``PAD`` holding the fill value),
        output grids (column 1) and one frame per output cell of ``channels``.

    Examples
    --------
    The seed's example: a 3x3 kernel over a 5x5 input gives 9 frames of 9 products each.

    >>> x = np.arange(25.0).reshape(1, 1, 5, 5)
    >>> w = np.ones((1, 1, 3, 3))
    >>> scene = conv_scene(x, w)
    >>> len(scene.frames), len(scene.frames[0].terms), scene.frames[0].value
    (9, 9, 54.0)
    """
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    spec = make_spec(
        "conv_scene", x.shape, weight.shape, stride=stride, padding=padding,
        dilation=dilation, groups=groups, padding_mode=padding_mode, padding_value=padding_value,
    )  # fmt: skip
    y = conv(
        x, weight, bias, stride=spec.stride, padding=spec.padding, dilation=spec.dilation,
        groups=groups, padding_mode=padding_mode, padding_value=padding_value,
        algorithm="reference",
    )  # fmt: skip
    view = pad(x[0], spec.padding, padding_mode, padding_value)  # (C, *padded)
    masks = [
        source_index(n, lo, hi, "zeros") >= 0
        for n, (lo, hi) in zip(spec.input_spatial, spec.padding, strict=True)
    ]
    real = np.ones((), dtype=bool)
    for axis, mask in enumerate(masks):
        shape = [1] * len(masks)
        shape[axis] = -1
        real = real & mask.reshape(shape)
    kind = np.where(real, REAL, PAD)
    grids = {}
    add_volume_grids(grids, "in", view, kind, 0, name="input", groups=groups)
    out_kind = np.full(y.shape[2:], REAL)
    add_volume_grids(grids, "out", y[0], out_kind, 1, name="output", groups=groups, output=True)
    chosen = range(y.shape[1]) if channels is None else channels
    frames = window_frames(
        view, weight, y, bias, spec.stride, spec.dilation, groups, "out", "in", chosen
    )
    shape_in = "×".join(map(str, spec.input_spatial))
    shape_out = "×".join(map(str, spec.output_spatial))
    fill = (
        f"padding '{padding_mode}'"
        if padding_mode not in ("zeros", "constant")
        else f"padding value {_fmt(float(padding_value))}"
    )
    return Scene(
        title=title or f"convolution {shape_in} → {shape_out}",
        grids=grids,
        frames=frames,
        subtitle=f"{spec_text(spec)}, {fill}; C_in={spec.in_channels}, C_out={spec.out_channels}",
        column_titles=(
            f"input {shape_in}" + (" (padded)" if any(map(any, spec.padding)) else ""),
            f"output {shape_out}",
        ),
        output=y,
        extra={"spec": spec, "weight": weight},
    )
