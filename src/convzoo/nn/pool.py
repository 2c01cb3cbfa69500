"""Pooling: max (argmax backward), average (a depthwise convolution with a box kernel), global.

Max pooling reads the engine's window view (:func:`convzoo.engine.windows.windows`) and
routes each output's gradient to the tap that won; average pooling *is* a depthwise
convolution with a constant kernel ``1/prod(k)``, so it runs on :func:`convzoo.conv`.
"""

from __future__ import annotations

import math

import numpy as np

from .._validate import int_tuple
from ..engine.windows import windows
from ..functional import conv, conv_backward
from ..padding import pad
from ..spec import make_spec
from .base import Layer

__all__ = ["MaxPool", "AvgPool", "GlobalAvgPool"]


class _Pool(Layer):
    def __init__(self, kernel_size, stride=None, padding=0, *, ndim=2, dtype=np.float64):
        super().__init__()
        name = type(self).__name__
        self.ndim = ndim
        self.kernel_size = int_tuple(name, "kernel_size", kernel_size, ndim)
        self.stride = int_tuple(
            name, "stride", self.kernel_size if stride is None else stride, ndim
        )
        self.padding = int_tuple(name, "padding", padding, ndim, minimum=0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(
                f"{name}: padding={self.padding} must be at most half of "
                f"kernel_size={self.kernel_size}"
            )
        self.dtype = np.dtype(dtype)
        self._cache = None

    def _box(self, channels):
        return np.ones((channels, 1, *self.kernel_size), self.dtype)  # depthwise box kernel

    def spec(self, input_shape):
        shape = tuple(input_shape)
        channels = shape[1] if len(shape) > 1 else 1
        return make_spec(
            type(self).__name__,
            shape,
            self._box(channels).shape,
            stride=self.stride,
            padding=self.padding,
            groups=channels,
        )

    def output_shape(self, input_shape):
        return self.spec(input_shape).output_shape

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def _torch_module(self):
        from ._torch import require_torch

        kind = type(self).__name__
        cls = getattr(require_torch().nn, f"{kind}{self.ndim}d")
        extra = {"count_include_pad": self.count_include_pad} if kind == "AvgPool" else {}
        return cls(self.kernel_size, self.stride, self.padding, **extra)

    @classmethod
    def _kwargs_from_torch(cls, m):
        ndim = int(type(m).__name__[-2])
        if getattr(m, "ceil_mode", False) or getattr(m, "dilation", 1) not in (1, (1,) * ndim):
            raise ValueError(f"{cls.__name__}.from_torch: ceil_mode and dilation unsupported")
        kwargs = dict(kernel_size=m.kernel_size, stride=m.stride, padding=m.padding, ndim=ndim)
        if cls is AvgPool:
            kwargs["count_include_pad"] = m.count_include_pad
        return kwargs

    @classmethod
    def from_torch(cls, module):
        return cls(**cls._kwargs_from_torch(module)).train(module.training)

    @classmethod
    def example(cls):
        return cls(3, 2, 1), (2, 3, 5, 5)


class MaxPool(_Pool):
    """Max pooling, ``torch.nn.MaxPool{N}d`` (padding cells are -inf).

    Notes
    -----
    ``y[n, c, p] = max_t x_pad[n, c, p*s + t]``; the gradient of each output goes to the
    input cell that attained the maximum (the first one in a tie).

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import MaxPool
    >>> pool = MaxPool(2)
    >>> pool(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    >>> pool.backward(np.ones((1, 1, 2, 2)))[0, 0, 1].tolist()
    [0.0, 1.0, 0.0, 1.0]
    """

    def forward(self, x):
        spec = self.spec(np.shape(x))
        xp = pad(np.asarray(x), spec.padding, "constant", -np.inf)
        win = windows(xp, self.kernel_size, self.stride, (1,) * self.ndim)  # (N, C, *out, *k)
        flat = win.reshape(*win.shape[: 2 + self.ndim], -1)  # (N, C, *out, K)
        arg = flat.argmax(axis=-1)
        self._cache = (arg, xp.shape, spec)
        return np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]

    def backward(self, grad_output):
        arg, padded_shape, spec = self._cached("_cache")
        taps = np.unravel_index(arg, self.kernel_size)  # per dim: (N, C, *out)
        out = arg.shape[2:]
        coords = [
            np.arange(o).reshape((-1,) + (1,) * (self.ndim - 1 - i)) * s + t
            for i, (o, s, t) in enumerate(zip(out, self.stride, taps))
        ]  # input coordinate of each winner, per spatial dim
        index = np.ravel_multi_index(coords, padded_shape[2:])  # (N, C, *out)
        n, c = padded_shape[:2]
        grad = np.zeros((n * c, math.prod(padded_shape[2:])), np.result_type(grad_output))
        rows = np.arange(n * c)[:, None]
        np.add.at(grad, (rows, index.reshape(n * c, -1)), grad_output.reshape(n * c, -1))
        grad = grad.reshape(padded_shape)
        crop = tuple(
            slice(lo, lo + size) for (lo, _), size in zip(spec.padding, spec.input_spatial)
        )
        return grad[(Ellipsis, *crop)]


