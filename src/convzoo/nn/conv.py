"""Standard N-d convolution layer (LeCun et al. 1989), and its registry presets.

``Conv`` is ``torch.nn.Conv{1,2,3}d`` for any number of spatial dimensions: a bank of
``out_channels`` filters, each ``in_channels/groups`` kernels deep, sliding over the input.
Forward and backward are :func:`convzoo.conv` and :func:`convzoo.conv_backward`.
The presets (``SingleChannelConv``, ``Conv1d``, ``Conv3d``, ``Dilated``) only change the
defaults and the example: they are the seed's single-channel, 1D, 3D and atrous cases.
"""

from __future__ import annotations

import math

import numpy as np

from .._validate import int_tuple, positive_int
from ..functional import conv, conv_backward
from ..spec import make_spec
from .base import Layer, make_rng, shape_error

__all__ = ["Conv", "SingleChannelConv", "Conv1d", "Conv3d", "Dilated", "torch_padding"]


def kernel_tuple(name, kernel_size, ndim):
    if ndim is None:
        ndim = len(kernel_size) if isinstance(kernel_size, tuple | list) else 2
    ndim = positive_int(name, "ndim", ndim)
    return int_tuple(name, "kernel_size", kernel_size, ndim), ndim


def uniform_init(rng, shape, fan_in, dtype):
    """PyTorch's default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / math.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def init_conv(
    layer,
    in_channels,
    out_channels,
    kernel_size,
    stride,
    dilation,
    groups,
    bias,
    *,
    ndim,
    rng,
    dtype,
    transposed=False,
):
    """Check and store the hyperparameters every convolution layer shares; draw its weights.

    Sets ``in_channels, out_channels, kernel_size, ndim, stride, dilation, groups, dtype,
    weight, bias`` on ``layer``. The weight is ``(C_out, C_in/groups, *k)``, or
    ``(C_in, C_out/groups, *k)`` when ``transposed``; both are drawn like PyTorch's
    (uniform in ``+-1/sqrt(fan_in)``, fan_in from the weight's second axis and the kernel).

    Examples
    --------
    >>> from convzoo.nn import Layer
    >>> layer = Layer()
    >>> init_conv(layer, 4, 6, 3, 1, 1, 2, True, ndim=None, rng=0, dtype=np.float64)
    >>> layer.weight.shape, layer.bias.shape, layer.kernel_size
    ((6, 2, 3, 3), (6,), (3, 3))
    """
    name = type(layer).__name__
    layer.in_channels = positive_int(name, "in_channels", in_channels)
    layer.out_channels = positive_int(name, "out_channels", out_channels)
    layer.kernel_size, layer.ndim = kernel_tuple(name, kernel_size, ndim)
    layer.stride = int_tuple(name, "stride", stride, layer.ndim)
    layer.dilation = int_tuple(name, "dilation", dilation, layer.ndim)
    layer.groups = positive_int(name, "groups", groups)
    for what, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
        if channels % layer.groups:
            raise ValueError(f"{name}: groups={groups} must divide {what}={channels}")
    layer.dtype = np.dtype(dtype)
    rng = make_rng(rng)
    first, second = (in_channels, out_channels) if transposed else (out_channels, in_channels)
    shape = (first, second // layer.groups, *layer.kernel_size)
    fan_in = second // layer.groups * math.prod(layer.kernel_size)  # as torch
    layer.weight = uniform_init(rng, shape, fan_in, layer.dtype)
    layer.bias = uniform_init(rng, (out_channels,), fan_in, layer.dtype) if bias else None
    layer._x = None


def torch_padding(name, padding, kernel, stride, dilation):
    """The padding argument torch accepts for this layer, or a ValueError saying why not."""
    if isinstance(padding, str):
        if padding == "valid":
            return "valid"
        if padding == "same" and all(s == 1 for s in stride):
            return "same"
        raise ValueError(
            f"{name}.to_torch: torch supports padding 'valid' and 'same' (stride 1 only); "
            f"got padding={padding!r} with stride={stride}"
        )
    ndim = len(kernel)
    if isinstance(padding, tuple | list) and any(isinstance(p, tuple | list) for p in padding):
        pairs = [tuple(p) for p in padding]
        if any(lo != hi for lo, hi in pairs):
            raise ValueError(
                f"{name}.to_torch: torch needs symmetric padding; got padding={padding!r}"
            )
        return tuple(lo for lo, _ in pairs)
    return int_tuple(name, "padding", padding, ndim, minimum=0)


def padding_repr(padding, ndim):
    """``", padding=..."`` for a repr (PyTorch's tuple form), or ``""`` for no padding."""
    if isinstance(padding, str):
        return f", padding={padding!r}"
    if isinstance(padding, tuple | list) and any(isinstance(p, tuple | list) for p in padding):
        pairs = tuple(tuple(p) for p in padding)
        return f", padding={pairs}" if any(any(p) for p in pairs) else ""
    values = int_tuple("repr", "padding", padding, ndim, minimum=0)
    return f", padding={values}" if any(values) else ""


class Conv(Layer):
    """N-d convolution (cross-correlation) layer, ``torch.nn.Conv{N}d`` for any N.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or tuple of int
        A tuple sets the number of spatial dimensions; an int uses ``ndim``.
    stride, padding, dilation, groups, padding_mode, padding_value
        As in :func:`convzoo.conv` (every padding form and mode).
    bias : bool
    ndim : int, optional
        Spatial dimensions when ``kernel_size`` is an int (default 2).
    rng : None, int or numpy.random.Generator
        Seed of PyTorch's default initialisation ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.
    dtype : numpy dtype

    Attributes
    ----------
    weight : ndarray, shape (out_channels, in_channels/groups, *kernel_size)
    bias : ndarray, shape (out_channels,), or None

    Notes
    -----
    ``y[n, o, p] = bias[o] + sum_{c, t} x_pad[n, g*C_g + c, p*s + t*d] * weight[o, c, t]``.

    References
    ----------
    Y. LeCun et al., "Backpropagation applied to handwritten zip code recognition",
    Neural Computation 1(4), 1989.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import Conv
    >>> layer = Conv(3, 8, 3, padding=1, rng=0)
    >>> layer
    Conv(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    >>> layer(np.ones((1, 3, 5, 5))).shape
    (1, 8, 5, 5)
    >>> layer.output_shape((1, 3, 32, 32))
    (1, 8, 32, 32)
    """

    summary = "multi-channel 2D convolution: each filter spans all input channels"
    paper = "LeCun et al. 1989, Backpropagation applied to handwritten zip code recognition"
    _param_names = ("weight", "bias")
    _defaults = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1}

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        padding_value=0.0,
        *,
        ndim=None,
        rng=None,
        dtype=np.float64,
    ):
        super().__init__()
        init_conv(
            self, in_channels, out_channels, kernel_size, stride, dilation, groups, bias,
            ndim=ndim, rng=rng, dtype=dtype,
        )  # fmt: skip
        self.padding, self.padding_mode, self.padding_value = padding, padding_mode, padding_value

    def _conv_kwargs(self):
        return dict(
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
            padding_mode=self.padding_mode,
            padding_value=self.padding_value,
        )

    def spec(self, input_shape):
        """The resolved :class:`convzoo.ConvSpec` of this layer on ``input_shape``."""
        with shape_error(self, input_shape):
            return make_spec(
                type(self).__name__, tuple(input_shape), self.weight.shape, **self._conv_kwargs()
            )

    def output_shape(self, input_shape):
        return self.spec(input_shape).output_shape

    def forward(self, x):
        self.spec(np.shape(x))  # errors name the layer
        self._x = x
        return conv(x, self.weight, self.bias, **self._conv_kwargs())

    def backward(self, grad_output):
        gx, gw, gb = conv_backward(
            grad_output, self._cached("_x"), self.weight, **self._conv_kwargs()
        )
        self._grads = {"weight": gw} | ({"bias": gb} if self.bias is not None else {})
        return gx

    def extra_repr(self):
        parts = [f"{self.in_channels}, {self.out_channels}", f"kernel_size={self.kernel_size}"]
        parts.append(f"stride={self.stride}{padding_repr(self.padding, self.ndim)}")
        if self.dilation != (1,) * self.ndim:
            parts.append(f"dilation={self.dilation}")
        if self.groups != 1:
            parts.append(f"groups={self.groups}")
        if self.bias is None:
            parts.append("bias=False")
        if self.padding_mode != "zeros":
            parts.append(f"padding_mode={self.padding_mode!r}")
        if self.padding_mode == "constant":
            parts.append(f"padding_value={self.padding_value}")
        return ", ".join(parts)

    def _torch_module(self):
        from ._torch import require_torch

        nn = require_torch().nn
        name = type(self).__name__
        if self.ndim > 3 or self.padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(
                f"{name}.to_torch: torch has Conv1d/2d/3d with padding modes zeros, reflect, "
                f"replicate, circular; got ndim={self.ndim}, padding_mode={self.padding_mode!r}"
            )
        padding = torch_padding(name, self.padding, self.kernel_size, self.stride, self.dilation)
        return getattr(nn, f"Conv{self.ndim}d")(
            self.in_channels,
            self.out_channels,
            self.kernel_size,
            stride=self.stride,
            padding=padding,
            dilation=self.dilation,
            groups=self.groups,
            bias=self.bias is not None,
            padding_mode=self.padding_mode,
        )

    @classmethod
    def _kwargs_from_torch(cls, m):
        return dict(
            in_channels=m.in_channels,
            out_channels=m.out_channels,
            kernel_size=tuple(m.kernel_size),
            stride=tuple(m.stride),
            padding=m.padding if isinstance(m.padding, str) else tuple(m.padding),
            dilation=tuple(m.dilation),
            groups=m.groups,
            bias=m.bias is not None,
            padding_mode=m.padding_mode,
        )

    @classmethod
    def example(cls):
        return cls(3, 4, 3, padding=1, rng=0), (2, 3, 5, 5)


