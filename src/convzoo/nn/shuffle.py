"""Channel shuffle layer and the ShuffleNet v1 unit (Zhang et al. 2018).

``ShuffleUnit``: 1x1 group conv -> BN -> ReLU -> channel shuffle -> 3x3 depthwise (stride)
-> BN -> 1x1 group conv -> BN, merged with the shortcut: stride 1 adds the input, stride 2
concatenates a 3x3 average-pooled input; ReLU after the merge. Bottleneck width is a quarter
of the unit's output channels, as in the paper (and the authors' code).
"""

from __future__ import annotations

import numpy as np

from .._validate import positive_int
from ..functional.shuffle import channel_shuffle, channel_unshuffle
from .activation import ReLU
from .base import Layer, make_rng
from .containers import Residual
from .conv import Conv
from .norm import BatchNorm
from .pool import AvgPool

__all__ = ["ChannelShuffle", "ShuffleUnit"]

_PAPER = "Zhang et al. 2018, ShuffleNet: an extremely efficient CNN for mobile devices"


class ChannelShuffle(Layer):
    """Channel shuffle, ``torch.nn.ChannelShuffle``; backward is the inverse permutation.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import ChannelShuffle
    >>> layer = ChannelShuffle(3)
    >>> layer(np.arange(6.0).reshape(1, 6, 1)).ravel().tolist()
    [0.0, 2.0, 4.0, 1.0, 3.0, 5.0]
    >>> layer.backward(layer(np.arange(6.0).reshape(1, 6, 1))).ravel().tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    """

    summary = "channel shuffle: interleave channel groups so grouped convs mix information"
    paper = _PAPER

    def __init__(self, groups, *, dtype=np.float64):
        super().__init__()
        self.groups = positive_int("ChannelShuffle", "groups", groups)
        self.dtype = np.dtype(dtype)

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) < 2 or shape[1] % self.groups:
            raise ValueError(
                f"ChannelShuffle: groups={self.groups} must divide channels of input shape {shape}"
            )
        return shape

    def forward(self, x):
        return channel_shuffle(x, self.groups)

    def backward(self, grad_output):
        return channel_unshuffle(grad_output, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"

    def _torch_module(self):
        from ._torch import require_torch

        return require_torch().nn.ChannelShuffle(self.groups)

    @classmethod
    def _kwargs_from_torch(cls, m):
        return {"groups": m.groups}

    @classmethod
    def example(cls):
        return cls(3), (2, 6, 3, 3)


class ShuffleUnit(Residual):
    """The ShuffleNet v1 unit.

    Parameters
    ----------
    in_channels, out_channels : int
        For stride 2 the branch produces ``out_channels - in_channels`` channels and the
        pooled input fills the rest (concat).
    groups : int
        Groups of both 1x1 convolutions and of the shuffle.
    stride : {1, 2}
        Stride 1 needs ``in_channels == out_channels`` (add).
    grouped_first : bool
        False for the first unit of stage 2, whose first 1x1 convolution is not grouped
        (too few input channels); the shuffle is then omitted as it would mix nothing.
    rng, dtype

    Notes
    -----
    Children (state_dict prefixes): ``conv1, bn1, relu1, [shuffle], conv2, bn2, conv3, bn3,
    [shortcut], relu``. ``conv2`` is the 3x3 depthwise convolution. No ReLU follows the
    depthwise step (paper, Fig. 2).

    References
    ----------
    X. Zhang, X. Zhou, M. Lin and J. Sun, "ShuffleNet", CVPR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import ShuffleUnit
    >>> unit = ShuffleUnit(24, 48, groups=3, stride=2, rng=0)
    >>> unit.output_shape((1, 24, 8, 8))
    (1, 48, 4, 4)
    >>> [e.path for e in unit.trace((1, 24, 8, 8))][-3:]
    ['shortcut', 'concat', 'relu']
    """

    summary = "ShuffleNet v1 unit: 1x1 group conv, shuffle, 3x3 depthwise, 1x1 group conv"
    paper = _PAPER

    def __init__(
        self,
        in_channels,
        out_channels,
        groups=3,
        stride=1,
        grouped_first=True,
        *,
        rng=None,
        dtype=np.float64,
    ):
        name = "ShuffleUnit"
        in_channels = positive_int(name, "in_channels", in_channels)
        out_channels = positive_int(name, "out_channels", out_channels)
        if stride not in (1, 2):
            raise ValueError(f"{name}: stride must be 1 or 2; got {stride!r}")
        if stride == 1 and in_channels != out_channels:
            raise ValueError(
                f"{name}: stride 1 adds the input, so out_channels={out_channels} must equal "
                f"in_channels={in_channels}"
            )
        branch_out = out_channels - in_channels if stride == 2 else out_channels
        if branch_out < 1:
            raise ValueError(
                f"{name}: stride 2 concatenates the input, so out_channels={out_channels} must "
                f"exceed in_channels={in_channels}"
            )
        mid = out_channels // 4
        first = groups if grouped_first else 1
        rng = make_rng(rng)
        kw = dict(rng=rng, dtype=dtype)
        body = {
            "conv1": Conv(in_channels, mid, 1, groups=first, bias=False, **kw),
            "bn1": BatchNorm(mid, dtype=dtype),
            "relu1": ReLU(dtype=dtype),
        }
        if grouped_first:
            body["shuffle"] = ChannelShuffle(groups, dtype=dtype)
        body |= {
            "conv2": Conv(mid, mid, 3, stride, 1, groups=mid, bias=False, **kw),
            "bn2": BatchNorm(mid, dtype=dtype),
            "conv3": Conv(mid, branch_out, 1, groups=groups, bias=False, **kw),
            "bn3": BatchNorm(branch_out, dtype=dtype),
        }
        shortcut = AvgPool(3, 2, 1, dtype=dtype) if stride == 2 else None
        super().__init__(
            body,
            shortcut,
            ReLU(dtype=dtype),
            merge="concat" if stride == 2 else "add",
            names=("", "shortcut", "relu"),
        )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.stride, self.grouped_first = stride, grouped_first

    def extra_repr(self):
        return (
            f"{self.in_channels}, {self.out_channels}, groups={self.groups}, "
            f"stride={self.stride}" + ("" if self.grouped_first else ", grouped_first=False")
        )

    @classmethod
    def _kwargs_from_torch(cls, m):
        stride = m.conv2.stride[0]
        return dict(
            in_channels=m.conv1.in_channels,
            groups=m.conv3.groups,
            stride=m.conv2.stride[0],
            out_channels=m.conv3.out_channels + (m.conv1.in_channels if stride == 2 else 0),
            grouped_first=m.conv1.groups > 1,
        )

    @classmethod
    def example(cls):
        return cls(6, 12, groups=3, stride=2, rng=0), (2, 6, 5, 5)
