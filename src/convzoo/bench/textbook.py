"""The textbook NumPy convolution the benchmark compares against: im2col + one matmul.

What a course or a blog post writes (Chellapilla et al. 2006): pad, copy every kernel tap's
shifted view into a ``(C*K, P)`` column matrix, multiply by the ``(C_out, C*K)`` weight
matrix; the backward pass multiplies by the transposes and scatters the columns back
(col2im). No chunking, no special cases, one image at a time (a whole batch of columns does
not fit in memory for the 3-D layer).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["forward", "backward"]


def _taps(kernel, dilation):
    return [tuple(t * d for t, d in zip(tap, dilation)) for tap in np.ndindex(*kernel)]


def _window(offset, out, stride):
    return tuple(slice(o, o + (n - 1) * s + 1, s) for o, n, s in zip(offset, out, stride))


def _out(spatial, kernel, stride, dilation):
    return tuple(
        (n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(spatial, kernel, stride, dilation)
    )


def _im2col(image, kernel, stride, dilation, out):
    cols = np.empty((image.shape[0], math.prod(kernel), math.prod(out)), image.dtype)
    for t, offset in enumerate(_taps(kernel, dilation)):
        cols[:, t] = image[(slice(None), *_window(offset, out, stride))].reshape(image.shape[0], -1)
    return cols.reshape(-1, cols.shape[-1])  # (C*K, P)


def forward(x, w, stride, padding, dilation, groups):
    """``y = W @ im2col(x)`` per image and group. ``padding`` is ``((lo, hi), ...)``."""
    kernel = w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0), *padding])
    out = _out(xp.shape[2:], kernel, stride, dilation)
    c_out, c_group = w.shape[:2]
    per_group = c_out // groups
    y = np.empty((x.shape[0], c_out, *out), x.dtype)
    for n in range(x.shape[0]):
        for g in range(groups):
            image = xp[n, g * c_group : (g + 1) * c_group]
            cols = _im2col(image, kernel, stride, dilation, out)
            weight = w[g * per_group : (g + 1) * per_group].reshape(per_group, -1)
            y[n, g * per_group : (g + 1) * per_group] = (weight @ cols).reshape(per_group, *out)
    return y


def backward(gy, x, w, stride, padding, dilation, groups):
    """Input and weight gradients: ``W^T @ gy`` scattered back (col2im), ``gy @ cols^T``."""
    kernel = w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0), *padding])
    out = gy.shape[2:]
    c_out, c_group = w.shape[:2]
    per_group = c_out // groups
    gxp = np.zeros_like(xp)
    gw = np.zeros_like(w)
    taps = _taps(kernel, dilation)
    for n in range(x.shape[0]):
        for g in range(groups):
            image = xp[n, g * c_group : (g + 1) * c_group]
            cols = _im2col(image, kernel, stride, dilation, out)
            weight = w[g * per_group : (g + 1) * per_group].reshape(per_group, -1)
            grad = gy[n, g * per_group : (g + 1) * per_group].reshape(per_group, -1)
            gw[g * per_group : (g + 1) * per_group] += (grad @ cols.T).reshape(
                per_group, c_group, *kernel
            )
            back = (weight.T @ grad).reshape(c_group, len(taps), *out)
            target = gxp[n, g * c_group : (g + 1) * c_group]
            for t, offset in enumerate(taps):
                target[(slice(None), *_window(offset, out, stride))] += back[:, t]
    crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(padding, x.shape[2:]))
    return gxp[(slice(None), slice(None), *crop)], gw
