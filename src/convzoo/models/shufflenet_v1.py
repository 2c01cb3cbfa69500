"""ShuffleNet v1 (Zhang et al. 2017): pointwise group convolutions and channel shuffle.

Table 1 of the paper: a 3x3 stride-2 convolution (24 channels) and a 3x3 stride-2 max
pool, three stages of :class:`~convzoo.nn.ShuffleUnit` (4, 8 and 4 units; the first of each
has stride 2 and concatenates an average-pooled shortcut), global average pooling and a
1000-way fully connected layer. The first pointwise convolution of stage 2 is not grouped
(its input has only 24 channels). Scale factor ``s`` multiplies the stage widths; the stem
has 24 channels at 1x and 1.5x, 48 at 2x and 12 at 0.5x (16 with 8 groups), as in the
authors' released code (Megvii's ShuffleNet-Series), which is what reproduces the paper's
38M / 292M / 524M for 0.5x / 1.5x / 2x.

References
----------
X. Zhang, X. Zhou, M. Lin and J. Sun, "ShuffleNet: An Extremely Efficient Convolutional
Neural Network for Mobile Devices", CVPR 2018 (arXiv:1707.01083).
"""

from __future__ import annotations

import numpy as np

from ..nn import Flatten, GlobalAvgPool, Linear, MaxPool, Sequential, ShuffleUnit
from ._common import Model, choose, conv_bn, make_rng

__all__ = ["shufflenet_v1", "stem_channels", "SHUFFLENET_V1_WIDTHS"]

#: Output channels of stages 2, 3, 4 at scale 1x, per number of groups (Table 1).
SHUFFLENET_V1_WIDTHS = {
    1: (144, 288, 576),
    2: (200, 400, 800),
    3: (240, 480, 960),
    4: (272, 544, 1088),
    8: (384, 768, 1536),
}
#: Stem (conv1) channels per scale; 0.5x with 8 groups uses 16 (see :func:`stem_channels`).
STEM_CHANNELS = {0.5: 12, 1.0: 24, 1.5: 24, 2.0: 48}
REPEATS = (4, 8, 4)


def stem_channels(groups: int, scale: float) -> int:
    """Channels of the first convolution.

    Examples
    --------
    >>> stem_channels(3, 2.0), stem_channels(8, 0.5)
    (48, 16)
    """
    return 16 if (groups, scale) == (8, 0.5) else STEM_CHANNELS[scale]


def shufflenet_v1(groups: int = 3, scale: float = 1.0, resolution: int = 224,
                  num_classes: int = 1000, *, rng=None, dtype=np.float64) -> Model:  # fmt: skip
    """ShuffleNet v1 ``scale``x with ``groups`` groups.

    Parameters
    ----------
    groups : {1, 2, 3, 4, 8}
    scale : {0.5, 1.0, 1.5, 2.0}
        Multiplies the stage widths (the paper's "ShuffleNet s×"). Every bottleneck
        (a quarter of a stage's width) must split into ``groups`` groups: at 0.5x only
        1, 3 and 8 groups do.
    resolution : int
        Input height and width (224 in the paper).
    num_classes : int
    rng, dtype

    Returns
    -------
    Model
        Children ``conv1``, ``maxpool``, ``stage2``, ``stage3``, ``stage4``, ``pool``,
        ``flatten``, ``fc``.

    Examples
    --------
    >>> import convzoo
    >>> round(convzoo.cost(shufflenet_v1(groups=3)).macs / 1e6)
    137
    >>> shufflenet_v1(groups=5)
    Traceback (most recent call last):
    ...
    ValueError: shufflenet_v1: groups=5 is not one of [1, 2, 3, 4, 8]
    """
    func = "shufflenet_v1"
    groups = choose(func, "groups", groups, tuple(SHUFFLENET_V1_WIDTHS))
    scale = choose(func, "scale", scale, tuple(STEM_CHANNELS))
    rng, kw = make_rng(rng), {"dtype": dtype}
    widths = [int(c * scale) for c in SHUFFLENET_V1_WIDTHS[groups]]
    stem = stem_channels(groups, scale)
    for width in widths:
        if (width // 4) % groups:
            raise ValueError(
                f"{func}: scale={scale:g} with groups={groups} gives a stage of {width} channels "
                f"whose bottleneck ({width // 4}) does not split into {groups} groups"
            )
    layers = {"conv1": conv_bn(3, stem, 3, 2, 1, rng=rng, **kw), "maxpool": MaxPool(3, 2, 1, **kw)}
    c_in = stem
    for stage, (c_out, repeat) in enumerate(zip(widths, REPEATS), start=2):
        units = {}
        for i in range(repeat):
            first = i == 0
            units[str(i)] = ShuffleUnit(
                c_in, c_out, groups, stride=2 if first else 1,
                grouped_first=not (first and stage == 2), rng=rng, **kw,
            )  # fmt: skip
            c_in = c_out
        layers[f"stage{stage}"] = Sequential(units)
    layers["pool"] = GlobalAvgPool(**kw)
    layers["flatten"] = Flatten(**kw)
    layers["fc"] = Linear(c_in, num_classes, rng=rng, **kw)
    return Model(
        layers, input_shape=(1, 3, resolution, resolution),
        name=f"ShuffleNet v1 {scale:g}x (g={groups})",
        paper="Zhang et al. 2017, ShuffleNet, arXiv:1707.01083",
    )  # fmt: skip
