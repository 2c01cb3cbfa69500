"""Direct depthwise convolution kernels (numba), forward, input gradient and weight gradient.

A depthwise convolution (``groups == C_in``, ``C_out = multiplier * C_in``; Howard et al.,
"MobileNets", arXiv:1704.04861) does ``K`` multiply-adds per output and reads each input
plane once per output channel: a matrix product has nothing to gain (each "GEMM" would be
``1 x K`` by ``K x P``), so an im2col copy only adds memory traffic. These loops read the
padded input in place, keep an output row hot in cache and run in parallel (``prange``)
over ``(batch, channel)`` planes. Kernels are compiled on first use and cached on disk
(``cache=True``), so later processes load them in milliseconds.

1-D problems run as 2-D with a unit height; 3-D depthwise falls back to the GEMM engine.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["supports", "cost", "correlate", "correlate_transpose", "correlate_weight_grad"]


def numba_available() -> bool:
    """Whether numba can be imported (the ``fast`` extra)."""
    try:
        import numba  # noqa: F401
    except ImportError:  # pragma: no cover - numba is installed in CI
        return False
    return True


@functools.cache
def _kernels():
    try:
        from numba import njit, prange
    except ImportError as error:  # pragma: no cover
        raise ImportError("algorithm 'direct' needs numba: pip install convzoo[fast]") from error

    opts = dict(parallel=True, cache=True, fastmath=True, nogil=True)

    @njit(**opts)
    def forward(xp, w, sh, sw, dh, dw, oh, ow, mult):
        n_batch = xp.shape[0]
        c_out, _, kh, kw = w.shape
        y = np.empty((n_batch, c_out, oh, ow), dtype=xp.dtype)
        usw, uow = np.uint64(sw), np.uint64(ow)  # unsigned indices: no wraparound checks
        for job in prange(n_batch * c_out):
            b, o = job // c_out, job % c_out
            plane = xp[b, o // mult]
            acc = np.empty(ow, dtype=xp.dtype)
            for r in range(oh):
                acc[:] = 0
                for i in range(kh):
                    src = plane[r * sh + i * dh]
                    for j in range(kw):
                        wv = w[o, 0, i, j]
                        off = np.uint64(j * dw)
                        if sw == 1:  # contiguous: the loop vectorises
                            for q in range(uow):
                                acc[q] += wv * src[q + off]
                        else:
                            for q in range(uow):
                                acc[q] += wv * src[q * usw + off]
                y[b, o, r, :] = acc
        return y

    @njit(**opts)
    def transpose(g, w, sh, sw, dh, dw, full_h, full_w, mult):
        n_batch, c_out, oh, ow = g.shape
        kh, kw = w.shape[2], w.shape[3]
        c_in = c_out // mult
        x = np.zeros((n_batch, c_in, full_h, full_w), dtype=g.dtype)
        usw, uow = np.uint64(sw), np.uint64(ow)
        for job in prange(n_batch * c_in):
            b, c = job // c_in, job % c_in
            plane = x[b, c]
            for o in range(c * mult, (c + 1) * mult):
                for r in range(oh):
                    grow = g[b, o, r]
                    for i in range(kh):
                        dst = plane[r * sh + i * dh]
                        for j in range(kw):
                            wv = w[o, 0, i, j]
                            off = np.uint64(j * dw)
                            if sw == 1:
                                for q in range(uow):
                                    dst[q + off] += wv * grow[q]
                            else:
                                for q in range(uow):
                                    dst[q * usw + off] += wv * grow[q]
        return x

    @njit(**opts)
    def weight_grad(xp, g, kh, kw, sh, sw, dh, dw, mult):
        n_batch, c_out, oh, ow = g.shape
        out = np.zeros((c_out, 1, kh, kw), dtype=g.dtype)
        usw, uow = np.uint64(sw), np.uint64(ow)
        for o in prange(c_out):
            c = o // mult
            for i in range(kh):
                for j in range(kw):
                    total = 0.0
                    off = np.uint64(j * dw)
                    for b in range(n_batch):
                        for r in range(oh):
                            src = xp[b, c, r * sh + i * dh]
                            grow = g[b, o, r]
                            part = grow[0] * 0
                            if sw == 1:
                                for q in range(uow):
                                    part += grow[q] * src[q + off]
                            else:
                                for q in range(uow):
                                    part += grow[q] * src[q * usw + off]
                            total += part
                    out[o, 0, i, j] = total
        return out

    return forward, transpose, weight_grad


def supports(problem) -> bool:
    """Depthwise (``groups == C_in``, weight ``(m*C_in, 1, *k)``), 1-D or 2-D, numba present."""
    c_in = problem.input_shape[1]
    return (
        len(problem.weight_shape) in (3, 4)
        and problem.groups == c_in
        and problem.weight_shape[1] == 1
        and numba_available()
    )


def cost(problem) -> float:
    """Multiply-adds at ~4 per GEMM-equivalent unit: SIMD loops with no packing or copies.

    A depthwise "GEMM" has an inner dimension of only ``K``, so BLAS runs far below peak and
    im2col copies ``K`` times the input; the direct loop avoids both.
    """
    return 0.25 * problem.macs


def _as_2d(a):
    return a[:, :, None, :] if a.ndim == 3 else a  # (N, C, L) -> (N, C, 1, L)


def _pairs(values):
    return (1, *values) if len(values) == 1 else tuple(values)


def correlate(xp, w, stride, dilation, groups):
    """Depthwise forward correlation of a padded input (see :mod:`.reference`).

    Examples
    --------
    >>> import numpy as np
    >>> y = correlate(np.ones((1, 2, 4, 4)), np.ones((4, 1, 3, 3)), (1, 1), (1, 1), 2)
    >>> y.shape, float(y[0, 3, 0, 0])
    ((1, 4, 2, 2), 9.0)
    """
    forward, _, _ = _kernels()
    one_d = xp.ndim == 3
    x4, w4 = _as_2d(xp), _as_2d(w.astype(xp.dtype, copy=False))
    (sh, sw), (dh, dw) = _pairs(stride), _pairs(dilation)
    oh = (x4.shape[2] - dh * (w4.shape[2] - 1) - 1) // sh + 1
    ow = (x4.shape[3] - dw * (w4.shape[3] - 1) - 1) // sw + 1
    mult = w.shape[0] // xp.shape[1]
    y = forward(np.ascontiguousarray(x4), np.ascontiguousarray(w4), sh, sw, dh, dw, oh, ow, mult)
    return y[:, :, 0] if one_d else y


def correlate_transpose(g, w, stride, dilation, groups, full_spatial):
    """Adjoint of :func:`correlate` in its input: ``(N, C_in, *full_spatial)``.

    Examples
    --------
    >>> import numpy as np
    >>> correlate_transpose(np.ones((1, 1, 2)), np.ones((1, 1, 2)), (1,), (1,), 1, (3,))
    array([[[1., 2., 1.]]])
    """
    _, transpose, _ = _kernels()
    one_d = g.ndim == 3
    g4, w4 = _as_2d(g), _as_2d(w.astype(g.dtype, copy=False))
    (sh, sw), (dh, dw) = _pairs(stride), _pairs(dilation)
    fh, fw = _pairs(full_spatial)
    mult = w.shape[0] // groups
    x = transpose(np.ascontiguousarray(g4), np.ascontiguousarray(w4), sh, sw, dh, dw, fh, fw, mult)
    return x[:, :, 0] if one_d else x


def correlate_weight_grad(xp, g, kernel, stride, dilation, groups):
    """Depthwise weight gradient ``(C_out, 1, *k)`` from the padded input and ``g``.

    Examples
    --------
    >>> import numpy as np
    >>> correlate_weight_grad(np.arange(5.0).reshape(1, 1, 5), np.ones((1, 1, 3)), (3,),
    ...                       (1,), (1,), 1)
    array([[[3., 6., 9.]]])
    """
    _, _, weight_grad = _kernels()
    one_d = xp.ndim == 3
    x4, g4 = _as_2d(xp), _as_2d(g.astype(xp.dtype, copy=False))
    (sh, sw), (dh, dw) = _pairs(stride), _pairs(dilation)
    kh, kw = _pairs(kernel)
    mult = g.shape[1] // xp.shape[1]
    args = (np.ascontiguousarray(x4), np.ascontiguousarray(g4), kh, kw, sh, sw, dh, dw, mult)
    out = weight_grad(*args)
    return out[:, :, 0] if one_d else out
