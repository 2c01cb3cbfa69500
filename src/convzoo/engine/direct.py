"""Direct kernels (numba) for depthwise and narrow grouped convolutions: forward, input
gradient and weight gradient.

A depthwise convolution (``groups == C_in``, ``C_out = multiplier * C_in``; Howard et al.,
"MobileNets", arXiv:1704.04861) does ``K`` multiply-adds per output, a grouped one with few
channels per group (ResNeXt's 32 x 4d: 4) ``C_g * K``: a matrix product has nothing to gain
(each "GEMM" would be ``(C_out/G) x C_g K`` by ``C_g K x P`` with tiny sides), so an im2col
copy only adds memory traffic. These loops read the padded input in place, keep an output
row hot in cache (the innermost loop runs along it and vectorises) and run in parallel
over ``(batch, channel)`` planes (:mod:`.parallel`). Kernels are compiled on first use and
cached on disk (``cache=True``), so later processes load them in well under a second.

1-D problems run as 2-D with a unit height; 3-D falls back to the other algorithms.
"""

from __future__ import annotations

import functools

import numpy as np

from .parallel import parallel_for

__all__ = ["supports", "cost", "correlate", "correlate_transpose", "correlate_weight_grad"]

#: Largest number of input channels per group the direct kernels accept.
MAX_GROUP_CHANNELS = 16


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
        from numba import njit
    except ImportError as error:  # pragma: no cover
        raise ImportError("algorithm 'direct' needs numba: pip install convzoo[fast]") from error

    opts = dict(cache=True, fastmath=True, nogil=True)  # threads: see .parallel

    @njit(**opts)
    def forward(start, stop, xp, w, sh, sw, dh, dw, y, per_group):
        c_out, c_group, kh, kw = w.shape
        ow = y.shape[3]
        usw, uow = np.uint64(sw), np.uint64(ow)  # unsigned indices: no wraparound checks
        acc = np.empty(ow, dtype=y.dtype)
        for job in range(start, stop):  # (image, output channel) planes
            b, o = job // c_out, job % c_out
            first = (o // per_group) * c_group
            for r in range(y.shape[2]):
                acc[:] = 0
                for ci in range(c_group):
                    plane = xp[b, first + ci]
                    for i in range(kh):
                        src = plane[r * sh + i * dh]
                        for j in range(kw):
                            wv = w[o, ci, i, j]
                            off = np.uint64(j * dw)
                            if sw == 1:  # contiguous: the loop vectorises
                                for q in range(uow):
                                    acc[q] += wv * src[q + off]
                            else:
                                for q in range(uow):
                                    acc[q] += wv * src[q * usw + off]
                y[b, o, r, :] = acc

    @njit(**opts)
    def transpose(start, stop, g, w, sh, sw, dh, dw, x, per_group):
        oh, ow = g.shape[2], g.shape[3]
        c_group, kh, kw = w.shape[1], w.shape[2], w.shape[3]
        c_in = x.shape[1]
        usw, uow = np.uint64(sw), np.uint64(ow)
        for job in range(start, stop):  # (image, input channel) planes
            b, c = job // c_in, job % c_in
            grp, ci = c // c_group, c % c_group
            plane = x[b, c]
            for o in range(grp * per_group, (grp + 1) * per_group):
                for r in range(oh):
                    grow = g[b, o, r]
                    for i in range(kh):
                        dst = plane[r * sh + i * dh]
                        for j in range(kw):
                            wv = w[o, ci, i, j]
                            off = np.uint64(j * dw)
                            if sw == 1:
                                for q in range(uow):
                                    dst[q + off] += wv * grow[q]
                            else:
                                for q in range(uow):
                                    dst[q * usw + off] += wv * grow[q]

    @njit(**opts)
    def weight_grad(start, stop, xp, g, sh, sw, dh, dw, per_group, out):
        n_batch, _, oh, ow = g.shape
        c_group, kh, kw = out.shape[1], out.shape[2], out.shape[3]
        usw, uow = np.uint64(sw), np.uint64(ow)
        for o in range(start, stop):  # output channels
            first = (o // per_group) * c_group
            for ci in range(c_group):
                for i in range(kh):
                    for j in range(kw):
                        total = 0.0
                        off = np.uint64(j * dw)
                        for b in range(n_batch):
                            for r in range(oh):
                                src = xp[b, first + ci, r * sh + i * dh]
                                grow = g[b, o, r]
                                part = grow[0] * 0
                                if sw == 1:
                                    for q in range(uow):
                                        part += grow[q] * src[q + off]
                                else:
                                    for q in range(uow):
                                        part += grow[q] * src[q * usw + off]
                                total += part
                        out[o, ci, i, j] = total

    return forward, transpose, weight_grad


@functools.cache
def _flat_kernels():
    """Stride-1 kernels on the flattened padded plane: one long vector loop per tap.

    At stride 1, output ``(r, q)`` and tap ``(i, j)`` read flat input cell
    ``r*W + q + i*dh*W + j*dw`` (``W`` the padded width): computing on the padded grid
    (``(oh-1)*W + ow`` cells, the extra columns are discarded) turns each tap into one
    contiguous multiply-add over the whole plane instead of ``oh`` short row loops.
    """
    from numba import njit

    opts = dict(cache=True, fastmath=True, nogil=True)

    @njit(**opts)
    def forward(start, stop, xp, w, dh, dw, y, per_group):
        c_out, c_group, kh, kw = w.shape
        oh, ow, width = y.shape[2], y.shape[3], xp.shape[3]
        span = np.uint64((oh - 1) * width + ow)
        acc = np.empty(span, dtype=y.dtype)
        for job in range(start, stop):  # (image, output channel) planes
            b, o = job // c_out, job % c_out
            first = (o // per_group) * c_group
            acc[:] = 0
            for ci in range(c_group):
                flat = xp[b, first + ci].reshape(xp.shape[2] * width)
                for i in range(kh):
                    for j in range(kw):
                        wv = w[o, ci, i, j]
                        off = np.uint64(i * dh * width + j * dw)
                        for p in range(span):
                            acc[p] += wv * flat[p + off]
            for r in range(oh):
                y[b, o, r, :] = acc[r * width : r * width + ow]

    @njit(**opts)
    def transpose(start, stop, g, w, dh, dw, x, per_group):
        oh, ow = g.shape[2], g.shape[3]
        c_group, kh, kw = w.shape[1], w.shape[2], w.shape[3]
        c_in, width = x.shape[1], x.shape[3]
        span = np.uint64((oh - 1) * width + ow)
        grid = np.zeros(span, dtype=x.dtype)  # g on the padded grid; gaps stay zero
        for job in range(start, stop):  # (image, input channel) planes
            b, c = job // c_in, job % c_in
            grp, ci = c // c_group, c % c_group
            flat = x[b, c].reshape(x.shape[2] * width)
            for o in range(grp * per_group, (grp + 1) * per_group):
                for r in range(oh):
                    grid[r * width : r * width + ow] = g[b, o, r]
                for i in range(kh):
                    for j in range(kw):
                        wv = w[o, ci, i, j]
                        off = np.uint64(i * dh * width + j * dw)
                        for p in range(span):
                            flat[p + off] += wv * grid[p]

    @njit(**opts)
    def weight_grad(start, stop, xp, g, dh, dw, per_group, out):
        n_batch, _, oh, ow = g.shape
        c_group, kh, kw = out.shape[1], out.shape[2], out.shape[3]
        width = xp.shape[3]
        span = np.uint64((oh - 1) * width + ow)
        grid = np.zeros(span, dtype=out.dtype)
        for o in range(start, stop):  # output channels
            first = (o // per_group) * c_group
            for b in range(n_batch):
                for r in range(oh):
                    grid[r * width : r * width + ow] = g[b, o, r]
                for ci in range(c_group):
                    flat = xp[b, first + ci].reshape(xp.shape[2] * width)
                    for i in range(kh):
                        for j in range(kw):
                            off = np.uint64(i * dh * width + j * dw)
                            part = grid[0] * 0
                            for p in range(span):
                                part += grid[p] * flat[p + off]
                            out[o, ci, i, j] += part

    return forward, transpose, weight_grad


def supports(problem) -> bool:
    """1-D or 2-D, at most :data:`MAX_GROUP_CHANNELS` input channels per group, numba present."""
    return (
        len(problem.weight_shape) in (3, 4)
        and problem.weight_shape[1] <= MAX_GROUP_CHANNELS
        and numba_available()
    )


def cost(problem) -> float:
    """Three units per multiply-add: vectorised loops at about a third of BLAS peak, but no
    packing, no copies and no penalty for tiny matrix sides.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> p = Problem((8, 32, 58, 58), (32, 1, 3, 3), (1, 1), (1, 1), 32, np.dtype("float32"))
    >>> cost(p) == 3 * p.macs
    True
    """
    return 3.0 * problem.macs


def _as_2d(a):
    return a[:, :, None, :] if a.ndim == 3 else a  # (N, C, L) -> (N, C, 1, L)


def _pairs(values):
    return (1, *values) if len(values) == 1 else tuple(values)


def correlate(xp, w, stride, dilation, groups):
    """Forward correlation of a padded input, depthwise or narrow groups (:mod:`.reference`).

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
    per_group = w.shape[0] // groups
    y = np.empty((x4.shape[0], w.shape[0], oh, ow), dtype=xp.dtype)  # allocated by NumPy
    x4, w4 = np.ascontiguousarray(x4), np.ascontiguousarray(w4)
    if (sh, sw) == (1, 1):
        parallel_for(_flat_kernels()[0], y.shape[0] * y.shape[1], x4, w4, dh, dw, y, per_group)
    else:
        parallel_for(forward, y.shape[0] * y.shape[1], x4, w4, sh, sw, dh, dw, y, per_group)
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
    per_group = w.shape[0] // groups
    x = np.zeros((g4.shape[0], w.shape[1] * groups, fh, fw), dtype=g.dtype)
    g4, w4 = np.ascontiguousarray(g4), np.ascontiguousarray(w4)
    jobs = x.shape[0] * x.shape[1]
    if (sh, sw) == (1, 1):
        parallel_for(_flat_kernels()[1], jobs, g4, w4, dh, dw, x, per_group)
    else:
        parallel_for(transpose, jobs, g4, w4, sh, sw, dh, dw, x, per_group)
    return x[:, :, 0] if one_d else x


def correlate_weight_grad(xp, g, kernel, stride, dilation, groups):
    """Weight gradient ``(C_out, C_in/G, *k)`` from the padded input and ``g``.

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
    per_group = g.shape[1] // groups
    out = np.zeros((g.shape[1], xp.shape[1] // groups, kh, kw), dtype=x4.dtype)
    x4, g4 = np.ascontiguousarray(x4), np.ascontiguousarray(g4)
    if (sh, sw) == (1, 1):
        parallel_for(_flat_kernels()[2], g.shape[1], x4, g4, dh, dw, per_group, out)
    else:
        parallel_for(weight_grad, g.shape[1], x4, g4, sh, sw, dh, dw, per_group, out)
    return out[:, :, 0] if one_d else out
