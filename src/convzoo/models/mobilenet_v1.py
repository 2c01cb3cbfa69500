"""MobileNet v1 (Howard et al. 2017): a stack of depthwise separable convolutions.

Table 1 of the paper, with its erratum fixed: the table prints the last depthwise layer
("Conv dw / s2", 7x7x1024) with stride 2, but its input and output are both 7x7, so the
stride is 1 (as in every released implementation); with stride 2 the network would end at
4x4 and no longer cost the 569M Mult-Adds of Table 6.

References
----------
A. G. Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications", arXiv:1704.04861, 2017.
"""

from __future__ import annotations

import numpy as np

from ..nn import DepthwiseSeparable, Flatten, GlobalAvgPool, Linear
from ._common import Model, conv_bn, make_rng, positive_number

__all__ = ["mobilenet_v1", "MOBILENET_V1_LAYERS"]

#: (stride of the depthwise 3x3, output channels of the pointwise 1x1) of the 13 blocks.
MOBILENET_V1_LAYERS = (
    (1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512),
    (1, 512), (1, 512), (1, 512), (1, 512), (1, 512),
    (2, 1024), (1, 1024),  # the paper's Table 1 prints stride 2 for this last one: erratum
)  # fmt: skip


def mobilenet_v1(width: float = 1.0, resolution: int = 224, separable: bool = True,
                 num_classes: int = 1000, *, rng=None, dtype=np.float64) -> Model:  # fmt: skip
    """MobileNet v1 with width multiplier ``alpha = width`` and input ``resolution``.

    Parameters
    ----------
    width : float
        Width multiplier alpha: every layer has ``max(int(c * width), 8)`` channels (the
        paper's grid uses 1, 0.75, 0.5, 0.25).
    resolution : int
        Input height and width (the resolution multiplier rho = resolution / 224).
    separable : bool
        False builds the paper's "Conv MobileNet": every depthwise separable block replaced
        by a full 3x3 convolution (Table 4).
    num_classes : int
    rng, dtype
        Seed and dtype of the weights.

    Returns
    -------
    Model
        Children ``conv1``, ``block1`` ... ``block13`` (``depthwise, bn1, relu1,
        pointwise, bn2, relu2``; or ``conv, bn, relu``), ``pool``, ``flatten``, ``fc``;
        ``input_shape = (1, 3, resolution, resolution)``.

    Examples
    --------
    >>> import numpy as np
    >>> import convzoo
    >>> model = mobilenet_v1(width=0.25, resolution=32)
    >>> model(np.zeros(model.input_shape)).shape
    (1, 1000)
    >>> c = convzoo.cost(mobilenet_v1())
    >>> round(c.macs / 1e6), round(c.params / 1e6, 2)
    (569, 4.23)
    """
    func = "mobilenet_v1"
    width = positive_number(func, "width", width)
    resolution = int(positive_number(func, "resolution", resolution))
    rng, kw = make_rng(rng), {"dtype": dtype}

    def channels(c):
        return max(int(c * width), 8)

    layers = {"conv1": conv_bn(3, channels(32), 3, 2, 1, rng=rng, **kw)}
    c_in = channels(32)
    for i, (stride, c) in enumerate(MOBILENET_V1_LAYERS, start=1):
        c_out = channels(c)
        if separable:  # the zoo's DepthwiseSeparable, MobileNet style (BN + ReLU per step)
            layers[f"block{i}"] = DepthwiseSeparable(
                c_in, c_out, 3, stride, 1, bias=False, norm_act=True, rng=rng, **kw
            )
        else:
            layers[f"block{i}"] = conv_bn(c_in, c_out, 3, stride, 1, rng=rng, **kw)
        c_in = c_out
    layers["pool"] = GlobalAvgPool(**kw)
    layers["flatten"] = Flatten(**kw)
    layers["fc"] = Linear(c_in, num_classes, rng=rng, **kw)
    name = f"MobileNet v1 {width:g}-{resolution}" + ("" if separable else " (full conv)")
    return Model(
        layers, input_shape=(1, 3, resolution, resolution), name=name,
        paper="Howard et al. 2017, MobileNets, arXiv:1704.04861",
    )  # fmt: skip