class SingleChannelConv(Conv):
    """Single-channel 2D convolution: one k x k kernel over one image (the seed's start).

    Examples
    --------
    >>> from convzoo.nn import SingleChannelConv
    >>> SingleChannelConv(kernel_size=3).output_shape((1, 1, 5, 5))
    (1, 1, 3, 3)
    """

    summary = "single-channel 2D convolution: one kernel slides over one image"

    def __init__(self, in_channels=1, out_channels=1, kernel_size=3, *args, **kwargs):
        super().__init__(in_channels, out_channels, kernel_size, *args, **kwargs)

    @classmethod
    def example(cls):
        return cls(1, 1, 3, rng=0), (1, 1, 5, 5)


class Conv1d(Conv):
    """1D convolution over sequences ``(N, C, L)``.

    Examples
    --------
    >>> from convzoo.nn import Conv1d
    >>> Conv1d(2, 4, 3).output_shape((1, 2, 10))
    (1, 4, 8)
    """

    summary = "1D convolution: the filter moves along one axis (signals, text)"

    def __init__(self, in_channels, out_channels, kernel_size, *args, ndim=1, **kwargs):
        super().__init__(in_channels, out_channels, kernel_size, *args, ndim=ndim, **kwargs)

    @classmethod
    def example(cls):
        return cls(2, 3, 3, padding=1, rng=0), (2, 2, 7)


