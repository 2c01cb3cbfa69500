"""ResNet bottleneck block (He et al. 2016): 1x1 reduce -> k x k -> 1x1 expand + shortcut.

BN after every convolution, ReLU after the first two and after the addition; the shortcut
is the identity, or a strided 1x1 convolution + BN ("projection") when the shape changes.
The stride sits on the k x k convolution by default (ResNet v1.5, torchvision) or on the
first 1x1 (``stride_on="first"``, the original v1). Children use torchvision's names, so
torchvision Bottleneck weights load directly.
"""

from __future__ import annotations

import numpy as np

from .._validate import positive_int
from .activation import ReLU
from .base import make_rng
from .containers import Residual, Sequential
from .conv import Conv
from .norm import BatchNorm

__all__ = ["Bottleneck"]


class Bottleneck(Residual):
    """ResNet bottleneck residual block.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int
        Of the middle convolution (3 in ResNet), padded to keep the size.
    stride : int
    bottleneck_channels : int, optional
        Width of the middle (default ``out_channels // 4``, ResNet's expansion 4).
    groups : int
        Of the middle convolution (ResNeXt).
    dilation : int
    stride_on : {'middle', 'first'}
        ``'middle'``: stride on the k x k (v1.5); ``'first'``: on the first 1x1 (v1).
    rng, dtype

    Notes
    -----
    Children: ``conv1, bn1, relu1, conv2, bn2, relu2, conv3, bn3, [downsample], relu``.
    ``out = relu(bn3(conv3(...)) + shortcut(x))``.

    References
    ----------
    K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image recognition",
    CVPR 2016.

    Examples
    --------
    >>> from convzoo.nn import Bottleneck
    >>> block = Bottleneck(64, 256, rng=0)
    >>> block.output_shape((1, 64, 8, 8)), "downsample.0.weight" in block.params
    ((1, 256, 8, 8), True)
    >>> Bottleneck(256, 512, stride=2, rng=0).output_shape((1, 256, 8, 8))
    (1, 512, 4, 4)
    """

    summary = "ResNet bottleneck: 1x1 reduce, k x k, 1x1 expand, BN/ReLU, residual shortcut"
    paper = "He et al. 2016, Deep residual learning for image recognition"

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size=3,
        stride=1,
        bottleneck_channels=None,
        groups=1,
        dilation=1,
        stride_on="middle",
        *,
        rng=None,
        dtype=np.float64,
    ):
        name = "Bottleneck"
        if stride_on not in ("middle", "first"):
            raise ValueError(f"{name}: stride_on must be 'middle' or 'first'; got {stride_on!r}")
        stride = positive_int(name, "stride", stride)
        mid = out_channels // 4 if bottleneck_channels is None else bottleneck_channels
        mid = positive_int(name, "bottleneck_channels", mid)
        s1, s2 = (stride, 1) if stride_on == "first" else (1, stride)
        rng = make_rng(rng)
        kw = dict(bias=False, rng=rng, dtype=dtype)
        pad = dilation * (kernel_size - 1) // 2
        body = {
            "conv1": Conv(in_channels, mid, 1, s1, **kw),
            "bn1": BatchNorm(mid, dtype=dtype),
            "relu1": ReLU(dtype=dtype),
            "conv2": Conv(mid, mid, kernel_size, s2, pad, dilation, groups, **kw),
            "bn2": BatchNorm(mid, dtype=dtype),
            "relu2": ReLU(dtype=dtype),
            "conv3": Conv(mid, out_channels, 1, **kw),
            "bn3": BatchNorm(out_channels, dtype=dtype),
        }
        shortcut = None
        if stride != 1 or in_channels != out_channels:
            shortcut = Sequential(
                Conv(in_channels, out_channels, 1, stride, **kw),
                BatchNorm(out_channels, dtype=dtype),
            )
        super().__init__(body, shortcut, ReLU(dtype=dtype), names=("", "downsample", "relu"))
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride
        self.stride_on = stride_on

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, stride={self.stride}" + (
            "" if self.stride_on == "middle" else ", stride_on='first'"
        )

    @classmethod
    def _kwargs_from_torch(cls, m):
        s1, s2 = m.conv1.stride[0], m.conv2.stride[0]
        return dict(
            in_channels=m.conv1.in_channels,
            out_channels=m.conv3.out_channels,
            kernel_size=m.conv2.kernel_size[0],
            stride=max(s1, s2),
            bottleneck_channels=m.conv1.out_channels,
            groups=m.conv2.groups,
            dilation=m.conv2.dilation[0],
            stride_on="first" if s1 > 1 else "middle",
        )

    @classmethod
    def example(cls):
        return cls(4, 8, stride=2, rng=0), (2, 4, 5, 5)
