"""Pointwise (1x1) convolution (Lin et al. 2014, "Network in Network").

A 1x1 convolution mixes channels at each pixel independently: a matrix product over the
channel axis. It reduces or expands depth (dimensionality reduction, "feature pooling"),
optionally followed by a nonlinearity, as in Network in Network and GoogLeNet.
"""

from __future__ import annotations

import numpy as np

from .activation import make_activation
from .conv import Conv

__all__ = ["Pointwise"]


class Pointwise(Conv):
    """1x1 convolution, with an optional fused activation.

    Parameters
    ----------
    in_channels, out_channels : int
    bias : bool
    groups : int
        > 1 gives a grouped pointwise convolution (:class:`~convzoo.nn.PointwiseGrouped`).
    activation : None, 'relu' or 'relu6'
    ndim, rng, dtype
        As in :class:`~convzoo.nn.Conv`.

    Notes
    -----
    ``y[n, o, p] = sum_c weight[o, c] * x[n, c, p] (+ bias[o])``: ``W @ x`` over channels.

    References
    ----------
    M. Lin, Q. Chen and S. Yan, "Network in network", ICLR 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import Pointwise
    >>> pw = Pointwise(3, 2, bias=False, rng=0)
    >>> x = np.random.default_rng(1).standard_normal((1, 3, 4, 4))
    >>> bool(np.allclose(pw(x), np.einsum("oc,nchw->nohw", pw.weight[:, :, 0, 0], x)))
    True
    """

    summary = "pointwise 1x1 convolution: mixes channels per pixel (dimensionality reduction)"
    paper = "Lin et al. 2014, Network in network"

    def __init__(
        self,
        in_channels,
        out_channels,
        bias=True,
        groups=1,
        activation=None,
        *,
        ndim=2,
        rng=None,
        dtype=np.float64,
    ):
        super().__init__(
            in_channels, out_channels, 1, groups=groups, bias=bias, ndim=ndim, rng=rng, dtype=dtype
        )
        self.activation = activation
        self._act = make_activation(type(self).__name__, activation, dtype)

    def forward(self, x):
        y = super().forward(x)
        return self._act(y) if self._act is not None else y

    def backward(self, grad_output):
        if self._act is not None:
            grad_output = self._act.backward(grad_output)
        return super().backward(grad_output)

    def extra_repr(self):
        parts = [f"{self.in_channels}, {self.out_channels}"]
        if self.bias is None:
            parts.append("bias=False")
        if self.groups != 1:
            parts.append(f"groups={self.groups}")
        if self.activation:
            parts.append(f"activation={self.activation!r}")
        return ", ".join(parts)

    def _torch_module(self):
        if self._act is None:
            return super()._torch_module()
        from ._torch import torch_classes

        cls = torch_classes()["ConvAct"][self.ndim]
        return cls(
            self.in_channels,
            self.out_channels,
            1,
            groups=self.groups,
            bias=self.bias is not None,
            activation=self.activation,
        )

    @classmethod
    def _kwargs_from_torch(cls, m):
        if tuple(m.kernel_size) != (1,) * len(m.kernel_size):
            raise ValueError(
                f"{cls.__name__}.from_torch: kernel_size must be 1; got {m.kernel_size}"
            )
        return dict(
            in_channels=m.in_channels,
            out_channels=m.out_channels,
            bias=m.bias is not None,
            groups=m.groups,
            ndim=len(m.kernel_size),
            activation=getattr(m, "activation", None),
        )

    @classmethod
    def example(cls):
        return cls(4, 3, rng=0), (2, 4, 3, 3)
