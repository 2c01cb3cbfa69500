"""convzoo: every convolution type of CNNs, computed, sized, shown and scaled.

NumPy arrays in, NumPy arrays out, with PyTorch's layouts and semantics:
inputs ``(N, C, *spatial)``, weights ``(C_out, C_in/groups, *k)``, transposed weights
``(C_in, C_out/groups, *k)``, cross-correlation.

Examples
--------
>>> import numpy as np
>>> import convzoo
>>> x = np.random.default_rng(0).standard_normal((1, 3, 7, 7))
>>> w = np.random.default_rng(1).standard_normal((128, 3, 3, 3))
>>> convzoo.conv(x, w).shape
(1, 128, 5, 5)
>>> convzoo.output_shape((1, 3, 7, 7), (128, 3, 3, 3))
(1, 128, 5, 5)
"""

from .functional import conv, conv_backward, conv_transpose, conv_transpose_backward, convolve
from .functional.shuffle import channel_shuffle, channel_unshuffle
from .padding import pad
from .separate import low_rank, separate
from .shapes import resolve_padding
from .spec import PADDING_MODES, ConvSpec, make_spec, output_shape

__version__ = "0.1.0"

__all__ = [
    "ConvSpec",
    "PADDING_MODES",
    "channel_shuffle",
    "channel_unshuffle",
    "conv",
    "conv_backward",
    "conv_transpose",
    "conv_transpose_backward",
    "convolve",
    "low_rank",
    "make_spec",
    "output_shape",
    "pad",
    "resolve_padding",
    "separate",
]
