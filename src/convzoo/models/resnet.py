"""ResNet (He et al. 2016), depths 18/34/50/101/152, variants v1 and v1.5.

Basic blocks (two 3x3 convolutions) for depths 18 and 34, bottlenecks (1x1 reduce, 3x3,
1x1 expand x4) for 50, 101 and 152; a 1x1 projection shortcut with BatchNorm where the
shape changes. **v1** (the paper, Caffe) strides a downsampling bottleneck in its first
1x1 convolution; **v1.5** (torchvision, NVIDIA) in its 3x3 convolution, which costs more
(4.09G instead of 3.86G MACs for ResNet-50) but is more accurate. Basic blocks stride the
first 3x3 in both.

References
----------
K. He, X. Zhang, S. Ren and J. Sun, "Deep Residual Learning for Image Recognition",
CVPR 2016 (arXiv:1512.03385).
"""

from __future__ import annotations

import numpy as np

from ..nn import BasicBlock, Bottleneck, Flatten, GlobalAvgPool, Linear, MaxPool, Sequential
from ._common import Model, choose, conv_bn, make_rng

__all__ = ["resnet", "RESNET_BLOCKS"]

#: Blocks per stage and whether they are bottlenecks, per depth (Table 1).
RESNET_BLOCKS = {
    18: ((2, 2, 2, 2), False),
    34: ((3, 4, 6, 3), False),
    50: ((3, 4, 6, 3), True),
    101: ((3, 4, 23, 3), True),
    152: ((3, 8, 36, 3), True),
}
VARIANTS = ("v1", "v1.5")


def _block(c_in, planes, stride, bottleneck, variant, rng, dtype):
    """The zoo's :class:`~convzoo.nn.Bottleneck` (v1: stride on the first 1x1) or
    :class:`~convzoo.nn.BasicBlock`."""
    if not bottleneck:
        return BasicBlock(c_in, planes, stride, rng=rng, dtype=dtype), planes
    stride_on = "first" if variant == "v1" else "middle"
    c_out = 4 * planes
    block = Bottleneck(c_in, c_out, 3, stride, planes, stride_on=stride_on, rng=rng, dtype=dtype)
    return block, c_out


def resnet(depth: int = 50, variant: str = "v1.5", resolution: int = 224,
           num_classes: int = 1000, *, rng=None, dtype=np.float64) -> Model:  # fmt: skip
    """ResNet-``depth`` in the given ``variant``.

    Parameters
    ----------
    depth : {18, 34, 50, 101, 152}
    variant : {'v1', 'v1.5'}
        Where a downsampling bottleneck strides: its first 1x1 (v1) or its 3x3 (v1.5).
    resolution : int
        Input height and width (224 in the paper).
    num_classes : int
    rng, dtype

    Returns
    -------
    Model
        torchvision's names: ``conv1, bn1, relu, maxpool, layer1..layer4`` (of
        :class:`~convzoo.nn.BasicBlock` or :class:`~convzoo.nn.Bottleneck` blocks:
        ``conv1, bn1, ..., downsample.0, downsample.1``), ``avgpool, flatten, fc``.

    Examples
    --------
    >>> import convzoo
    >>> c = convzoo.cost(resnet(18))
    >>> round(c.macs / 1e9, 2), c.params
    (1.81, 11689512)
    >>> resnet(depth=20)
    Traceback (most recent call last):
    ...
    ValueError: resnet: depth=20 is not one of [18, 34, 50, 101, 152]
    """
    func = "resnet"
    depth = choose(func, "depth", depth, tuple(RESNET_BLOCKS))
    variant = choose(func, "variant", variant, VARIANTS)
    rng, kw = make_rng(rng), {"dtype": dtype}
    repeats, bottleneck = RESNET_BLOCKS[depth]
    stem = conv_bn(3, 64, 7, 2, 3, rng=rng, **kw)
    layers = {"conv1": stem.conv, "bn1": stem.bn, "relu": stem.relu,
              "maxpool": MaxPool(3, 2, 1, **kw)}  # fmt: skip
    c_in = 64
    for stage, (planes, repeat) in enumerate(zip((64, 128, 256, 512), repeats), start=1):
        blocks = {}
        for i in range(repeat):
            stride = 2 if i == 0 and stage > 1 else 1
            blocks[str(i)], c_in = _block(c_in, planes, stride, bottleneck, variant, rng, dtype)
        layers[f"layer{stage}"] = Sequential(blocks)
    layers["avgpool"] = GlobalAvgPool(**kw)
    layers["flatten"] = Flatten(**kw)
    layers["fc"] = Linear(c_in, num_classes, rng=rng, **kw)
    return Model(
        layers, input_shape=(1, 3, resolution, resolution), name=f"ResNet-{depth} {variant}",
        paper="He et al. 2016, Deep Residual Learning, arXiv:1512.03385",
    )  # fmt: skip
