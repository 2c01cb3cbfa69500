"""Grouped convolution (Krizhevsky et al. 2012, AlexNet; Xie et al. 2017, ResNeXt).

Channels split into ``groups`` independent convolutions: a dense convolution with a
block-diagonal kernel, ``1/groups`` of its weights and multiplications. ``groups =
in_channels`` is depthwise. Also the grouped 1x1 convolution (ShuffleNet) and a grouped
convolution followed by a channel shuffle.
"""

from __future__ import annotations

import numpy as np

from .base import make_rng
from .containers import Sequential
from .conv import Conv
from .pointwise import Pointwise
from .shuffle import ChannelShuffle

__all__ = ["Grouped", "PointwiseGrouped", "ShuffledGrouped"]


class Grouped(Conv):
    """Grouped convolution, ``Conv(..., groups=groups)`` with ``groups=2`` by default.

    Notes
    -----
    Output channel ``o`` of group ``g = o // (C_out/G)`` sees only input channels
    ``g*C_in/G .. (g+1)*C_in/G - 1``: the dense kernel is block diagonal.

    References
    ----------
    A. Krizhevsky, I. Sutskever and G. Hinton, "ImageNet classification with deep
    convolutional neural networks", NeurIPS 2012. S. Xie et al., "Aggregated residual
    transformations for deep neural networks" (ResNeXt), CVPR 2017.

    Examples
    --------
    >>> from convzoo.nn import Grouped
    >>> Grouped(4, 6, 3, groups=2, rng=0).weight.shape
    (6, 2, 3, 3)
    """

    summary = "grouped convolution: channels split into independent groups (AlexNet, ResNeXt)"
    paper = "Krizhevsky et al. 2012, AlexNet; Xie et al. 2017, ResNeXt"

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=2,
        bias=True,
        padding_mode="zeros",
        padding_value=0.0,
        *,
        ndim=None,
        rng=None,
        dtype=np.float64,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            padding_value,
            ndim=ndim,
            rng=rng,
            dtype=dtype,
        )

    @classmethod
    def example(cls):
        return cls(4, 6, 3, padding=1, groups=2, rng=0), (2, 4, 4, 4)


class PointwiseGrouped(Pointwise):
    """Grouped 1x1 convolution (ShuffleNet's "pointwise group convolution").

    Examples
    --------
    >>> from convzoo.nn import PointwiseGrouped
    >>> PointwiseGrouped(6, 9, groups=3, rng=0).weight.shape
    (9, 2, 1, 1)
    """

    summary = "pointwise group convolution: 1x1 convolution split into groups (ShuffleNet)"
    paper = "Zhang et al. 2018, ShuffleNet"

    def __init__(
        self,
        in_channels,
        out_channels,
        groups=2,
        bias=True,
        activation=None,
        *,
        ndim=2,
        rng=None,
        dtype=np.float64,
    ):
        super().__init__(
            in_channels, out_channels, bias, groups, activation, ndim=ndim, rng=rng, dtype=dtype
        )

    @classmethod
    def example(cls):
        return cls(6, 9, groups=3, rng=0), (2, 6, 3, 3)


class ShuffledGrouped(Sequential):
    """Grouped convolution followed by a channel shuffle (children ``conv``, ``shuffle``).

    Examples
    --------
    >>> from convzoo.nn import ShuffledGrouped
    >>> layer = ShuffledGrouped(6, 6, 3, padding=1, groups=3, rng=0)
    >>> [e.path for e in layer.trace((1, 6, 4, 4))]
    ['conv', 'shuffle']
    """

    summary = "shuffled grouped convolution: grouped conv, then channel shuffle"
    paper = "Zhang et al. 2018, ShuffleNet"

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=2,
        bias=True,
        *,
        ndim=None,
        rng=None,
        dtype=np.float64,
    ):
        conv = Grouped(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            ndim=ndim,
            rng=make_rng(rng),
            dtype=dtype,
        )
        super().__init__({"conv": conv, "shuffle": ChannelShuffle(groups, dtype=dtype)})

    @classmethod
    def _kwargs_from_torch(cls, m):
        kw = Conv._kwargs_from_torch(m.conv)
        del kw["padding_mode"]
        return kw

    @classmethod
    def example(cls):
        return cls(6, 6, 3, padding=1, groups=3, rng=0), (2, 6, 4, 4)
