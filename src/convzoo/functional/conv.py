"""Convolution (cross-correlation) forward and backward: the function every layer calls.

What deep-learning frameworks call convolution is cross-correlation: the kernel slides over
the input without being flipped. :func:`convolve` flips it, giving what mathematics and
``scipy.signal.convolve`` call convolution.
"""

from __future__ import annotations

import numpy as np

from .. import engine
from .._validate import as_float_arrays
from ..spec import make_spec
from ._common import add_bias, bias_grad, check_bias, check_grad_output, passes_non_finite

__all__ = ["conv", "convolve", "conv_backward"]


@passes_non_finite
def conv(
    x,
    weight,
    bias=None,
    *,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    padding_mode="zeros",
    padding_value=0.0,
    algorithm="auto",
):
    """N-d convolution (cross-correlation), as in ``torch.nn.functional.conv{1,2,3}d``.

    Parameters
    ----------
    x : array_like, shape (N, C_in, *spatial)
        Input; the number of spatial dimensions ``D`` is taken from ``weight``.
    weight : array_like, shape (C_out, C_in/groups, *k)
        Filters. ``C_out`` filters, each with ``C_in/groups`` kernels (channels) of size ``k``.
    bias : array_like, shape (C_out,), optional
    stride : int or tuple of D ints
        Step of the window (the seed's "skip some of the slide locations").
    padding : int, tuple of D ints, tuple of D (lo, hi) pairs, or str
        ``'valid'``, ``'same'``, ``'same_lower'`` or ``'full'``; see
        :func:`convzoo.resolve_padding`.
    dilation : int or tuple of D ints
        Spacing between kernel taps (1 = none; "atrous" convolution for > 1).
    groups : int
        Split channels into ``groups`` independent convolutions (``groups = C_in``:
        depthwise).
    padding_mode : str
        ``'zeros'``, ``'constant'`` (fill with ``padding_value``), ``'reflect'``,
        ``'replicate'``, ``'circular'`` or ``'symmetric'``.
    padding_value : float
        Fill value for ``padding_mode='constant'`` (the seed pads with 0, 1 or other values).
    algorithm : str
        ``'auto'`` (default) or a name from :data:`convzoo.engine.ALGORITHMS`
        (``'reference'`` is the plain-loop specification).

    Returns
    -------
    ndarray, shape (N, C_out, *out)
        ``out = (n + lo + hi - d*(k-1) - 1)//s + 1`` per dimension
        (:func:`convzoo.output_shape`), in the input's float dtype.

    Raises
    ------
    TypeError
        Integer, boolean or complex arrays; arguments of the wrong type.
    ValueError
        Shapes or arguments that do not fit; the message names the rule and the values.

    Notes
    -----
    ``y[n, o, p] = bias[o] + sum_{c, t} x_pad[n, g*C_g + c, p*s + t*d] * w[o, c, t]`` with
    ``g`` the group of output channel ``o``. Beyond PyTorch: any number of spatial
    dimensions, asymmetric padding, ``'same'`` with stride > 1 and even kernels, and every
    padding mode including ``'constant'`` and ``'symmetric'``. float16 is computed in float32
    and returned as float16; mixed float32/float64 arguments compute in float64.

    References
    ----------
    V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
    arXiv:1603.07285, 2016.

    Examples
    --------
    The seed's example: a 3x3 kernel over a 5x5 input gives 3x3 outputs. The top-left one is
    the sum of the top-left 3x3 block of the input times the kernel:

    >>> import numpy as np
    >>> from convzoo import conv
    >>> x = np.arange(25.0).reshape(1, 1, 5, 5)
    >>> k = np.ones((1, 1, 3, 3))
    >>> y = conv(x, k)
    >>> y.shape
    (1, 1, 3, 3)
    >>> float(y[0, 0, 0, 0]), float(x[0, 0, :3, :3].sum())
    (54.0, 54.0)
    >>> conv(x, k, stride=2, padding="same", padding_mode="reflect").shape
    (1, 1, 3, 3)
    """
    func = "conv"
    (x, weight, bias), dtype = as_float_arrays(func, input=x, weight=weight, bias=bias)
    spec = make_spec(
        func, x.shape, weight.shape, stride=stride, padding=padding, dilation=dilation,
        groups=groups, padding_mode=padding_mode, padding_value=padding_value,
    )  # fmt: skip
    check_bias(func, bias, spec.out_channels)
    y = engine.forward(x, weight, spec, algorithm, func)
    return add_bias(y, bias).astype(dtype, copy=False)


