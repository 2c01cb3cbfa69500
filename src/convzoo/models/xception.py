"""Xception (Chollet 2017): depthwise separable convolutions with residual connections.

Entry flow (two 3x3 convolutions, three downsampling blocks), middle flow (eight blocks
of three separable 728-channel convolutions with identity shortcuts), exit flow (one
downsampling block, separable 1536 and 2048), global average pooling and a 1000-way
classifier; 299x299 input. Every separable convolution is depthwise 3x3 then pointwise 1x1
without bias, followed by BatchNorm — as in Keras' ``Xception``, whose 22,855,952
trainable parameters this reproduces. Downsampling blocks add a strided 1x1 projection
with BatchNorm to a 3x3 stride-2 max pool.

References
----------
F. Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions", CVPR 2017
(arXiv:1610.02357).
"""

from __future__ import annotations

import numpy as np

from ..nn import (
    BatchNorm,
    DepthwiseSeparable,
    Flatten,
    GlobalAvgPool,
    Linear,
    MaxPool,
    ReLU,
    Residual,
    Sequential,
)
from ._common import Model, conv_bn, make_rng

__all__ = ["xception"]


def _separable(c_in, c_out, rng, dtype):
    """Keras' SeparableConv2D: the zoo's bare depthwise 3x3 then pointwise 1x1, no bias."""
    return DepthwiseSeparable(c_in, c_out, 3, 1, 1, bias=False, rng=rng, dtype=dtype)


def _block(channels, c_in, *, relu_first, downsample, rng, dtype):
    """ReLU? -> (sep, BN) -> [ReLU -> (sep, BN)]... -> maxpool?, plus a shortcut."""
    body, c = {}, c_in
    for i, c_out in enumerate(channels, start=1):
        if i > 1 or relu_first:
            body[f"relu{i}"] = ReLU(dtype=dtype)
        body[f"sep{i}"] = _separable(c, c_out, rng, dtype)
        body[f"bn{i}"] = BatchNorm(c_out, dtype=dtype)
        c = c_out
    shortcut = None
    if downsample:
        body["pool"] = MaxPool(3, 2, 1, dtype=dtype)
        shortcut = conv_bn(c_in, c, 1, 2, act=None, rng=rng, dtype=dtype)
    return Residual(Sequential(body), shortcut, names=("", "skip", "activation"), dtype=dtype)


def xception(resolution: int = 299, num_classes: int = 1000, *, rng=None,
             dtype=np.float64) -> Model:  # fmt: skip
    """Xception for ``resolution x resolution`` inputs (299 in the paper).

    Returns
    -------
    Model
        Children ``conv1``, ``conv2``, ``block2`` ... ``block14``, ``pool``, ``flatten``,
        ``fc``.

    Examples
    --------
    >>> import convzoo
    >>> convzoo.cost(xception()).params
    22855952
    """
    rng, kw = make_rng(rng), {"rng": rng, "dtype": dtype}
    rng = kw["rng"] = make_rng(rng)
    layers = {"conv1": conv_bn(3, 32, 3, 2, **kw), "conv2": conv_bn(32, 64, 3, **kw)}
    c = 64
    for i, width in enumerate((128, 256, 728), start=2):  # entry flow
        layers[f"block{i}"] = _block((width, width), c, relu_first=i > 2, downsample=True,
                                     **kw)  # fmt: skip
        c = width
    for i in range(5, 13):  # middle flow
        layers[f"block{i}"] = _block((728,) * 3, 728, relu_first=True, downsample=False, **kw)
    layers["block13"] = _block((728, 1024), 728, relu_first=True, downsample=True, **kw)
    layers["block14"] = Sequential({
        "sep1": _separable(1024, 1536, rng, dtype), "bn1": BatchNorm(1536, dtype=dtype),
        "relu1": ReLU(dtype=dtype),
        "sep2": _separable(1536, 2048, rng, dtype), "bn2": BatchNorm(2048, dtype=dtype),
        "relu2": ReLU(dtype=dtype),
    })  # fmt: skip
    layers["pool"] = GlobalAvgPool(dtype=dtype)
    layers["flatten"] = Flatten(dtype=dtype)
    layers["fc"] = Linear(2048, num_classes, **kw)
    return Model(
        layers, input_shape=(1, 3, resolution, resolution), name="Xception",
        paper="Chollet 2017, Xception, arXiv:1610.02357",
    )  # fmt: skip
