"""Layer instances shared by the convzoo.nn tests: every registered type plus supporting layers."""

import numpy as np

from convzoo import nn


def randomize(layer, seed=0):
    """Load random parameters and running statistics (so BN in eval mode is not identity)."""
    rng = np.random.default_rng(seed)
    state = {}
    for key, value in layer.state_dict().items():
        if key.endswith("num_batches_tracked"):
            state[key] = value
        elif key.endswith("running_var"):
            state[key] = rng.uniform(0.5, 2.0, value.shape)
        else:
            state[key] = rng.standard_normal(value.shape) * 0.5
    return layer.load_state_dict(state)


def _extra():
    f = np.float64
    return {
        "linear": (nn.Linear(6, 3, rng=0), (2, 6)),
        "batchnorm2d": (nn.BatchNorm(3), (2, 3, 3, 3)),
        "batchnorm1d": (nn.BatchNorm(4, ndim=0), (5, 4)),
        "relu": (nn.ReLU(), (2, 3, 4)),
        "relu6": (nn.ReLU6(), (2, 3, 4)),
        "maxpool": (nn.MaxPool(3, 2, 1), (2, 2, 5, 5)),
        "maxpool1d": (nn.MaxPool(2, ndim=1), (2, 2, 7)),
        "avgpool": (nn.AvgPool(3, 2, 1), (2, 2, 5, 5)),
        "avgpool_exclude_pad": (nn.AvgPool(3, 2, 1, count_include_pad=False), (2, 2, 5, 6)),
        "global_avgpool": (nn.GlobalAvgPool(), (2, 3, 3, 3)),
        "sequential_head": (
            nn.Sequential(
                nn.Conv(2, 3, 3, rng=0),
                nn.GlobalAvgPool(),
                nn.Flatten(),
                nn.Dropout(0.0),
                nn.Linear(3, 2, rng=1),
            ),
            (2, 2, 4, 4),
        ),  # fmt: skip
        "residual": nn.Residual.example(),
        "residual_projection": (
            nn.Residual(nn.Conv(2, 3, 3, 2, 1, rng=0), nn.Conv(2, 3, 1, 2, rng=1), "relu6"),
            (2, 2, 5, 5),
        ),
        "concat": nn.Concat.example(),
        "conv_transpose_grouped": (nn.ConvTranspose(4, 2, 2, 2, groups=2, rng=0), (2, 4, 3, 3)),
        "conv_reflect": (nn.Conv(2, 3, 3, padding=1, padding_mode="reflect", rng=0), (2, 2, 4, 4)),
        "pointwise_relu6": (nn.Pointwise(3, 4, activation="relu6", rng=0), (2, 3, 3, 3)),
        "depthwise_separable_bn": (
            nn.DepthwiseSeparable(3, 4, 3, 2, 1, depth_multiplier=2, norm_act=True, rng=0),
            (2, 3, 5, 5),
        ),
        "depthwise_separable_xception": (
            nn.DepthwiseSeparable(3, 4, 3, padding=1, order="xception", norm_act=True, rng=0),
            (2, 3, 4, 4),
        ),
        "basic_block": nn.BasicBlock.example(),
        "basic_block_identity": (nn.BasicBlock(3, 3, rng=0), (2, 3, 4, 4)),
        "bottleneck_identity": (nn.Bottleneck(8, 8, rng=0), (2, 8, 3, 3)),
        "bottleneck_v1": (nn.Bottleneck(4, 8, stride=2, stride_on="first", rng=0), (2, 4, 5, 5)),
        "shuffle_unit_stride1": (nn.ShuffleUnit(12, 12, groups=3, rng=0), (2, 12, 3, 3)),
        "shuffle_unit_first": (
            nn.ShuffleUnit(3, 15, groups=3, stride=2, grouped_first=False, rng=0),
            (2, 3, 5, 5),
        ),
        "dilated_3d": (nn.Conv3d(2, 2, 2, dilation=2, padding=1, dtype=f, rng=0), (1, 2, 4, 3, 4)),
    }


def cases():
    """name -> zero-argument factory of (layer, input_shape)."""
    out = {key: cls.example for key, cls in nn.registry().items()}
    extra = _extra()
    out.update({name: (lambda name=name: _extra()[name]) for name in extra})
    return out
