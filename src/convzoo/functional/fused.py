"""Fused convolution sequences: depthwise separable, and shuffle + pointwise grouped.

Two sequences that cheap networks repeat in every block and that are slow when run op by
op, because each op writes a full-size tensor that the next reads back:

- depthwise convolution then 1x1 convolution (Xception, MobileNet);
- channel shuffle then grouped 1x1 convolution (ShuffleNet).

Both functions compute exactly what the unfused sequence computes (up to float rounding);
the kernels are in :mod:`convzoo.engine.fused`.
"""

from __future__ import annotations

from .._validate import as_float_arrays, positive_int
from ..engine import direct
from ..engine import fused as kernels
from ..padding import pad, pads_with_zeros
from ..spec import make_spec
from ._common import add_bias, bias_grad, check_bias, check_grad_output
from .conv import conv

__all__ = ["depthwise_separable", "shuffle_pointwise_grouped", "shuffle_pointwise_grouped_backward"]


def depthwise_separable(
    x,
    depthwise_weight,
    pointwise_weight,
    depthwise_bias=None,
    pointwise_bias=None,
    *,
    stride=1,
    padding=0,
    dilation=1,
    padding_mode="zeros",
    padding_value=0.0,
    algorithm="auto",
):
    """Depthwise convolution followed by a pointwise (1x1) one, fused.

    Parameters
    ----------
    x : array_like, shape (N, C, *spatial)
    depthwise_weight : array_like, shape (m*C, 1, *k)
        One ``k`` filter per channel (``m`` filters per channel for a depth multiplier).
    pointwise_weight : array_like, shape (C_out, m*C, 1, ..., 1)
    depthwise_bias : array_like, shape (m*C,), optional
    pointwise_bias : array_like, shape (C_out,), optional
    stride, padding, dilation, padding_mode, padding_value
        Of the depthwise convolution, as in :func:`convzoo.conv`.
    algorithm : {'auto', 'fused', 'unfused'}
        ``'fused'`` needs a 2-D input and numba; ``'auto'`` uses it when it can and
        otherwise runs :func:`convzoo.conv` twice.

    Returns
    -------
    ndarray, shape (N, C_out, *out)

    Notes
    -----
    ``y = pw * (dw * x + b_dw) + b_pw = pw * (dw * x) + (pw @ b_dw + b_pw)``: the depthwise
    bias folds into the output bias, so the fused kernel only sees the two weights. Cost
    (Howard et al. 2017): ``K*m*C + m*C*C_out`` multiplications per output position instead
    of ``K*C*C_out`` for a full convolution.

    References
    ----------
    F. Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions",
    arXiv:1610.02357, 2016. A. Howard et al., "MobileNets", arXiv:1704.04861, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.functional.fused import depthwise_separable
    >>> x = np.ones((1, 2, 5, 5))
    >>> y = depthwise_separable(x, np.ones((2, 1, 3, 3)), np.ones((4, 2, 1, 1)), padding=1)
    >>> y.shape, float(y[0, 0, 2, 2]), float(y[0, 0, 0, 0])
    ((1, 4, 5, 5), 18.0, 8.0)
    """
    func = "depthwise_separable"
    (x, dw, pw, b_dw, b_pw), dtype = as_float_arrays(
        func, input=x, depthwise_weight=depthwise_weight, pointwise_weight=pointwise_weight,
        depthwise_bias=depthwise_bias, pointwise_bias=pointwise_bias,
    )  # fmt: skip
    if algorithm not in ("auto", "fused", "unfused"):
        raise ValueError(
            f"{func}: algorithm must be 'auto', 'fused' or 'unfused'; got {algorithm!r}"
        )
    c_in = x.shape[1] if x.ndim >= 2 else 0
    spec = make_spec(
        func, x.shape, dw.shape, stride=stride, padding=padding, dilation=dilation,
        groups=c_in, padding_mode=padding_mode, padding_value=padding_value,
    )  # fmt: skip
    mid = spec.out_channels
    ones = (1,) * spec.ndim
    if pw.ndim != dw.ndim or pw.shape[1:] != (mid, *ones):
        raise ValueError(
            f"{func}: pointwise_weight must have shape (C_out, {mid}, {', '.join('1' * spec.ndim)})"
            f" to follow a depthwise output of {mid} channels; got shape {pw.shape}"
        )
    check_bias(func, b_dw, mid)
    check_bias(func, b_pw, pw.shape[0])
    bias = _folded_bias(pw, b_dw, b_pw)
    can_fuse = spec.ndim == 2 and direct.numba_available()
    if algorithm == "fused" and not can_fuse:
        raise ValueError(
            f"{func}: algorithm='fused' needs a 2-D input and numba; got {spec.ndim} spatial "
            "dimensions (use algorithm='auto')"
        )
    if algorithm == "unfused" or not can_fuse:
        kwargs = dict(padding=padding, dilation=dilation, padding_mode=padding_mode)
        h = conv(x, dw, stride=stride, groups=c_in, padding_value=padding_value, **kwargs)
        return add_bias(conv(h, pw), bias).astype(dtype, copy=False)
    if pads_with_zeros(spec.padding_mode, spec.padding_value):
        y = kernels.depthwise_pointwise(x, dw, pw, spec.stride, spec.dilation, spec.padding)
    else:
        xp = pad(x, spec.padding, spec.padding_mode, spec.padding_value)
        y = kernels.depthwise_pointwise(xp, dw, pw, spec.stride, spec.dilation)
    return add_bias(y, bias).astype(dtype, copy=False)