def convolve(x, weight, bias=None, **kwargs):
    """True convolution: :func:`conv` with the kernel flipped along every spatial axis.

    Parameters
    ----------
    x, weight, bias
        As in :func:`conv`.
    **kwargs
        Any keyword of :func:`conv`.

    Returns
    -------
    ndarray, shape (N, C_out, *out)

    Notes
    -----
    Mathematics (and ``scipy.signal.convolve``) flips the kernel:
    ``y[p] = sum_t x[p - t] w[t]``. Deep-learning libraries skip the flip because learned
    kernels do not care; for a fixed kernel such as Sobel the two differ in sign or
    orientation.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo import conv, convolve
    >>> x = np.array([[[0.0, 1.0, 2.0, 3.0]]])
    >>> w = np.array([[[1.0, 0.0, -1.0]]])
    >>> conv(x, w)        # cross-correlation: x[p] - x[p+2]
    array([[[-2., -2.]]])
    >>> convolve(x, w)    # convolution: x[p+2] - x[p], as numpy.convolve(x, w, 'valid')
    array([[[2., 2.]]])
    """
    weight = np.asarray(weight)
    flipped = weight[(Ellipsis, *([slice(None, None, -1)] * max(weight.ndim - 2, 0)))]
    return conv(x, flipped, bias, **kwargs)


@passes_non_finite
def conv_backward(
    grad_output,
    x,
    weight,
    *,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    padding_mode="zeros",
    padding_value=0.0,
    algorithm="auto",
):
    """Gradients of :func:`conv` with respect to its input, weight and bias.

    Parameters
    ----------
    grad_output : array_like, shape (N, C_out, *out)
        Gradient of the loss with respect to ``conv(x, weight, ...)``.
    x, weight
        The forward call's input and weight.
    stride, padding, dilation, groups, padding_mode, padding_value, algorithm
        The forward call's keywords.

    Returns
    -------
    grad_input : ndarray, shape (N, C_in, *spatial)
    grad_weight : ndarray, shape (C_out, C_in/groups, *k)
    grad_bias : ndarray, shape (C_out,)
        Valid whether or not the forward call had a bias.

    Notes
    -----
    Both gradients are convolutions, computed by the same engine (Dumoulin & Visin 2016):

    - ``grad_input`` is the transposed convolution of ``grad_output`` with the same weight,
      followed by the adjoint of the padding (a reflected cell sends its gradient back to
      the cell it copied);
    - ``grad_weight[o, c, t] = sum_{n, p} grad_output[n, o, p] * x_pad[n, c, p*s + t*d]``,
      a correlation of the input with the output gradient.

    Examples
    --------
    For ``loss = sum(conv(x, w))`` every weight tap's gradient is the sum of the inputs it
    touched:

    >>> import numpy as np
    >>> from convzoo import conv_backward
    >>> x = np.arange(25.0).reshape(1, 1, 5, 5)
    >>> w = np.ones((1, 1, 3, 3))
    >>> gx, gw, gb = conv_backward(np.ones((1, 1, 3, 3)), x, w)
    >>> float(gw[0, 0, 0, 0]), float(x[0, 0, :3, :3].sum()), gb
    (54.0, 54.0, array([9.]))
    >>> gx[0, 0]    # how many windows cover each input cell
    array([[1., 2., 3., 2., 1.],
           [2., 4., 6., 4., 2.],
           [3., 6., 9., 6., 3.],
           [2., 4., 6., 4., 2.],
           [1., 2., 3., 2., 1.]])
    """
    func = "conv_backward"
    (grad_output, x, weight), dtype = as_float_arrays(
        func, grad_output=grad_output, input=x, weight=weight
    )
    spec = make_spec(
        func, x.shape, weight.shape, stride=stride, padding=padding, dilation=dilation,
        groups=groups, padding_mode=padding_mode, padding_value=padding_value,
    )  # fmt: skip
    check_grad_output(func, grad_output, spec.output_shape)
    grad_input = engine.input_grad(grad_output, weight, spec, algorithm, func)
    grad_weight = engine.weight_grad(x, grad_output, spec, algorithm, func)
    return tuple(
        a.astype(dtype, copy=False) for a in (grad_input, grad_weight, bias_grad(grad_output))
    )
