"""Shape arithmetic of convolution: pure functions on integers.

One formula rules everywhere (Dumoulin & Visin, "A guide to convolution arithmetic for deep
learning", arXiv 1603.07285, relationship 15 with asymmetric padding)::

    out = (in + lo + hi - d*(k - 1) - 1) // s + 1                  (convolution)
    out = (in - 1)*s - lo - hi + d*(k - 1) + output_padding + 1     (transposed)

where ``k`` is the kernel size, ``s`` the stride, ``d`` the dilation and ``(lo, hi)`` the
padding added before and after the input along one spatial dimension. The seed's
``floor((n - k + p + s) / s)`` is the first line with ``p = lo + hi`` and ``d = 1``.
"""

from __future__ import annotations

import math

from ._validate import _is_int, int_tuple

__all__ = [
    "PADDING_STRINGS",
    "conv_length",
    "transposed_length",
    "resolve_padding",
]

#: What each padding string means, for a dimension of input length n.
PADDING_STRINGS = {
    "valid": "no padding: out = (n - d*(k-1) - 1)//s + 1",
    "same": "out = ceil(n/s); the odd pad cell goes at the end (TensorFlow, PyTorch)",
    "same_lower": "out = ceil(n/s); the odd pad cell goes at the start (ONNX SAME_LOWER)",
    "full": "d*(k-1) on each side: every partial overlap is an output",
}


def conv_length(n: int, k: int, s: int = 1, d: int = 1, lo: int = 0, hi: int = 0) -> int:
    """Output length of a convolution along one dimension.

    Parameters
    ----------
    n, k, s, d : int
        Input length, kernel size, stride and dilation.
    lo, hi : int
        Padding before and after.

    Returns
    -------
    int
        ``(n + lo + hi - d*(k-1) - 1) // s + 1``; may be ``<= 0`` when the dilated kernel
        does not fit (callers that accept user input check that first).

    Examples
    --------
    The seed's 5x5 input with a 3x3 kernel gives a 3x3 output:

    >>> conv_length(5, 3)
    3
    >>> conv_length(224, 7, s=2, lo=3, hi=3)   # ResNet stem
    112
    """
    return (n + lo + hi - d * (k - 1) - 1) // s + 1


def transposed_length(
    n: int, k: int, s: int = 1, d: int = 1, lo: int = 0, hi: int = 0, output_padding: int = 0
) -> int:
    """Output length of a transposed convolution along one dimension.

    Examples
    --------
    >>> transposed_length(3, 3)          # full-padding view of a 3 -> 5 upsampling
    5
    >>> transposed_length(4, 4, s=2, lo=1, hi=1)   # DCGAN-style 2x upsampling
    8
    """
    return (n - 1) * s - lo - hi + d * (k - 1) + output_padding + 1


def _same_pads(n: int, k: int, s: int, d: int, lower: bool) -> tuple[int, int]:
    total = max((math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0)
    small, big = total // 2, total - total // 2
    return (big, small) if lower else (small, big)


def _same_transposed_pads(k: int, s: int, d: int, lower: bool) -> tuple[int, int]:
    total = max(d * (k - 1) + 1 - s, 0)
    small, big = total // 2, total - total // 2
    return (big, small) if lower else (small, big)


def resolve_padding(
    padding,
    input_spatial,
    kernel_size,
    stride=1,
    dilation=1,
    *,
    transposed: bool = False,
    func: str = "resolve_padding",
) -> tuple[tuple[int, int], ...]:
    """What a padding argument means, as one ``(lo, hi)`` pair per spatial dimension.

    Parameters
    ----------
    padding : int, tuple of int, tuple of (int, int), or str
        An int pads every side equally; a tuple gives one symmetric amount per dimension;
        a tuple of pairs gives ``(before, after)`` per dimension (asymmetric); a string is
        one of ``'valid'``, ``'same'``, ``'same_lower'``, ``'full'`` (see Notes).
    input_spatial : tuple of int
        Spatial input lengths ``(n_1, ..., n_D)``.
    kernel_size, stride, dilation : int or tuple of int
        Per-dimension kernel size ``k``, stride ``s`` and dilation ``d``.
    transposed : bool
        Resolve for a transposed convolution, where padding *crops* the output.
    func : str
        Name of the calling function, used in error messages.

    Returns
    -------
    tuple of (int, int)
        ``((lo_1, hi_1), ..., (lo_D, hi_D))``.

    Notes
    -----
    ``'same'`` makes ``out = ceil(n/s)`` for any stride and kernel (PyTorch refuses
    ``'same'`` with stride > 1); the total padding is
    ``max((ceil(n/s) - 1)*s + d*(k-1) + 1 - n, 0)`` and the odd cell goes at the end
    (``'same_lower'``: at the start). ``'full'`` pads ``d*(k-1)`` on both sides.
    For a transposed convolution ``'same'`` makes ``out = n*s`` by cropping
    ``d*(k-1) + 1 - s`` cells (when the dilated kernel is shorter than the stride there is
    nothing to crop and :func:`convzoo.make_spec` adds the ``s - d*(k-1) - 1`` missing cells
    as output padding), and ``'full'`` crops nothing (same as ``'valid'``).

    Examples
    --------
    >>> resolve_padding("same", (5, 6), 3)
    ((1, 1), (1, 1))
    >>> resolve_padding("same", (6,), 4, stride=2)     # even kernel, stride 2
    ((1, 1),)
    >>> resolve_padding("same", (5,), 4)               # odd total: the extra cell at the end
    ((1, 2),)
    >>> resolve_padding(((0, 1), (2, 0)), (5, 5), 3)   # asymmetric pairs pass through
    ((0, 1), (2, 0))
    """
    spatial = tuple(input_spatial)
    ndim = len(spatial)
    k = int_tuple(func, "kernel_size", kernel_size, ndim)
    s = int_tuple(func, "stride", stride, ndim)
    d = int_tuple(func, "dilation", dilation, ndim)
    if isinstance(padding, str):
        if padding not in PADDING_STRINGS:
            raise ValueError(
                f"{func}: padding must be an int, a tuple, a tuple of (lo, hi) pairs or one "
                f"of {sorted(PADDING_STRINGS)}; got {padding!r}"
            )
        if padding == "valid" or (transposed and padding == "full"):
            return ((0, 0),) * ndim
        if padding == "full":
            return tuple((di * (ki - 1),) * 2 for ki, di in zip(k, d, strict=True))
        lower = padding == "same_lower"
        if transposed:
            return tuple(_same_transposed_pads(*a, lower) for a in zip(k, s, d, strict=True))
        return tuple(_same_pads(*a, lower) for a in zip(spatial, k, s, d, strict=True))
    if isinstance(padding, tuple | list) and any(isinstance(p, tuple | list) for p in padding):
        rule = f"a tuple of {ndim} (lo, hi) pairs of non-negative ints"
        pairs = []
        for pair in padding:
            if not (isinstance(pair, tuple | list) and len(pair) == 2 and all(map(_is_int, pair))):
                raise TypeError(f"{func}: padding must be {rule}; got {padding!r}")
            pairs.append((int(pair[0]), int(pair[1])))
        if len(pairs) != ndim:
            raise ValueError(f"{func}: padding must be {rule}; got {len(pairs)} pairs")
        if any(v < 0 for pair in pairs for v in pair):
            raise ValueError(f"{func}: padding must be non-negative; got {padding!r}")
        return tuple(pairs)
    return tuple((p, p) for p in int_tuple(func, "padding", padding, ndim, minimum=0))
