"""Reference engine: plain loops, the executable specification of convolution.

Slow and obviously right. Every other algorithm is tested against these three loops, and the
cost model checks its counts against the multiplications and additions they really perform
(pass a ``collections.Counter`` as ``counter``).

All three work on an input that is *already padded* (see :mod:`convzoo.padding`) and use
the index rule of cross-correlation along every spatial dimension::

    y[n, o, p] = sum_{c, t} x[n, g*C_g + c, p*s + t*d] * w[o, c, t],   g = o // (C_out / G)

with ``p`` the output position, ``t`` the kernel tap, ``s`` the stride and ``d`` the
dilation.
"""

from __future__ import annotations

import numpy as np

from ..shapes import conv_length

__all__ = ["correlate", "correlate_transpose", "correlate_weight_grad"]


def _tap(pos, tap, stride, dilation):
    return tuple(p * s + t * d for p, t, s, d in zip(pos, tap, stride, dilation, strict=True))


def correlate(xp, w, stride, dilation, groups, counter=None):
    """Cross-correlate a padded input with a weight, one multiply at a time.

    Parameters
    ----------
    xp : ndarray, shape (N, C_in, *padded)
    w : ndarray, shape (C_out, C_in/groups, *k)
    stride, dilation : tuple of int
    groups : int
    counter : collections.Counter, optional
        If given, ``counter['mults']`` and ``counter['adds']`` are increased by the
        operations performed: per output element ``C_g*K`` multiplications and
        ``C_g*K - 1`` additions.

    Returns
    -------
    ndarray, shape (N, C_out, *out)

    Examples
    --------
    The seed's single-channel example: a 3x3 kernel over a 5x5 input gives 3x3 outputs, each
    from 9 multiplications and 8 additions.

    >>> import numpy as np
    >>> from collections import Counter
    >>> counts = Counter()
    >>> y = correlate(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), (1, 1), (1, 1), 1, counts)
    >>> y[0, 0]
    array([[9., 9., 9.],
           [9., 9., 9.],
           [9., 9., 9.]])
    >>> counts["mults"], counts["adds"]
    (81, 72)
    """
    n_batch, c_in = xp.shape[:2]
    c_out, c_group = w.shape[:2]
    kernel = w.shape[2:]
    out = tuple(
        conv_length(n, k, s, d) for n, k, s, d in zip(xp.shape[2:], kernel, stride, dilation)
    )
    y = np.zeros((n_batch, c_out, *out), dtype=np.result_type(xp, w))
    out_per_group = c_out // groups
    for n in range(n_batch):
        for o in range(c_out):
            first_channel = (o // out_per_group) * c_group
            for pos in np.ndindex(*out):
                total, terms = 0.0, 0
                for c in range(c_group):
                    for tap in np.ndindex(*kernel):
                        at = _tap(pos, tap, stride, dilation)
                        total += xp[(n, first_channel + c, *at)] * w[(o, c, *tap)]
                        terms += 1
                y[(n, o, *pos)] = total
                if counter is not None:
                    counter["mults"] += terms
                    counter["adds"] += terms - 1
    return y


def correlate_transpose(g, w, stride, dilation, groups, full_spatial, counter=None):
    """Adjoint of :func:`correlate` with respect to its input: scatter every product.

    Each input cell ``g[n, o, p]`` of the transposed convolution adds
    ``g[n, o, p] * w[o, c, t]`` to output cell ``p*s + t*d`` of channel ``c`` of its group:
    the "deconvolution" picture of a kernel stamped onto the output once per input cell.

    Parameters
    ----------
    g : ndarray, shape (N, C_out, *out)
        Input of the transposed convolution (the forward convolution's output side).
    w : ndarray, shape (C_out, C_in/groups, *k)
        Forward weight (PyTorch's transposed weight ``(C_in_t, C_out_t/groups, *k)`` is
        the same array).
    stride, dilation : tuple of int
    groups : int
    full_spatial : tuple of int
        Spatial size of the uncropped result (the forward convolution's padded input).
    counter : collections.Counter, optional
        Counts ``mults`` and ``adds`` (one add per product that lands on a cell already
        holding one).

    Returns
    -------
    ndarray, shape (N, C_in, *full_spatial)

    Examples
    --------
    A 2x2 input and a 3x3 kernel of ones with stride 2 overlap on the middle row and column:

    >>> import numpy as np
    >>> correlate_transpose(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), (2, 2), (1, 1), 1,
    ...                     (5, 5))[0, 0]
    array([[1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.],
           [2., 2., 4., 2., 2.],
           [1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.]])
    """
    n_batch, c_out = g.shape[:2]
    c_group = w.shape[1]
    kernel = w.shape[2:]
    x = np.zeros((n_batch, c_group * groups, *full_spatial), dtype=np.result_type(g, w))
    touched = np.zeros(x.shape, dtype=bool)
    out_per_group = c_out // groups
    for n in range(n_batch):
        for o in range(c_out):
            first_channel = (o // out_per_group) * c_group
            for pos in np.ndindex(*g.shape[2:]):
                for c in range(c_group):
                    for tap in np.ndindex(*kernel):
                        at = (n, first_channel + c, *_tap(pos, tap, stride, dilation))
                        x[at] += g[(n, o, *pos)] * w[(o, c, *tap)]
                        if counter is not None:
                            counter["mults"] += 1
                            counter["adds"] += int(touched[at])
                        touched[at] = True
    return x


def correlate_weight_grad(xp, g, kernel, stride, dilation, groups, counter=None):
    """Gradient of :func:`correlate` with respect to the weight.

    ``dw[o, c, t] = sum_{n, p} g[n, o, p] * xp[n, group(o)*C_g + c, p*s + t*d]``: a
    correlation of the input with the output gradient. The output positions ``p`` are those
    of ``g`` (which may cover fewer than all the positions ``xp`` allows).

    Parameters
    ----------
    xp : ndarray, shape (N, C_in, *padded)
    g : ndarray, shape (N, C_out, *out)
    kernel : tuple of int
    stride, dilation : tuple of int
    groups : int
    counter : collections.Counter, optional

    Returns
    -------
    ndarray, shape (C_out, C_in/groups, *kernel)

    Examples
    --------
    >>> import numpy as np
    >>> correlate_weight_grad(np.arange(5.0).reshape(1, 1, 5), np.ones((1, 1, 3)), (3,),
    ...                       (1,), (1,), 1)
    array([[[3., 6., 9.]]])
    """
    n_batch, c_in = xp.shape[:2]
    c_out = g.shape[1]
    c_group = c_in // groups
    out_per_group = c_out // groups
    dw = np.zeros((c_out, c_group, *kernel), dtype=np.result_type(xp, g))
    for o in range(c_out):
        first_channel = (o // out_per_group) * c_group
        for c in range(c_group):
            for tap in np.ndindex(*kernel):
                total, terms = 0.0, 0
                for n in range(n_batch):
                    for pos in np.ndindex(*g.shape[2:]):
                        at = (n, first_channel + c, *_tap(pos, tap, stride, dilation))
                        total += g[(n, o, *pos)] * xp[at]
                        terms += 1
                dw[(o, c, *tap)] = total
                if counter is not None:
                    counter["mults"] += terms
                    counter["adds"] += max(terms - 1, 0)
    return dw
