"""MobileNetV2 (Sandler et al. 2018): inverted residuals with linear bottlenecks.

Table 2 of the paper: a 3x3 stride-2 convolution (32), seventeen inverted residual
blocks (1x1 expansion by ``t`` with ReLU6, 3x3 depthwise with ReLU6, linear 1x1
projection; an identity shortcut when stride is 1 and the shape is kept), a 1x1
convolution to 1280 channels, global average pooling and a 1000-way classifier (with
dropout, as torchvision's ``mobilenet_v2``, whose 3,504,872 parameters this reproduces).

References
----------
M. Sandler, A. Howard, M. Zhu, A. Zhmoginov and L.-C. Chen, "MobileNetV2: Inverted
Residuals and Linear Bottlenecks", CVPR 2018 (arXiv:1801.04381).
"""

from __future__ import annotations

import numpy as np

from ..nn import Dropout, Flatten, GlobalAvgPool, Linear, Residual, Sequential
from ._common import Model, conv_bn, make_rng, positive_number

__all__ = ["mobilenet_v2", "MOBILENET_V2_SETTINGS"]

#: (expansion t, output channels c, repeats n, first stride s) per sequence (Table 2).
MOBILENET_V2_SETTINGS = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)  # fmt: skip


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round channels to a multiple of ``divisor``, never below 90% of ``value``.

    Examples
    --------
    >>> make_divisible(32 * 0.35), make_divisible(1280 * 1.4)
    (16, 1792)
    """
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _inverted_residual(c_in, c_out, stride, t, rng, dtype):
    kw = {"rng": rng, "dtype": dtype}
    hidden = int(round(c_in * t))
    body = {}
    if t != 1:
        body["expand"] = conv_bn(c_in, hidden, 1, act="relu6", **kw)
    body["depthwise"] = conv_bn(hidden, hidden, 3, stride, 1, groups=hidden, act="relu6", **kw)
    body["project"] = conv_bn(hidden, c_out, 1, act=None, **kw)
    body = Sequential(body)
    if stride == 1 and c_in == c_out:
        return Residual(body, names=("conv", "shortcut", "activation"), dtype=dtype)
    return body


def mobilenet_v2(width: float = 1.0, resolution: int = 224, num_classes: int = 1000, *,
                 rng=None, dtype=np.float64) -> Model:  # fmt: skip
    """MobileNetV2 with width multiplier ``width`` (channels rounded to multiples of 8).

    Parameters
    ----------
    width : float
        Multiplies every width; the last 1x1 has ``1280 * max(1, width)`` channels.
    resolution : int
        Input height and width (224 in the paper).
    num_classes : int
    rng, dtype

    Returns
    -------
    Model
        Children ``features`` (``0`` stem, ``1`` ... ``17`` blocks, ``18`` last 1x1),
        ``pool``, ``flatten``, ``dropout``, ``fc``.

    Examples
    --------
    >>> import convzoo
    >>> c = convzoo.cost(mobilenet_v2())
    >>> round(c.macs / 1e6), c.params
    (301, 3504872)
    """
    width = positive_number("mobilenet_v2", "width", width)
    rng, kw = make_rng(rng), {"dtype": dtype}
    c_in = make_divisible(32 * width)
    last = make_divisible(1280 * max(1.0, width))
    features = {"0": conv_bn(3, c_in, 3, 2, 1, act="relu6", rng=rng, **kw)}
    for t, c, n, s in MOBILENET_V2_SETTINGS:
        c_out = make_divisible(c * width)
        for i in range(n):
            index = str(len(features))
            features[index] = _inverted_residual(c_in, c_out, s if i == 0 else 1, t, rng, dtype)
            c_in = c_out
    features[str(len(features))] = conv_bn(c_in, last, 1, act="relu6", rng=rng, **kw)
    layers = {
        "features": Sequential(features), "pool": GlobalAvgPool(**kw), "flatten": Flatten(**kw),
        "dropout": Dropout(0.2, **kw), "fc": Linear(last, num_classes, rng=rng, **kw),
    }  # fmt: skip
    return Model(
        layers, input_shape=(1, 3, resolution, resolution), name=f"MobileNetV2 {width:g}",
        paper="Sandler et al. 2018, MobileNetV2, arXiv:1801.04381",
    )  # fmt: skip
