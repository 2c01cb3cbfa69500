"""Batch normalisation (Ioffe & Szegedy 2015), N-d, with exact train- and eval-mode backward.

In train mode the layer normalises with the batch's mean and (biased) variance over
``(N, *spatial)`` and updates the running statistics like PyTorch (unbiased variance,
``running = (1 - momentum) * running + momentum * batch``); in eval mode (the default) it
uses the running statistics, an affine map per channel.
"""

from __future__ import annotations

import numpy as np

from .._validate import positive_int
from .base import Layer

__all__ = ["BatchNorm"]


class BatchNorm(Layer):
    """Batch normalisation over the channel axis of ``(N, C, *spatial)``.

    Parameters
    ----------
    num_features : int
        Channels ``C``.
    eps : float
    momentum : float
    ndim : int
        Spatial dimensions of the torch twin (``BatchNorm{max(ndim, 1)}d``); the NumPy layer
        accepts any.
    dtype : numpy dtype

    Attributes
    ----------
    weight, bias : ndarray, shape (C,)
        gamma and beta (params).
    running_mean, running_var : ndarray, shape (C,); num_batches_tracked : int64 scalar
        Buffers.

    Notes
    -----
    ``y = (x - mean) / sqrt(var + eps) * weight + bias``. Train-mode input gradient, with
    ``xhat`` the normalised input, ``g' = g * weight`` and ``m = N * prod(spatial)``:
    ``dx = (g' - mean(g') - xhat * mean(g' * xhat)) / sqrt(var + eps)``.

    References
    ----------
    S. Ioffe and C. Szegedy, "Batch normalization", ICML 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import BatchNorm
    >>> bn = BatchNorm(2).train()
    >>> y = bn(np.arange(8.0).reshape(2, 2, 2))
    >>> np.round(y.mean(axis=(0, 2)), 12).tolist(), bn.running_mean.tolist()
    ([0.0, 0.0], [0.25, 0.45])
    """

    _param_names = ("weight", "bias")
    _buffer_names = ("running_mean", "running_var", "num_batches_tracked")

    def __init__(self, num_features, eps=1e-5, momentum=0.1, *, ndim=2, rng=None, dtype=np.float64):
        super().__init__()
        self.num_features = positive_int("BatchNorm", "num_features", num_features)
        self.eps, self.momentum, self.ndim = float(eps), float(momentum), int(ndim)
        self.dtype = np.dtype(dtype)
        self.weight = np.ones(num_features, self.dtype)
        self.bias = np.zeros(num_features, self.dtype)
        self.running_mean = np.zeros(num_features, self.dtype)
        self.running_var = np.ones(num_features, self.dtype)
        self.num_batches_tracked = np.array(0, np.int64)
        self._cache = None

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) < 2 or shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm: input shape {shape} must be (N, C={self.num_features}, *spatial)"
            )
        return shape

    def _bcast(self, v, ndim):
        return v.reshape((1, -1) + (1,) * (ndim - 2))  # (C,) -> (1, C, 1, ...)

    def forward(self, x):
        x = np.asarray(x)
        self.output_shape(x.shape)
        axes = (0, *range(2, x.ndim))
        if self.training:
            mean, var = x.mean(axis=axes), x.var(axis=axes)
            m = x.size // self.num_features
            if m < 2:
                raise ValueError(
                    f"BatchNorm: train mode needs more than 1 value per channel; got input "
                    f"shape {x.shape}"
                )
            r = self.momentum
            self.running_mean = (1 - r) * self.running_mean + r * mean
            self.running_var = (1 - r) * self.running_var + r * var * m / (m - 1)
            self.num_batches_tracked = self.num_batches_tracked + 1
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        xhat = (x - self._bcast(mean, x.ndim)) * self._bcast(inv_std, x.ndim)
        self._cache = (xhat, inv_std, self.training)
        return xhat * self._bcast(self.weight, x.ndim) + self._bcast(self.bias, x.ndim)

    def backward(self, grad_output):
        xhat, inv_std, training = self._cached("_cache")
        g = grad_output
        axes = (0, *range(2, g.ndim))
        self._grads = {"weight": (g * xhat).sum(axis=axes), "bias": g.sum(axis=axes)}
        gx = g * self._bcast(self.weight, g.ndim)
        if training:
            gx = (
                gx
                - gx.mean(axis=axes, keepdims=True)
                - xhat * (gx * xhat).mean(axis=axes, keepdims=True)
            )
        return gx * self._bcast(inv_std, g.ndim)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"

    def _torch_module(self):
        from ._torch import require_torch

        cls = getattr(require_torch().nn, f"BatchNorm{max(min(self.ndim, 3), 1)}d")
        return cls(self.num_features, eps=self.eps, momentum=self.momentum)

    @classmethod
    def _kwargs_from_torch(cls, m):
        ndim = int(type(m).__name__[-2])
        return dict(num_features=m.num_features, eps=m.eps, momentum=m.momentum, ndim=ndim)

    @classmethod
    def example(cls):
        return cls(3), (2, 3, 3, 3)
