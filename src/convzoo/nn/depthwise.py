"""Depthwise and depthwise separable convolution (Sifre 2014; Chollet 2017; Howard et al. 2017).

Depthwise: one k x k kernel per input channel (``groups = in_channels``), with a depth
multiplier giving several kernels per channel. Depthwise separable: a depthwise step then a
pointwise (1x1) step, factorising a dense convolution whose kernel is ``pw[o, c] * dw[c]``.
"""

from __future__ import annotations

import numpy as np

from .._validate import positive_int
from .activation import make_activation
from .base import make_rng
from .containers import Sequential
from .conv import Conv
from .norm import BatchNorm
from .pointwise import Pointwise

__all__ = ["Depthwise", "DepthwiseSeparable"]


class Depthwise(Conv):
    """Depthwise convolution: ``Conv(C, C*depth_multiplier, k, groups=C)``.

    Parameters
    ----------
    in_channels : int
    kernel_size, stride, padding, dilation, bias, padding_mode, padding_value
        As in :class:`~convzoo.nn.Conv`.
    depth_multiplier : int
        Kernels per input channel; ``out_channels = in_channels * depth_multiplier``.

    Notes
    -----
    ``y[n, c*m + j, p] = sum_t x_pad[n, c, p*s + t*d] * weight[c*m + j, 0, t]``.

    References
    ----------
    L. Sifre, "Rigid-motion scattering for image classification", PhD thesis, 2014.

    Examples
    --------
    >>> from convzoo.nn import Depthwise
    >>> dw = Depthwise(3, 3, padding=1, depth_multiplier=2, rng=0)
    >>> dw.weight.shape, dw.output_shape((1, 3, 5, 5))
    ((6, 1, 3, 3), (1, 6, 5, 5))
    """

    summary = "depthwise convolution: one kernel per input channel (groups = channels)"
    paper = "Sifre 2014, Rigid-motion scattering; Howard et al. 2017, MobileNets"

    def __init__(
        self,
        in_channels,
        kernel_size=3,
        stride=1,
        padding=0,
        dilation=1,
        depth_multiplier=1,
        bias=True,
        padding_mode="zeros",
        padding_value=0.0,
        *,
        ndim=None,
        rng=None,
        dtype=np.float64,
    ):
        self.depth_multiplier = positive_int("Depthwise", "depth_multiplier", depth_multiplier)
        super().__init__(
            in_channels,
            in_channels * depth_multiplier,
            kernel_size,
            stride,
            padding,
            dilation,
            in_channels,
            bias,
            padding_mode,
            padding_value,
            ndim=ndim,
            rng=rng,
            dtype=dtype,
        )

    @classmethod
    def _kwargs_from_torch(cls, m):
        kwargs = Conv._kwargs_from_torch(m)
        if kwargs["groups"] != kwargs["in_channels"]:
            raise ValueError(
                f"Depthwise.from_torch: groups={m.groups} must equal in_channels={m.in_channels}"
            )
        kwargs["depth_multiplier"] = kwargs.pop("out_channels") // kwargs.pop("groups")
        return kwargs

    @classmethod
    def example(cls):
        return cls(3, 3, padding=1, depth_multiplier=2, rng=0), (2, 3, 4, 4)


