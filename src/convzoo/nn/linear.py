"""Fully connected layer, ``torch.nn.Linear``: ``y = x @ weight.T + bias``."""

from __future__ import annotations

import numpy as np

from .._validate import positive_int
from .base import Layer, make_rng
from .conv import uniform_init

__all__ = ["Linear"]


class Linear(Layer):
    """Fully connected layer on the last axis.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
    rng, dtype
        As in :class:`~convzoo.nn.Conv`.

    Attributes
    ----------
    weight : ndarray, shape (out_features, in_features)
    bias : ndarray, shape (out_features,), or None

    Notes
    -----
    ``y[..., o] = bias[o] + sum_i x[..., i] * weight[o, i]`` -- a 1x1 convolution on a 1x1
    image.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import Linear
    >>> fc = Linear(4, 2, rng=0)
    >>> fc
    Linear(in_features=4, out_features=2, bias=True)
    >>> fc(np.ones((3, 4))).shape
    (3, 2)
    """

    _param_names = ("weight", "bias")

    def __init__(self, in_features, out_features, bias=True, *, rng=None, dtype=np.float64):
        super().__init__()
        self.in_features = positive_int("Linear", "in_features", in_features)
        self.out_features = positive_int("Linear", "out_features", out_features)
        self.dtype = np.dtype(dtype)
        rng = make_rng(rng)
        self.weight = uniform_init(rng, (out_features, in_features), in_features, self.dtype)
        self.bias = uniform_init(rng, (out_features,), in_features, self.dtype) if bias else None
        self._x = None

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) < 1 or shape[-1] != self.in_features:
            raise ValueError(
                f"Linear: input shape {shape} must end in in_features={self.in_features}"
            )
        return (*shape[:-1], self.out_features)

    def forward(self, x):
        x = np.asarray(x)
        self.output_shape(x.shape)
        self._x = x
        y = x @ self.weight.T
        return y + self.bias if self.bias is not None else y

    def backward(self, grad_output):
        x = self._cached("_x")
        g2 = grad_output.reshape(-1, self.out_features)  # (M, out)
        self._grads = {"weight": g2.T @ x.reshape(-1, self.in_features)}
        if self.bias is not None:
            self._grads["bias"] = g2.sum(axis=0)
        return grad_output @ self.weight

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )

    def _torch_module(self):
        from ._torch import require_torch

        return require_torch().nn.Linear(self.in_features, self.out_features, self.bias is not None)

    @classmethod
    def _kwargs_from_torch(cls, m):
        return dict(in_features=m.in_features, out_features=m.out_features, bias=m.bias is not None)

    @classmethod
    def example(cls):
        return cls(6, 3, rng=0), (2, 6)