class AvgPool(_Pool):
    """Average pooling, ``torch.nn.AvgPool{N}d``: a depthwise convolution with a box kernel.

    Parameters
    ----------
    count_include_pad : bool
        Divide by ``prod(kernel_size)`` (True, PyTorch's default) or by the number of real
        input cells under the window.

    Notes
    -----
    ``y = conv(x, ones / K, groups=C)``; with ``count_include_pad=False`` the divisor is
    ``conv(ones_like(x), ones)``, the count of real cells. The backward is the convolution's.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import AvgPool
    >>> AvgPool(2)(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0].tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        *,
        ndim=2,
        count_include_pad=True,
        dtype=np.float64,
    ):
        super().__init__(kernel_size, stride, padding, ndim=ndim, dtype=dtype)
        self.count_include_pad = bool(count_include_pad)

    def _divisor(self, shape):
        if self.count_include_pad or not any(self.padding):
            return float(math.prod(self.kernel_size))
        ones = np.ones((1, 1, *shape[2:]), self.dtype)
        return conv(ones, self._box(1), stride=self.stride, padding=self.padding)

    def forward(self, x):
        x = np.asarray(x)
        self.spec(x.shape)
        self._cache = (x, self._divisor(x.shape))
        box = self._box(x.shape[1])
        return (
            conv(x, box, stride=self.stride, padding=self.padding, groups=x.shape[1])
            / (self._cache[1])
        )

    def backward(self, grad_output):
        x, divisor = self._cached("_cache")
        gx, _, _ = conv_backward(
            grad_output / divisor,
            x,
            self._box(x.shape[1]),
            stride=self.stride,
            padding=self.padding,
            groups=x.shape[1],
        )
        return gx

    def extra_repr(self):
        extra = "" if self.count_include_pad else ", count_include_pad=False"
        return super().extra_repr() + extra


class GlobalAvgPool(Layer):
    """Mean over every spatial position: ``(N, C, *spatial) -> (N, C, 1, ..., 1)``.

    ``torch.nn.AdaptiveAvgPool{N}d(1)``; Lin et al. 2014 (Network in Network).

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import GlobalAvgPool
    >>> GlobalAvgPool()(np.arange(8.0).reshape(1, 2, 2, 2)).ravel().tolist()
    [1.5, 5.5]
    """

    def __init__(self, *, ndim=2, dtype=np.float64):
        super().__init__()
        self.ndim, self.dtype = ndim, np.dtype(dtype)
        self._shape = None

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ValueError(f"GlobalAvgPool: input shape {shape} must be (N, C, *spatial)")
        return (*shape[:2], *(1,) * (len(shape) - 2))

    def forward(self, x):
        x = np.asarray(x)
        self.output_shape(x.shape)
        self._shape = x.shape
        return x.mean(axis=tuple(range(2, x.ndim)), keepdims=True)

    def backward(self, grad_output):
        shape = self._cached("_shape")
        return np.broadcast_to(grad_output / math.prod(shape[2:]), shape).copy()

    def _torch_module(self):
        from ._torch import require_torch

        return getattr(require_torch().nn, f"AdaptiveAvgPool{self.ndim}d")(1)

    @classmethod
    def from_torch(cls, m):
        size = m.output_size
        if size not in (1, (1,) * len(size if isinstance(size, tuple) else ())):
            raise ValueError(f"GlobalAvgPool.from_torch: output_size must be 1; got {size}")
        return cls(ndim=int(type(m).__name__[-2])).train(m.training)

    @classmethod
    def example(cls):
        return cls(), (2, 3, 3, 3)
