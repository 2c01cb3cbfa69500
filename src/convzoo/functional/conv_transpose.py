"""Transposed convolution ("deconvolution", "fractionally strided convolution").

The adjoint of :func:`convzoo.conv` with respect to its input: each input cell stamps the
kernel, scaled by its value, onto the output at ``stride`` spacing; overlapping stamps add.
``padding`` crops the result, ``output_padding`` extends its end, exactly as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from .. import engine
from .._validate import as_float_arrays
from ..spec import make_spec
from ._common import add_bias, bias_grad, check_bias, check_grad_output, passes_non_finite

__all__ = ["conv_transpose", "conv_transpose_backward"]


@passes_non_finite
def conv_transpose(
    x,
    weight,
    bias=None,
    *,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    groups=1,
    output_size=None,
    algorithm="auto",
):
    """N-d transposed convolution, as in ``torch.nn.functional.conv_transpose{1,2,3}d``.

    Parameters
    ----------
    x : array_like, shape (N, C_in, *spatial)
    weight : array_like, shape (C_in, C_out/groups, *k)
        PyTorch's transposed layout.
    bias : array_like, shape (C_out,), optional
    stride, dilation : int or tuple of D ints
    padding : int, tuple, tuple of (lo, hi) pairs, or str
        Cells cropped from each side of the output. ``'same'`` gives ``out = n*s``,
        ``'valid'`` (and ``'full'``) crops nothing.
    output_padding : int or tuple of D ints
        Cells added at the end of the output; each must be smaller than stride or
        dilation. Resolves which of the ``s`` input sizes of a strided convolution to map
        back to.
    groups : int
    output_size : tuple of int, optional
        The wanted spatial (or full) output shape; sets ``output_padding``.
    algorithm : str
        As in :func:`convzoo.conv`.

    Returns
    -------
    ndarray, shape (N, C_out, *out)
        ``out = (n-1)*s - lo - hi + d*(k-1) + output_padding + 1``.

    Notes
    -----
    Computed as a stride-1 convolution of the input with ``s - 1`` zeros inserted between
    cells and a flipped, channel-swapped kernel (:mod:`convzoo.engine.adjoint`), so every
    forward algorithm serves. Beyond PyTorch: asymmetric padding, string padding, any N.

    Examples
    --------
    A 2x2 input stamped with a 3x3 kernel of ones at stride 2 (the overlaps add up):

    >>> import numpy as np
    >>> from convzoo import conv_transpose
    >>> conv_transpose(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), stride=2)[0, 0]
    array([[1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.],
           [2., 2., 4., 2., 2.],
           [1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.]])
    >>> conv_transpose(np.ones((1, 8, 7, 7)), np.ones((8, 4, 4, 4)), stride=2,
    ...                padding="same").shape
    (1, 4, 14, 14)
    """
    func = "conv_transpose"
    (x, weight, bias), dtype = as_float_arrays(func, input=x, weight=weight, bias=bias)
    spec = make_spec(
        func, x.shape, weight.shape, stride=stride, padding=padding, dilation=dilation,
        groups=groups, transposed=True, output_padding=output_padding, output_size=output_size,
    )  # fmt: skip
    check_bias(func, bias, spec.out_channels)
    # the input gradient of the forward convolution this one is the adjoint of: cropped as
    # the chosen algorithm computes it where it can (no full grid, no crop copy)
    y = engine.input_grad(x, weight, spec.forward_view(), algorithm, func)
    return add_bias(np.ascontiguousarray(y), bias).astype(dtype, copy=False)


@passes_non_finite
def conv_transpose_backward(
    grad_output,
    x,
    weight,
    *,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    groups=1,
    output_size=None,
    algorithm="auto",
):
    """Gradients of :func:`conv_transpose` with respect to its input, weight and bias.

    Parameters
    ----------
    grad_output : array_like, shape (N, C_out, *out)
    x, weight
        The forward call's input and weight.
    stride, padding, output_padding, dilation, groups, output_size, algorithm
        The forward call's keywords.

    Returns
    -------
    grad_input : ndarray, shape (N, C_in, *spatial)
    grad_weight : ndarray, shape (C_in, C_out/groups, *k)
    grad_bias : ndarray, shape (C_out,)

    Notes
    -----
    The transposed convolution's input gradient is a *forward* convolution of the
    zero-padded output gradient (undoing the crop) with the same weight; its weight
    gradient is the forward convolution's weight gradient with the roles of input and
    output gradient exchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo import conv_transpose_backward
    >>> gx, gw, gb = conv_transpose_backward(np.ones((1, 1, 5, 5)), np.ones((1, 1, 2, 2)),
    ...                                      np.ones((1, 1, 3, 3)), stride=2)
    >>> gx[0, 0], gb
    (array([[9., 9.],
           [9., 9.]]), array([25.]))
    """
    func = "conv_transpose_backward"
    (grad_output, x, weight), dtype = as_float_arrays(
        func, grad_output=grad_output, input=x, weight=weight
    )
    spec = make_spec(
        func, x.shape, weight.shape, stride=stride, padding=padding, dilation=dilation,
        groups=groups, transposed=True, output_padding=output_padding, output_size=output_size,
    )  # fmt: skip
    check_grad_output(func, grad_output, spec.output_shape)
    # The adjoint of a transposed convolution is the forward convolution of grad_output with
    # the same weight, zero-padded by the transposed one's crop (implicitly, by the engine):
    # its output covers the input grid (more when output_padding >= stride, allowed when
    # the dilation is larger), and the weight gradient is that convolution's.
    adjoint = make_spec(
        func, grad_output.shape, weight.shape, stride=spec.stride, padding=spec.padding,
        dilation=spec.dilation, groups=spec.groups,
    )  # fmt: skip
    in_spatial = (Ellipsis, *(slice(0, n) for n in spec.input_spatial))
    grad_input = engine.forward(grad_output, weight, adjoint, algorithm, func)[in_spatial]
    if grad_input.shape != adjoint.output_shape:  # the extra outputs' gradient: zero
        x = np.pad(x, [(0, 0), (0, 0)] + [(0, n - len_) for n, len_ in
                                          zip(adjoint.output_shape[2:], x.shape[2:])])  # fmt: skip
    grad_weight = engine.weight_grad(grad_output, x, adjoint, algorithm, func)
    results = (grad_input, grad_weight, bias_grad(grad_output))
    return tuple(a.astype(dtype, copy=False) for a in results)
