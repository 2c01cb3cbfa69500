"""Transposed convolution ("deconvolution"; Zeiler et al. 2010, Long et al. 2015).

The adjoint of a strided convolution: every input cell stamps the kernel onto the output at
``stride`` spacing. When the kernel size is not divisible by the stride the stamps overlap
unevenly, the checkerboard pattern of Odena et al. 2016; :func:`overlap_counts` shows it.
"""

from __future__ import annotations

import numpy as np

from .._validate import int_tuple
from ..functional import conv_transpose, conv_transpose_backward
from ..spec import make_spec
from .base import Layer, shape_error
from .conv import init_conv, padding_repr, torch_padding

__all__ = ["ConvTranspose", "Transposed", "overlap_counts"]


def overlap_counts(input_size, kernel_size, stride, padding=0, dilation=1, output_padding=0):
    """How many kernel taps land on each output pixel of a transposed convolution.

    Computed with the engine: the transposed convolution of an all-ones input with an
    all-ones kernel.

    Parameters
    ----------
    input_size : tuple of int
        Spatial input size (its length sets the dimensions).
    kernel_size, stride, padding, dilation, output_padding
        As in :func:`convzoo.conv_transpose` (ints or tuples).

    Returns
    -------
    ndarray of int, shape out
        Uneven counts (kernel size not divisible by stride) are the checkerboard artifact.

    References
    ----------
    A. Odena, V. Dumoulin and C. Olah, "Deconvolution and checkerboard artifacts",
    Distill, 2016.

    Examples
    --------
    >>> from convzoo.nn.transposed import overlap_counts
    >>> overlap_counts((3,), 3, 2).tolist()        # 3 not divisible by 2: uneven
    [1, 1, 2, 1, 2, 1, 1]
    >>> overlap_counts((3,), 4, 2, padding=1).tolist()  # divisible: even inside
    [1, 2, 2, 2, 2, 1]
    """
    size = tuple(input_size)
    kernel = int_tuple("overlap_counts", "kernel_size", kernel_size, len(size))
    ones = np.ones((1, 1, *size))
    counts = conv_transpose(
        ones,
        np.ones((1, 1, *kernel)),
        stride=stride,
        padding=padding,
        dilation=dilation,
        output_padding=output_padding,
    )
    return np.rint(counts[0, 0]).astype(np.int64)


