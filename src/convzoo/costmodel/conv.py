"""Exact cost of one convolution (forward or transposed) from its :class:`ConvSpec`.

Counts are derived from the spec alone, one spatial dimension at a time: the number of
taps of an output element that touch real input is a product over dimensions, so exact
counts need only ``out_d * k_d`` integer operations per dimension, never a run. The
conventions are those of :mod:`convzoo.costmodel.types`.

References
----------
V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
arXiv:1603.07285, 2016.
"""

from __future__ import annotations

from math import prod

import numpy as np

from ..spec import ConvSpec
from .types import DEFAULT_ITEMSIZE, Cost

__all__ = ["cost_of_spec", "real_taps", "landing_counts"]


def real_taps(n: int, k: int, s: int, d: int, lo: int, out: int) -> np.ndarray:
    """Per output position, how many of the ``k`` taps touch the real (unpadded) input.

    Parameters
    ----------
    n, k, s, d : int
        Input length, kernel size, stride, dilation along one dimension.
    lo : int
        Padding before the input.
    out : int
        Output length.

    Returns
    -------
    ndarray of int, shape (out,)

    Examples
    --------
    A 3-tap kernel over 5 cells with padding 1: the two border outputs lose one tap.

    >>> real_taps(5, 3, 1, 1, 1, 5).tolist()
    [2, 3, 3, 3, 2]
    """
    at = np.arange(out)[:, None] * s + np.arange(k)[None, :] * d - lo  # (out, k) input index
    return ((at >= 0) & (at < n)).sum(axis=1)


def landing_counts(n: int, k: int, s: int, d: int, full: int) -> np.ndarray:
    """Per cell of a transposed convolution's uncropped output, how many products land there.

    Input cell ``p`` times tap ``t`` lands on ``p*s + t*d``.

    Examples
    --------
    Two input cells, a 3-tap kernel, stride 2: the middle cell receives two products.

    >>> landing_counts(2, 3, 2, 1, 5).tolist()
    [1, 1, 2, 1, 1]
    """
    at = np.arange(n)[:, None] * s + np.arange(k)[None, :] * d  # (n, k) output index
    return np.bincount(at.ravel(), minlength=full)


def _zero_padding(spec: ConvSpec) -> bool:
    return spec.padding_mode == "zeros" or (
        spec.padding_mode == "constant" and spec.padding_value == 0.0
    )


def cost_of_spec(
    spec: ConvSpec, *, bias: bool = False, exact: bool = False, itemsize: int = DEFAULT_ITEMSIZE
) -> Cost:
    """Exact cost of the convolution described by ``spec``.

    Parameters
    ----------
    spec : ConvSpec
        From :func:`convzoo.make_spec`; forward or transposed, any number of dimensions.
    bias : bool
        Whether a bias is added (one more addition per output element and ``C_out``
        parameters).
    exact : bool
        Count only taps touching real input (forward) or products landing in the kept
        output (transposed); see :mod:`convzoo.costmodel.types`.
    itemsize : int
        Bytes per element for the memory traffic.

    Returns
    -------
    Cost

    Notes
    -----
    Forward, with ``P`` output positions per channel and ``C_g = C_in/groups``:
    ``mults = N*C_out*P*C_g*K`` and ``adds = N*C_out*P*(C_g*K - 1 + bias)``. Transposed,
    counted on the input grid: ``mults = N*C_in*prod(in)*(C_out/groups)*K`` and
    ``adds = mults - (output cells reached) + bias*(output elements)``.

    Examples
    --------
    The seed's 7x7x3 input with 128 filters of 3x3x3: 86,400 multiplications.

    >>> from convzoo import make_spec
    >>> c = cost_of_spec(make_spec("conv", (1, 3, 7, 7), (128, 3, 3, 3)))
    >>> c.output_shape, c.mults, c.adds, c.params
    ((1, 128, 5, 5), 86400, 83200, 3456)

    With 'same' padding, ``exact=True`` drops the taps that fall on the zero border:

    >>> spec = make_spec("conv", (1, 1, 5, 5), (1, 1, 3, 3), padding=1)
    >>> cost_of_spec(spec).mults, cost_of_spec(spec, exact=True).mults
    (225, 169)
    """
    c_out = spec.out_channels
    out_numel = prod(spec.output_shape)
    params = prod(spec.weight_shape) + (c_out if bias else 0)
    if spec.transposed:
        mults, adds = _transposed_counts(spec, bias, exact)
    else:
        mults, adds = _forward_counts(spec, bias, exact)
    return Cost(
        spec.output_shape,
        mults=mults,
        adds=adds,
        macs=mults,
        params=params,
        activations=out_numel,
        bytes_read=(prod(spec.input_shape) + params) * itemsize,
        bytes_written=out_numel * itemsize,
    )


def _forward_counts(spec: ConvSpec, bias: bool, exact: bool) -> tuple[int, int]:
    c_group = spec.in_channels // spec.groups
    outputs = spec.batch * spec.out_channels * prod(spec.output_spatial)
    if not exact or not _zero_padding(spec):
        products = c_group * prod(spec.kernel_size)
        return outputs * products, outputs * (products - 1 + int(bias))
    dims = zip(
        spec.input_spatial, spec.kernel_size, spec.stride, spec.dilation, spec.padding,
        spec.output_spatial, strict=True,
    )  # fmt: skip
    taps = [real_taps(n, k, s, d, lo, out) for n, k, s, d, (lo, _), out in dims]
    per_channel = spec.batch * spec.out_channels
    mults = per_channel * c_group * prod(int(t.sum()) for t in taps)
    # outputs with at least one real tap: one sum (taps - 1 adds) and the bias add each
    reached = per_channel * prod(int((t > 0).sum()) for t in taps)
    return mults, mults - reached + (reached if bias else 0)


def _transposed_counts(spec: ConvSpec, bias: bool, exact: bool) -> tuple[int, int]:
    c_in, c_out = spec.in_channels, spec.out_channels
    in_per_group = c_in // spec.groups
    dims = zip(
        spec.input_spatial, spec.kernel_size, spec.stride, spec.dilation, spec.padded_spatial,
        spec.padding, strict=True,
    )  # fmt: skip
    landed = []
    for n, k, s, d, full, (lo, hi) in dims:
        counts = landing_counts(n, k, s, d, full)
        landed.append(counts[lo : full - hi] if exact else counts)
    per_channel = spec.batch * c_out
    mults = per_channel * in_per_group * prod(int(c.sum()) for c in landed)
    reached = per_channel * prod(int((c > 0).sum()) for c in landed)
    outputs = prod(spec.output_shape)
    bias_adds = (reached if exact else outputs) if bias else 0
    return mults, mults - reached + bias_adds
