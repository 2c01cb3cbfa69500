"""Flattened convolution (Jin, Dundar and Culurciello 2014): three 1-D filters in a row.

A 3-D filter (channels x height x width) is replaced by a channel (lateral, 1x1) filter,
a vertical k x 1 filter and a horizontal 1 x k filter, applied one after the other. The
spatial steps are per channel (depthwise): ``C_in*C_out + 2*k*C_out`` weights instead of
``C_in*C_out*k*k``.
"""

from __future__ import annotations

import numpy as np

from .._validate import int_tuple
from .base import make_rng
from .containers import Sequential
from .conv import Conv

__all__ = ["Flattened"]


class Flattened(Sequential):
    """Channel 1x1 -> vertical k x 1 (depthwise) -> horizontal 1 x k (depthwise).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding : int or pair
        Of the equivalent ``kh x kw`` convolution, split between the vertical and the
        horizontal step.
    bias : bool
        On the last (horizontal) step.
    rng, dtype

    Notes
    -----
    Children ``channel``, ``vertical``, ``horizontal``; ``to_torch()`` is a
    ``torch.nn.Sequential`` of three ``Conv2d``.

    References
    ----------
    J. Jin, A. Dundar and E. Culurciello, "Flattened convolutional neural networks for
    feedforward acceleration", ICLR workshop, arXiv:1412.5474, 2014.

    Examples
    --------
    >>> from convzoo.nn import Flattened
    >>> layer = Flattened(3, 4, 3, padding=1, bias=False, rng=0)
    >>> sum(p.size for p in layer.params.values()), 3 * 4 * 3 * 3
    (36, 108)
    """

    summary = "flattened convolution: channel 1x1, vertical k x 1, horizontal 1 x k filters"
    paper = "Jin, Dundar & Culurciello 2014, Flattened convolutional neural networks"

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size=3,
        stride=1,
        padding=0,
        bias=True,
        *,
        rng=None,
        dtype=np.float64,
    ):
        name = "Flattened"
        kh, kw = int_tuple(name, "kernel_size", kernel_size, 2)
        sh, sw = int_tuple(name, "stride", stride, 2)
        ph, pw = int_tuple(name, "padding", padding, 2, minimum=0)
        rng = make_rng(rng)
        kw_ = dict(rng=rng, dtype=dtype)
        c = out_channels
        super().__init__(
            {
                "channel": Conv(in_channels, c, 1, bias=False, **kw_),
                "vertical": Conv(c, c, (kh, 1), (sh, 1), (ph, 0), groups=c, bias=False, **kw_),
                "horizontal": Conv(c, c, (1, kw), (1, sw), (0, pw), groups=c, bias=bias, **kw_),
            }
        )
        self.in_channels, self.out_channels = in_channels, out_channels

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}"

    @classmethod
    def _kwargs_from_torch(cls, m):
        v, h = m.vertical, m.horizontal
        return dict(
            in_channels=m.channel.in_channels,
            out_channels=m.channel.out_channels,
            kernel_size=(v.kernel_size[0], h.kernel_size[1]),
            stride=(v.stride[0], h.stride[1]),
            padding=(v.padding[0], h.padding[1]),
            bias=h.bias is not None,
        )

    @classmethod
    def example(cls):
        return cls(2, 3, 3, padding=1, rng=0), (2, 2, 4, 5)