class Conv3d(Conv):
    """3D convolution over volumes ``(N, C, D, H, W)``: the filter moves in 3 directions.

    Examples
    --------
    >>> from convzoo.nn import Conv3d
    >>> Conv3d(1, 2, 3).output_shape((1, 1, 5, 6, 7))
    (1, 2, 3, 4, 5)
    """

    summary = "3D convolution: the filter moves in 3 directions (video, CT volumes)"
    paper = "Ji et al. 2013, 3D convolutional neural networks for human action recognition"

    def __init__(self, in_channels, out_channels, kernel_size, *args, ndim=3, **kwargs):
        super().__init__(in_channels, out_channels, kernel_size, *args, ndim=ndim, **kwargs)

    @classmethod
    def example(cls):
        return cls(2, 3, 3, padding=1, rng=0), (2, 2, 4, 4, 4)


class Dilated(Conv):
    """Dilated (atrous) convolution: taps spaced ``dilation`` apart (default 2).

    A k x k kernel with dilation d covers ``d*(k-1)+1`` pixels with k*k weights.

    References
    ----------
    F. Yu and V. Koltun, "Multi-scale context aggregation by dilated convolutions",
    ICLR 2016.

    Examples
    --------
    >>> from convzoo.nn import Dilated
    >>> Dilated(1, 1, 3).output_shape((1, 1, 7, 7))    # 5x5 receptive field
    (1, 1, 3, 3)
    """

    summary = "dilated / atrous convolution: kernel taps spaced apart, larger receptive field"
    paper = "Yu & Koltun 2016, Multi-scale context aggregation by dilated convolutions"

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=2,
        *args,
        **kwargs,
    ):
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, *args, **kwargs
        )

    @classmethod
    def example(cls):
        return cls(2, 3, 3, padding=2, dilation=2, rng=0), (2, 2, 6, 6)
