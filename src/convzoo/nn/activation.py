"""Elementwise activations: ReLU (Nair & Hinton 2010) and ReLU6 (MobileNet, 2017)."""

from __future__ import annotations

import numpy as np

from .base import Layer

__all__ = ["ReLU", "ReLU6"]


class ReLU(Layer):
    """``max(x, 0)``; the gradient is 1 where ``x > 0`` and 0 elsewhere (as in PyTorch).

    References
    ----------
    V. Nair and G. Hinton, "Rectified linear units improve restricted Boltzmann machines",
    ICML 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import ReLU
    >>> relu = ReLU()
    >>> relu(np.array([-1.0, 2.0])).tolist(), relu.backward(np.ones(2)).tolist()
    ([0.0, 2.0], [0.0, 1.0])
    """

    upper = np.inf

    def __init__(self, *, dtype=np.float64):
        super().__init__()
        self.dtype = np.dtype(dtype)
        self._mask = None

    def forward(self, x):
        x = np.asarray(x)
        self._mask = (x > 0) & (x < self.upper)
        return np.clip(x, 0, self.upper)

    def backward(self, grad_output):
        return np.where(self._cached("_mask"), grad_output, 0.0).astype(np.result_type(grad_output))

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def _torch_module(self):
        from ._torch import require_torch

        return getattr(require_torch().nn, type(self).__name__)()

    @classmethod
    def _kwargs_from_torch(cls, module):
        return {}

    @classmethod
    def example(cls):
        return cls(), (2, 3, 4, 4)


class ReLU6(ReLU):
    """``min(max(x, 0), 6)``, MobileNet's activation; gradient 1 on ``0 < x < 6``.

    References
    ----------
    A. Howard et al., "MobileNets", arXiv:1704.04861, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import ReLU6
    >>> ReLU6()(np.array([-1.0, 2.0, 9.0])).tolist()
    [0.0, 2.0, 6.0]
    """

    upper = 6.0


def make_activation(name, activation, dtype=np.float64):
    """``None``, ``'relu'`` or ``'relu6'`` -> a layer (or None)."""
    table = {"relu": ReLU, "relu6": ReLU6}
    if activation is None:
        return None
    if activation not in table:
        raise ValueError(f"{name}: activation must be None, 'relu' or 'relu6'; got {activation!r}")
    return table[activation](dtype=dtype)
