"""convzoo.nn: every convolution type of the seed as a layer, and the layers real models need.

Each layer has ``forward``/``backward``, ``params``/``grads``, ``state_dict`` with PyTorch
key names, ``to_torch``/``from_torch``, ``output_shape``, ``trace``, ``example`` and a
PyTorch-like ``repr``. :func:`registry` maps type names to classes.

Examples
--------
>>> import numpy as np
>>> from convzoo import nn
>>> layer, shape = nn.registry()["depthwise_separable"].example()
>>> y = layer(np.ones(shape))
>>> layer.backward(np.ones_like(y)).shape == shape
True
"""

from ._torch import layer_from_torch as from_torch
from .activation import ReLU, ReLU6
from .base import Layer, TraceEntry
from .bottleneck import Bottleneck
from .containers import Add, Concat, Dropout, Flatten, Residual, Sequential
from .conv import Conv, Conv1d, Conv3d, Dilated, SingleChannelConv
from .depthwise import Depthwise, DepthwiseSeparable
from .flattened import Flattened
from .grouped import Grouped, PointwiseGrouped, ShuffledGrouped
from .linear import Linear
from .norm import BatchNorm
from .pointwise import Pointwise
from .pool import AvgPool, GlobalAvgPool, MaxPool
from .registry import register, registry
from .separable import SpatiallySeparable
from .shuffle import ChannelShuffle, ShuffleUnit
from .transposed import ConvTranspose, Transposed, overlap_counts

__all__ = [
    "Add",
    "AvgPool",
    "BatchNorm",
    "Bottleneck",
    "ChannelShuffle",
    "Concat",
    "Conv",
    "Conv1d",
    "Conv3d",
    "ConvTranspose",
    "Depthwise",
    "DepthwiseSeparable",
    "Dilated",
    "Dropout",
    "Flatten",
    "Flattened",
    "GlobalAvgPool",
    "Grouped",
    "Layer",
    "Linear",
    "MaxPool",
    "Pointwise",
    "PointwiseGrouped",
    "ReLU",
    "ReLU6",
    "Residual",
    "Sequential",
    "ShuffleUnit",
    "ShuffledGrouped",
    "SingleChannelConv",
    "SpatiallySeparable",
    "TraceEntry",
    "Transposed",
    "from_torch",
    "overlap_counts",
    "register",
    "registry",
]
