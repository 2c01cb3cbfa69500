"""Spatially separable convolution: k x 1 then 1 x k (Szegedy et al. 2016, Inception v3).

A rank-1 k x k kernel ``outer(column, row)`` (Sobel, box, Gaussian) is a vertical k x 1
convolution followed by a horizontal 1 x k one: 2k weights and multiplications per output
instead of k^2. :func:`convzoo.separate` finds the two factors.
"""

from __future__ import annotations

import numpy as np

from .._validate import int_tuple
from ..separate import separate
from .base import make_rng
from .containers import Sequential
from .conv import Conv

__all__ = ["SpatiallySeparable"]


def _split(name, value, what, minimum=1):
    h, w = int_tuple(name, what, value, 2, minimum=minimum)
    return (h, 1 if minimum else 0), (1 if minimum else 0, w)


class SpatiallySeparable(Sequential):
    """A ``kh x 1`` convolution (child ``vertical``) then a ``1 x kw`` one (``horizontal``).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding, dilation : int or pair
        Of the equivalent ``kh x kw`` convolution; the vertical step takes the first
        entries, the horizontal step the second (padding: int or pair of ints).
    bias : bool
        On the horizontal step only (the sum of both steps' biases would be redundant).
    mid_channels : int, optional
        Channels between the steps (default ``out_channels``).
    rng, dtype

    Notes
    -----
    With one channel, ``conv(conv(x, column), row) == conv(x, outer(column, row))``.

    References
    ----------
    C. Szegedy et al., "Rethinking the Inception architecture for computer vision",
    CVPR 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo import conv
    >>> from convzoo.nn import SpatiallySeparable
    >>> sobel = np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])
    >>> layer = SpatiallySeparable.from_kernel(sobel)
    >>> sum(p.size for p in layer.params.values())        # 6 weights instead of 9
    6
    >>> x = np.random.default_rng(0).standard_normal((1, 1, 5, 5))
    >>> bool(np.allclose(layer(x), conv(x, sobel[None, None])))
    True
    """

    summary = "spatially separable: k x 1 then 1 x k convolution (rank-1 kernels)"
    paper = "Szegedy et al. 2016, Rethinking the Inception architecture (Inception v3)"

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size=3,
        stride=1,
        padding=0,
        dilation=1,
        bias=True,
        mid_channels=None,
        *,
        rng=None,
        dtype=np.float64,
    ):
        name = "SpatiallySeparable"
        mid = out_channels if mid_channels is None else mid_channels
        kv, kh = _split(name, kernel_size, "kernel_size")
        sv, sh = _split(name, stride, "stride")
        dv, dh = _split(name, dilation, "dilation")
        pv, ph = _split(name, padding, "padding", minimum=0)
        rng = make_rng(rng)
        super().__init__(
            {
                "vertical": Conv(
                    in_channels, mid, kv, sv, pv, dv, bias=False, rng=rng, dtype=dtype
                ),
                "horizontal": Conv(
                    mid, out_channels, kh, sh, ph, dh, bias=bias, rng=rng, dtype=dtype
                ),
            }
        )
        self.in_channels, self.out_channels = in_channels, out_channels

    @classmethod
    def from_kernel(cls, kernel, *, dtype=np.float64):
        """The 1-channel layer computing ``conv(x, kernel)`` for a rank-1 2-D ``kernel``."""
        column, row = separate(kernel)
        layer = cls(1, 1, np.shape(kernel), bias=False, dtype=dtype)
        layer.vertical.weight = column.reshape(1, 1, -1, 1).astype(dtype)
        layer.horizontal.weight = row.reshape(1, 1, 1, -1).astype(dtype)
        return layer

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}"

    @classmethod
    def _kwargs_from_torch(cls, m):
        v, h = m.vertical, m.horizontal
        return dict(
            in_channels=v.in_channels,
            out_channels=h.out_channels,
            kernel_size=(v.kernel_size[0], h.kernel_size[1]),
            stride=(v.stride[0], h.stride[1]),
            padding=(v.padding[0], h.padding[1]),
            dilation=(v.dilation[0], h.dilation[1]),
            bias=h.bias is not None,
            mid_channels=v.out_channels,
        )

    @classmethod
    def example(cls):
        return cls(2, 3, 3, padding=1, rng=0), (2, 2, 4, 5)
