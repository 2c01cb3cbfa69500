"""The functional API: the few public functions every layer, model and adapter calls."""

from .conv import conv, conv_backward, convolve
from .conv_transpose import conv_transpose, conv_transpose_backward

__all__ = ["conv", "conv_backward", "convolve", "conv_transpose", "conv_transpose_backward"]