def _folded_bias(pw, b_dw, b_pw):
    if b_dw is None:
        return b_pw
    folded = pw.reshape(pw.shape[0], -1) @ b_dw  # (C_out, C_mid) @ (C_mid,)
    return folded if b_pw is None else folded + b_pw


def shuffle_pointwise_grouped(x, weight, bias=None, *, groups, shuffle_groups):
    """Channel shuffle then a grouped 1x1 convolution, without the shuffled copy.

    Parameters
    ----------
    x : array_like, shape (N, C, *spatial)
    weight : array_like, shape (C_out, C/groups, 1, ..., 1)
    bias : array_like, shape (C_out,), optional
    groups : int
        Groups of the 1x1 convolution.
    shuffle_groups : int
        Groups of the channel shuffle (``C`` viewed as ``(s, C/s)`` and transposed).

    Returns
    -------
    ndarray, shape (N, C_out, *spatial)

    Notes
    -----
    Shuffled channel ``k`` is input channel ``(k % s)*(C/s) + k // s``. Within one conv
    group, the shuffled channels with the same ``k % s`` are consecutive input channels, so
    the group's product is a sum of ``s`` matrix products on contiguous slices of ``x``.

    References
    ----------
    X. Zhang et al., "ShuffleNet: An Extremely Efficient Convolutional Neural Network for
    Mobile Devices", arXiv:1707.01083, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.functional.fused import shuffle_pointwise_grouped
    >>> x = np.arange(4.0).reshape(1, 4, 1, 1)    # shuffled (s=2): channels 0, 2, 1, 3
    >>> w = np.ones((2, 2, 1, 1))
    >>> shuffle_pointwise_grouped(x, w, groups=2, shuffle_groups=2)[0, :, 0, 0].tolist()
    [2.0, 4.0]
    """
    func = "shuffle_pointwise_grouped"
    (x, weight, bias), dtype = as_float_arrays(func, input=x, weight=weight, bias=bias)
    spec, shuffle_groups = _shuffle_spec(func, x, weight, groups, shuffle_groups)
    check_bias(func, bias, spec.out_channels)
    y = kernels.shuffle_pointwise_grouped(x, weight, spec.groups, shuffle_groups)
    return add_bias(y, bias).astype(dtype, copy=False)


def shuffle_pointwise_grouped_backward(grad_output, x, weight, *, groups, shuffle_groups):
    """Gradients of :func:`shuffle_pointwise_grouped` with respect to its input, weight and
    bias, without the shuffled copies.

    Parameters
    ----------
    grad_output : array_like, shape (N, C_out, *spatial)
        Gradient of the loss with respect to the forward call's output.
    x, weight
        The forward call's input and weight.
    groups, shuffle_groups : int
        The forward call's keywords.

    Returns
    -------
    grad_input : ndarray, shape (N, C, *spatial)
        With respect to the unshuffled input ``x``.
    grad_weight : ndarray, shape (C_out, C/groups, 1, ..., 1)
    grad_bias : ndarray, shape (C_out,)

    Notes
    -----
    The unfused gradients are ``conv_backward`` on the shuffled input, then the inverse
    shuffle of its input gradient: two passes over input-sized tensors. Here, a few images
    and one conv group at a time, the group's shuffled channels are gathered into a block
    that stays in cache, multiplied by the output gradient for the weight gradient, and the
    block's input gradient is scattered straight back to the unshuffled channels.

    Examples
    --------
    For ``loss = sum(y)`` the weight gradient is the shuffled input summed over positions:

    >>> import numpy as np
    >>> from convzoo.functional import shuffle_pointwise_grouped_backward
    >>> x = np.arange(4.0).reshape(1, 4, 1, 1)    # shuffled (s=2): channels 0, 2, 1, 3
    >>> gx, gw, gb = shuffle_pointwise_grouped_backward(
    ...     np.ones((1, 2, 1, 1)), x, np.ones((2, 2, 1, 1)), groups=2, shuffle_groups=2)
    >>> gw[:, :, 0, 0].tolist(), gx[0, :, 0, 0].tolist(), gb.tolist()
    ([[0.0, 2.0], [1.0, 3.0]], [1.0, 1.0, 1.0, 1.0], [1.0, 1.0])
    """
    func = "shuffle_pointwise_grouped_backward"
    (grad_output, x, weight), dtype = as_float_arrays(
        func, grad_output=grad_output, input=x, weight=weight
    )
    spec, shuffle_groups = _shuffle_spec(func, x, weight, groups, shuffle_groups)
    check_grad_output(func, grad_output, spec.output_shape)
    gx, gw = kernels.shuffle_pointwise_grouped_backward(
        grad_output, x, weight, spec.groups, shuffle_groups
    )
    return tuple(a.astype(dtype, copy=False) for a in (gx, gw, bias_grad(grad_output)))


def _shuffle_spec(func, x, weight, groups, shuffle_groups):
    """The 1x1 grouped convolution's spec and the checked ``shuffle_groups``."""
    groups = positive_int(func, "groups", groups)
    shuffle_groups = positive_int(func, "shuffle_groups", shuffle_groups)
    spec = make_spec(func, x.shape, weight.shape, groups=groups)
    if any(k != 1 for k in spec.kernel_size):
        raise ValueError(f"{func}: weight must be a 1x1 kernel; got kernel size {spec.kernel_size}")
    if spec.in_channels % shuffle_groups:
        raise ValueError(
            f"{func}: shuffle_groups={shuffle_groups} must divide channels={spec.in_channels}"
        )
    return spec, shuffle_groups
