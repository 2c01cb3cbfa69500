"""Transposed convolution drawn as conv_arithmetic draws it: a stride-1 convolution of the
input with ``s-1`` zeros inserted between its cells and ``d(k-1)-p`` padding, with the
spatially flipped kernel; beside it, how many kernel taps land on each output cell (the
checkerboard of strided upsampling).

References
----------
V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
arXiv:1603.07285, section 4 (relationships 8-13).
A. Odena, V. Dumoulin and C. Olah, "Deconvolution and checkerboard artifacts", Distill (2016).
"""

from __future__ import annotations

import numpy as np

from .. import conv_transpose, make_spec
from .frames import INSERTED, PAD, REAL, Scene, add_volume_grids, spec_text, window_frames

__all__ = ["transposed_scene"]


def _zero_inserted(x, spec):
    """(C, *n) -> (C, *m): ``s-1`` zeros between inputs, ``d(k-1)-p`` padding each side.

    The transposed convolution equals a stride-1 convolution of this view with the spatially
    flipped kernel (Dumoulin & Visin, relationship 12).
    """
    channels, spatial = x.shape[0], x.shape[1:]
    sizes = [(n - 1) * s + 1 for n, s in zip(spatial, spec.stride, strict=True)]
    inserted = np.zeros((channels, *sizes))
    kind = np.full(sizes, INSERTED)
    every = tuple(slice(None, None, s) for s in spec.stride)
    inserted[(slice(None), *every)] = x
    kind[every] = REAL
    pads = []
    for k, d, (lo, hi), op in zip(
        spec.kernel_size, spec.dilation, spec.padding, spec.output_padding, strict=True
    ):
        pads.append((d * (k - 1) - lo, d * (k - 1) - hi + op))
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
    view = np.pad(inserted, [(0, 0), *grow])
    kind = np.pad(kind, grow, constant_values=PAD)
    crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(pads, kind.shape))
    return view[(slice(None), *crop)], kind[crop]


def _overlaps(spec):
    """How many (input cell, kernel tap) products land on each output cell (1, *out)."""
    ones = np.ones((1, 1, *spec.input_spatial))
    taps = np.ones((1, 1, *spec.kernel_size))
    return conv_transpose(
        ones, taps, stride=spec.stride, padding=spec.padding, dilation=spec.dilation,
        output_padding=spec.output_padding, algorithm="reference",
    )[0]  # fmt: skip


def transposed_scene(
    x,
    weight,
    bias=None,
    *,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    groups=1,
    channels=None,
    title=None,
):
    """The frames of ``convzoo.conv_transpose``, drawn as a convolution of the zero-inserted view.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, *spatial)
    weight : ndarray, shape (C_in, C_out/groups, *k)
    bias, stride, padding, output_padding, dilation, groups
        As in :func:`convzoo.conv_transpose`.
    channels : sequence of int, optional
        Output channels to animate (default: all).
    title : str, optional

    Returns
    -------
    Scene
        Column 0: the input with ``s-1`` inserted zeros (``INSERTED``) and ``d(k-1)-p``
        padding (``PAD``); column 1: the output, plus a static ``overlaps`` grid counting
        the kernel taps landing on each output cell (the checkerboard of strided upsampling).
        Frame values are the engine's ``conv_transpose`` output; ``terms`` use the flipped
        kernel, so ``sum(a*b)`` equals the value.

    Examples
    --------
    >>> x = np.ones((1, 1, 2, 2))
    >>> scene = transposed_scene(x, np.ones((1, 1, 3, 3)), stride=2)
    >>> scene.output.shape, scene.extra["overlaps"][0].astype(int).tolist()
    ((1, 1, 5, 5), [1, 1, 2, 1, 1])
    """
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    spec = make_spec(
        "transposed_scene", x.shape, weight.shape, stride=stride, padding=padding,
        dilation=dilation, groups=groups, transposed=True, output_padding=output_padding,
    )  # fmt: skip
    y = conv_transpose(
        x, weight, bias, stride=spec.stride, padding=spec.padding, dilation=spec.dilation,
        groups=groups, output_padding=spec.output_padding, algorithm="reference",
    )  # fmt: skip
    view, kind = _zero_inserted(x[0], spec)
    c_in, c_out_g = weight.shape[:2]
    # (C_in, C_out/g, *k) -> (C_out, C_in/g, *k), flipped: the equivalent direct kernel
    direct = weight.reshape(groups, c_in // groups, c_out_g, *weight.shape[2:])
    direct = np.swapaxes(direct, 1, 2).reshape(groups * c_out_g, c_in // groups, *weight.shape[2:])
    direct = direct[(Ellipsis, *[slice(None, None, -1)] * spec.ndim)]
    grids = {}
    add_volume_grids(grids, "in", view, kind, 0, name="zero-inserted input", groups=groups)
    out_kind = np.full(y.shape[2:], REAL)
    add_volume_grids(grids, "out", y[0], out_kind, 1, name="output", groups=groups, output=True)
    overlaps = _overlaps(spec)
    add_volume_grids(grids, "overlap", overlaps, out_kind, 2, name="overlaps", heat=True)
    chosen = range(y.shape[1]) if channels is None else channels
    ones = (1,) * spec.ndim
    frames = window_frames(view, direct, y, bias, ones, spec.dilation, groups, "out", "in", chosen)
    shape_in = "×".join(map(str, spec.input_spatial))
    shape_out = "×".join(map(str, spec.output_spatial))
    extra_pad = ""
    if max(spec.output_padding) > 0:
        extra_pad = f" output_padding={spec.output_padding[0]}"
    return Scene(
        title=title or f"transposed convolution {shape_in} → {shape_out}",
        grids=grids,
        frames=frames,
        subtitle=f"{spec_text(spec)}{extra_pad}: stride-1 convolution of the zero-inserted "
        "input with the flipped kernel",
        column_titles=(
            f"input {shape_in}, {'×'.join(map(str, spec.stride))} stride → zeros inserted",
            f"output {shape_out}",
            "taps per output cell",
        ),
        output=y,
        extra={"spec": spec, "weight": direct, "overlaps": overlaps[0]},
    )
