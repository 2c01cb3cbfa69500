"""The functional API: the few public functions every layer, model and adapter calls.

``conv``/``convolve``/``conv_backward`` and ``conv_transpose(_backward)`` are the engine's
front door; ``channel_shuffle``/``channel_unshuffle`` are ShuffleNet's permutation; the
fused kernels ``depthwise_separable`` and ``shuffle_pointwise_grouped`` compute a sequence of
two operations without materialising the intermediate (``shuffle_pointwise_grouped_backward``
its gradients).
"""

from .conv import conv, conv_backward, convolve
from .conv_transpose import conv_transpose, conv_transpose_backward
from .fused import (
    depthwise_separable,
    shuffle_pointwise_grouped,
    shuffle_pointwise_grouped_backward,
)
from .shuffle import channel_shuffle, channel_unshuffle

__all__ = [
    "channel_shuffle",
    "channel_unshuffle",
    "conv",
    "conv_backward",
    "conv_transpose",
    "conv_transpose_backward",
    "convolve",
    "depthwise_separable",
    "shuffle_pointwise_grouped",
    "shuffle_pointwise_grouped_backward",
]