class ConvTranspose(Layer):
    """N-d transposed convolution layer, ``torch.nn.ConvTranspose{N}d`` for any N.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or tuple of int
    stride, padding, output_padding, dilation, groups, bias
        As in :func:`convzoo.conv_transpose`.
    ndim, rng, dtype
        As in :class:`~convzoo.nn.Conv`.

    Attributes
    ----------
    weight : ndarray, shape (in_channels, out_channels/groups, *kernel_size)
    bias : ndarray, shape (out_channels,), or None

    Notes
    -----
    ``out = (n-1)*s - lo - hi + d*(k-1) + output_padding + 1`` per dimension.

    References
    ----------
    V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning", 2016.

    Examples
    --------
    >>> from convzoo.nn import ConvTranspose
    >>> up = ConvTranspose(4, 2, 3, stride=2, padding=1, output_padding=1, rng=0)
    >>> up.output_shape((1, 4, 5, 5))
    (1, 2, 10, 10)
    >>> up.overlap((3, 3))
    array([[1, 2, 1, 2, 1, 1],
           [2, 4, 2, 4, 2, 2],
           [1, 2, 1, 2, 1, 1],
           [2, 4, 2, 4, 2, 2],
           [1, 2, 1, 2, 1, 1],
           [1, 2, 1, 2, 1, 1]])
    """

    summary = "transposed convolution ('deconvolution'): learnable upsampling"
    paper = "Zeiler et al. 2010, Deconvolutional networks; Dumoulin & Visin 2016"
    _param_names = ("weight", "bias")

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        *,
        ndim=None,
        rng=None,
        dtype=np.float64,
    ):
        super().__init__()
        init_conv(
            self, in_channels, out_channels, kernel_size, stride, dilation, groups, bias,
            ndim=ndim, rng=rng, dtype=dtype, transposed=True,
        )  # fmt: skip
        self.output_padding = int_tuple(
            type(self).__name__, "output_padding", output_padding, self.ndim, minimum=0
        )
        self.padding = padding

    def _kwargs(self):
        return dict(
            stride=self.stride,
            padding=self.padding,
            output_padding=self.output_padding,
            dilation=self.dilation,
            groups=self.groups,
        )

    def spec(self, input_shape):
        """The resolved :class:`convzoo.ConvSpec` (``transposed=True``)."""
        with shape_error(self, input_shape):
            return make_spec(
                type(self).__name__,
                tuple(input_shape),
                self.weight.shape,
                transposed=True,
                **self._kwargs(),
            )

    def output_shape(self, input_shape):
        return self.spec(input_shape).output_shape

    def overlap(self, input_spatial):
        """Kernel taps per output pixel for this layer on an input of ``input_spatial``."""
        return overlap_counts(input_spatial, self.kernel_size, **self._kwargs_no_groups())

    def _kwargs_no_groups(self):
        kwargs = self._kwargs()
        del kwargs["groups"]
        return kwargs

    def forward(self, x):
        self.spec(np.shape(x))
        self._x = x
        return conv_transpose(x, self.weight, self.bias, **self._kwargs())

    def backward(self, grad_output):
        gx, gw, gb = conv_transpose_backward(
            grad_output, self._cached("_x"), self.weight, **self._kwargs()
        )
        self._grads = {"weight": gw} | ({"bias": gb} if self.bias is not None else {})
        return gx

    def extra_repr(self):
        parts = [
            f"{self.in_channels}, {self.out_channels}",
            f"kernel_size={self.kernel_size}",
            f"stride={self.stride}{padding_repr(self.padding, self.ndim)}",
        ]
        if any(self.output_padding):
            parts.append(f"output_padding={self.output_padding}")
        if self.dilation != (1,) * self.ndim:
            parts.append(f"dilation={self.dilation}")
        if self.groups != 1:
            parts.append(f"groups={self.groups}")
        if self.bias is None:
            parts.append("bias=False")
        return ", ".join(parts)

    def _torch_module(self):
        from ._torch import require_torch

        nn = require_torch().nn
        name = type(self).__name__
        padding = self.padding
        if isinstance(padding, str) or self.ndim > 3:
            raise ValueError(
                f"{name}.to_torch: torch's ConvTranspose1d/2d/3d take int padding; got "
                f"padding={padding!r}, ndim={self.ndim}"
            )
        padding = torch_padding(name, padding, self.kernel_size, self.stride, self.dilation)
        return getattr(nn, f"ConvTranspose{self.ndim}d")(
            self.in_channels,
            self.out_channels,
            self.kernel_size,
            stride=self.stride,
            padding=padding,
            output_padding=self.output_padding,
            groups=self.groups,
            bias=self.bias is not None,
            dilation=self.dilation,
        )

    @classmethod
    def _kwargs_from_torch(cls, m):
        return dict(
            in_channels=m.in_channels,
            out_channels=m.out_channels,
            kernel_size=tuple(m.kernel_size),
            stride=tuple(m.stride),
            padding=tuple(m.padding),
            output_padding=tuple(m.output_padding),
            groups=m.groups,
            bias=m.bias is not None,
            dilation=tuple(m.dilation),
        )

    @classmethod
    def example(cls):
        return cls(3, 2, 3, stride=2, padding=1, output_padding=1, rng=0), (2, 3, 3, 3)


class Transposed(ConvTranspose):
    """The registry's transposed convolution: :class:`ConvTranspose` with a checkerboard
    example (kernel 3, stride 2).

    Examples
    --------
    >>> from convzoo.nn import Transposed
    >>> layer, shape = Transposed.example()
    >>> layer.overlap(shape[2:])[:2].tolist()
    [[1, 2, 1, 2, 1, 1], [2, 4, 2, 4, 2, 2]]
    """