class DepthwiseSeparable(Sequential):
    """Depthwise then pointwise convolution (MobileNet), or pointwise first (Xception).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding, dilation
        Of the depthwise step.
    depth_multiplier : int
        Of the depthwise step (MobileNet order only).
    bias : bool, optional
        Bias on both convolutions; default True for the bare operation and False with
        ``norm_act`` (BatchNorm follows).
    norm_act : bool
        MobileNet's BatchNorm + activation after each step (default: the bare operation).
    activation : 'relu' or 'relu6'
        The activation used with ``norm_act``.
    order : {'mobilenet', 'xception'}
        ``'xception'`` runs the pointwise step first.
    rng, dtype

    Notes
    -----
    Children: ``depthwise, [bn1, relu1], pointwise, [bn2, relu2]`` (Xception order:
    ``pointwise`` first). Bare and with ``bias=False`` it equals a dense convolution with the
    rank-structured kernel ``W[o, c, t] = pw[o, c] * dw[c, t]`` at a cost of
    ``1/C_out + 1/k^2`` of it.

    References
    ----------
    A. Howard et al., "MobileNets: efficient convolutional neural networks for mobile vision
    applications", arXiv:1704.04861, 2017. F. Chollet, "Xception: deep learning with
    depthwise separable convolutions", CVPR 2017.

    Examples
    --------
    >>> from convzoo.nn import DepthwiseSeparable
    >>> layer = DepthwiseSeparable(3, 8, 3, padding=1, rng=0)
    >>> list(layer.state_dict())
    ['depthwise.weight', 'depthwise.bias', 'pointwise.weight', 'pointwise.bias']
    >>> layer.output_shape((1, 3, 7, 7))
    (1, 8, 7, 7)
    """

    summary = "depthwise separable: depthwise k x k per channel, then pointwise 1x1"
    paper = "Howard et al. 2017, MobileNets; Chollet 2017, Xception"

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size=3,
        stride=1,
        padding=0,
        dilation=1,
        depth_multiplier=1,
        bias=None,
        norm_act=False,
        activation="relu",
        order="mobilenet",
        *,
        rng=None,
        dtype=np.float64,
    ):
        name = "DepthwiseSeparable"
        if order not in ("mobilenet", "xception"):
            raise ValueError(f"{name}: order must be 'mobilenet' or 'xception'; got {order!r}")
        if order == "xception" and depth_multiplier != 1:
            raise ValueError(f"{name}: depth_multiplier applies to order='mobilenet' only")
        bias = not norm_act if bias is None else bias
        rng = make_rng(rng)
        conv = dict(bias=bias, rng=rng, dtype=dtype)
        mid = in_channels * depth_multiplier if order == "mobilenet" else out_channels
        dw_in = in_channels if order == "mobilenet" else out_channels
        steps = {
            "depthwise": Depthwise(
                dw_in, kernel_size, stride, padding, dilation, depth_multiplier, **conv
            ),
            "pointwise": Pointwise(
                mid if order == "mobilenet" else in_channels, out_channels, **conv
            ),
        }
        first, second = (
            ("depthwise", "pointwise") if order == "mobilenet" else ("pointwise", "depthwise")
        )
        layers = {first: steps[first]}
        if norm_act:
            layers["bn1"] = BatchNorm(mid, dtype=dtype)
            layers["relu1"] = make_activation(name, activation, dtype)
        layers[second] = steps[second]
        if norm_act:
            layers["bn2"] = BatchNorm(out_channels, dtype=dtype)
            layers["relu2"] = make_activation(name, activation, dtype)
        super().__init__(layers)
        self.in_channels, self.out_channels, self.order = in_channels, out_channels, order
        self.norm_act, self.activation = norm_act, activation

    def extra_repr(self):
        extra = "" if self.order == "mobilenet" else ", order='xception'"
        return f"{self.in_channels}, {self.out_channels}{extra}"

    @classmethod
    def _kwargs_from_torch(cls, m):
        dw, pw = m.depthwise, m.pointwise
        names = [n for n, _ in m.named_children()]
        order = "mobilenet" if names[0] == "depthwise" else "xception"
        kw = Conv._kwargs_from_torch(dw)
        relu = getattr(m, "relu1", None)
        return dict(
            in_channels=pw.in_channels if order == "xception" else dw.in_channels,
            out_channels=pw.out_channels,
            kernel_size=kw["kernel_size"],
            stride=kw["stride"],
            padding=kw["padding"],
            dilation=kw["dilation"],
            depth_multiplier=dw.out_channels // dw.in_channels,
            bias=kw["bias"],
            norm_act="bn1" in names,
            order=order,
            activation="relu6" if type(relu).__name__ == "ReLU6" else "relu",
        )

    @classmethod
    def example(cls):
        return cls(3, 4, 3, padding=1, rng=0), (2, 3, 4, 4)
