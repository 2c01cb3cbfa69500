"""Direct kernels (numba) for depthwise and narrow grouped convolutions: forward, input
gradient and weight gradient.

A depthwise convolution (``groups == C_in``, ``C_out = multiplier * C_in``; Howard et al.,
"MobileNets", arXiv:1704.04861) does ``K`` multiply-adds per output, a grouped one with few
channels per group (ResNeXt's 32 x 4d: 4) ``C_g * K``: a matrix product has nothing to gain
(each "GEMM" would be ``(C_out/G) x C_g K`` by ``C_g K x P`` with tiny sides), so an im2col
copy only adds memory traffic. The kernels (:mod:`.direct_kernels`) pad implicitly: each
(image, group) job copies the input rows it needs, zero-padded and split by row-stride
phase (:func:`phase_layout`), into a buffer that stays in cache, where every kernel tap is
one constant shift of the flattened planes and the work runs in long vector loops. Jobs
run in parallel on the engine's thread pool (:mod:`.parallel`). Kernels are compiled on
first use and cached on disk, so later processes load them in well under a second.

1-D problems run as 2-D with a unit height; 3-D falls back to the other algorithms.
"""

from __future__ import annotations

import numpy as np

from .parallel import num_threads, parallel_for

__all__ = [
    "phase_layout",
    "supports",
    "cost",
    "correlate",
    "correlate_transpose",
    "correlate_weight_grad",
    "correlate_unpadded",
    "transpose_unpadded",
    "weight_grad_unpadded",
]

#: Largest number of input channels per group the direct kernels accept.
MAX_GROUP_CHANNELS = 16


def numba_available() -> bool:
    """Whether numba can be imported (the ``fast`` extra)."""
    try:
        import numba  # noqa: F401
    except ImportError:  # pragma: no cover - numba is installed in CI
        return False
    return True


def phase_layout(rows, cols, kernel, row_stride, dilation):
    """``(Hq, Wq, offsets)`` of the buffer for ``rows x cols`` stride-1-column outputs.

    The zero-padded input rows are split into ``sh`` phase planes of ``Hq x Wq`` cells
    (phase ``a`` holds rows ``r*sh + a``); output ``(r, q)`` and tap ``(i, j)`` then read
    cell ``(r + i*dh // sh, q + j*dw)`` of phase ``i*dh % sh``: on the flattened buffer,
    flat output ``p = r*Wq + q`` reads ``p + offsets[i, j]``, one constant shift per tap for
    every row stride and dilation.

    Examples
    --------
    >>> hq, wq, offsets = phase_layout(2, 2, (3, 3), 2, (1, 1))
    >>> hq, wq, offsets.tolist()   # kernel rows 0 and 2 read the even rows, row 1 the odd
    (4, 5, [[0, 1, 2], [20, 21, 22], [5, 6, 7]])
    """
    (kh, kw), (dh, dw), sh = kernel, dilation, row_stride
    hq, wq = rows + (kh - 1) * dh // sh + 1, cols + (kw - 1) * dw + 1
    i, j = np.arange(kh)[:, None] * dh, np.arange(kw)[None, :] * dw
    return hq, wq, ((i % sh) * hq * wq + (i // sh) * wq + j).astype(np.uint64)


def _kernels():
    """The numba kernels (imported on first use: numba is the optional ``fast`` extra)."""
    from . import direct_kernels

    return direct_kernels


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


def _pads(padding):
    """``(ph, pw)`` lower pads of 1-D or 2-D ``((lo, hi), ...)`` padding."""
    lows = tuple(lo for lo, _ in padding)
    return (0, *lows) if len(lows) == 1 else lows


def _out_length(n, k, s, d, lo, hi):
    return (n + lo + hi - d * (k - 1) - 1) // s + 1


def correlate_unpadded(x, w, stride, dilation, groups, padding):
    """Forward correlation of ``x`` zero-padded by ``padding`` (``((lo, hi), ...)``),
    without a padded copy: taps in the padding are skipped.

    Examples
    --------
    >>> import numpy as np
    >>> y = correlate_unpadded(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), (1, 1), (1, 1),
    ...                        1, ((1, 1), (1, 1)))
    >>> y[0, 0].tolist()     # corners see 4 input cells, edges 6, the centre 9
    [[4.0, 6.0, 4.0], [6.0, 9.0, 6.0], [4.0, 6.0, 4.0]]
    """
    one_d = x.ndim == 3
    x4 = np.ascontiguousarray(_as_2d(x))
    w4 = np.ascontiguousarray(_as_2d(w.astype(x.dtype, copy=False)))
    (sh, sw), (dh, dw) = _pairs(stride), _pairs(dilation)
    rows = zip(x4.shape[2:], w4.shape[2:], (sh, sw), (dh, dw), ((0, 0), *padding)[-2:])
    oh, ow = (_out_length(n, k, s_, d_, lo, hi) for n, k, s_, d_, (lo, hi) in rows)
    y = np.empty((x4.shape[0], w.shape[0], oh, ow), dtype=x.dtype)
    forward_rows(x4, w4, (sh, sw), (dh, dw), _pads(padding), 0, y, w.shape[0] // groups)
    return y[:, :, 0] if one_d else y


def forward_rows(x4, w4, stride, dilation, pads, row0, y, per_group, parallel=True):
    """Fill ``y`` (N, C_out, rows, ow) with output rows ``row0 ..`` of the 2-D correlation of
    ``x4`` zero-padded below by ``pads = (ph, pw)``, on all threads (``parallel=False``:
    on the calling thread). ``per_group`` is ``C_out / groups``.

    Examples
    --------
    Rows 1 and 2 of a 'same' 3x3 box filter over a 4x4 image of ones:

    >>> import numpy as np
    >>> band = np.empty((1, 1, 2, 4))
    >>> forward_rows(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), (1, 1), (1, 1), (1, 1), 1,
    ...              band, 1)
    >>> band[0, 0].tolist()
    [[6.0, 9.0, 9.0, 6.0], [6.0, 9.0, 9.0, 6.0]]
    """
    from . import depthwise3x3  # numba, like the other kernels

    (sh, sw), (dh, dw), (ph, pw) = stride, dilation, pads
    kernel = depthwise3x3.kernel_for(w4.shape[2:], stride, dilation, pw, x4.shape[3],
                                     y.shape[3], w4.shape[1])  # fmt: skip
    if kernel is not None and x4.flags.c_contiguous and y.flags.c_contiguous:
        # 3x3 depthwise: straight from x to y (whose planes it reads and writes flat)
        jobs, args = y.shape[0] * w4.shape[0], (x4, w4, ph, row0, y, per_group)
    else:
        hq, wq, offsets = _layout(y.shape[2:], w4.shape[2:], stride, dilation)
        kernel, jobs = _kernels().flat_forward, y.shape[0] * (w4.shape[0] // per_group)
        args = (x4, w4, sh, sw, dh, dw, ph, pw, row0, y, per_group, offsets, hq, wq)
    if parallel:
        parallel_for(kernel, jobs, *args)
    else:
        kernel(0, jobs, *args)


def _layout(out, kernel, stride, dilation):
    """``phase_layout`` for ``out = (oh, ow)`` outputs. Columns are always computed at stride
    1 on contiguous rows and every ``sw``-th kept: for the usual column stride of 2 that
    costs less than de-interleaving the input."""
    (oh, ow), (sh, sw) = out, stride
    return phase_layout(oh, (ow - 1) * sw + 1, kernel, sh, dilation)


def correlate(xp, w, stride, dilation, groups):
    """Forward correlation of a padded input, depthwise or narrow groups (:mod:`.reference`).

    Examples
    --------
    >>> import numpy as np
    >>> y = correlate(np.ones((1, 2, 4, 4)), np.ones((4, 1, 3, 3)), (1, 1), (1, 1), 2)
    >>> y.shape, float(y[0, 3, 0, 0])
    ((1, 4, 2, 2), 9.0)
    """
    return correlate_unpadded(xp, w, stride, dilation, groups, ((0, 0),) * (xp.ndim - 2))


def transpose_unpadded(g, w, stride, dilation, groups, padding, spatial):
    """Adjoint of :func:`correlate_unpadded` in its input: ``(N, C_in, *spatial)``.

    At stride 1 this is the forward kernel on ``g`` with the flipped, channel-swapped kernel
    and padding ``d*(k-1) - lo``; at larger strides the flat kernel run backwards.

    Examples
    --------
    >>> import numpy as np
    >>> gx = transpose_unpadded(np.ones((1, 1, 3)), np.ones((1, 1, 3)), (1,), (1,), 1,
    ...                         ((1, 1),), (3,))
    >>> gx.tolist()          # each input cell is read by 2, 3, 2 outputs
    [[[2.0, 3.0, 2.0]]]
    """
    from .adjoint import transpose_weight

    one_d = g.ndim == 3
    kernel = w.shape[2:]
    per_group = w.shape[0] // groups
    if all(s == 1 for s in stride) and per_group <= MAX_GROUP_CHANNELS:
        flipped = transpose_weight(w, groups)  # (C_in, C_out/G, *k), flipped
        reach = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        # grad_x[i] = sum_t g[i + lo - t*d] w[t]: a correlation with the flipped kernel,
        # padded by reach - lo below and as much as makes the output `spatial` long above
        pads = tuple(
            (r - lo, n - len_g + lo)
            for r, (lo, _), n, len_g in zip(reach, padding, spatial, g.shape[2:], strict=True)
        )
        return correlate_unpadded(g, flipped, stride, dilation, groups, pads)
    from . import depthwise3x3_grad  # numba, like the other kernels

    g4 = np.ascontiguousarray(_as_2d(g))
    w4 = np.ascontiguousarray(_as_2d(w.astype(g.dtype, copy=False)))
    (sh, sw), (dh, dw), (ph, pw) = _pairs(stride), _pairs(dilation), _pads(padding)
    shape = (g4.shape[0], w.shape[1] * groups, *_pairs(spatial))
    if depthwise3x3_grad.supports(w4.shape[2:], (sh, sw), (dh, dw), (ph, pw), w.shape[1],
                                  per_group):  # fmt: skip
        x = np.empty(shape, dtype=g.dtype)  # every cell written once
        parallel_for(depthwise3x3_grad.stride2_3x3_transpose, x.shape[0] * x.shape[1], g4, w4, x)
        return x[:, :, 0] if one_d else x
    x = np.zeros(shape, dtype=g.dtype)
    hq, wq, offsets = _layout(g4.shape[2:], w4.shape[2:], (sh, sw), (dh, dw))
    parallel_for(_kernels().flat_transpose, g4.shape[0] * groups, g4, w4, sh, sw, dh, dw, ph,
                 pw, per_group, x, offsets, hq, wq)  # fmt: skip
    return x[:, :, 0] if one_d else x


def correlate_transpose(g, w, stride, dilation, groups, full_spatial):
    """Adjoint of :func:`correlate` in its input: ``(N, C_in, *full_spatial)``.

    Examples
    --------
    >>> import numpy as np
    >>> correlate_transpose(np.ones((1, 1, 2)), np.ones((1, 1, 2)), (1,), (1,), 1, (3,))
    array([[[1., 2., 1.]]])
    """
    zero = ((0, 0),) * (g.ndim - 2)
    return transpose_unpadded(g, w, stride, dilation, groups, zero, tuple(full_spatial))


def weight_grad_unpadded(x, g, kernel, stride, dilation, groups, padding):
    """Weight gradient ``(C_out, C_in/G, *k)`` of :func:`correlate_unpadded`.

    Examples
    --------
    >>> import numpy as np
    >>> gw = weight_grad_unpadded(np.arange(3.0).reshape(1, 1, 3), np.ones((1, 1, 3)), (3,),
    ...                           (1,), (1,), 1, ((1, 1),))
    >>> gw.tolist()          # tap t sees x[q + t - 1] for q = 0, 1, 2
    [[[1.0, 3.0, 3.0]]]
    """
    from . import depthwise3x3_grad  # numba, like the other kernels

    one_d = x.ndim == 3
    x4 = np.ascontiguousarray(_as_2d(x))
    g4 = np.ascontiguousarray(_as_2d(g.astype(x.dtype, copy=False)))
    (sh, sw), (dh, dw) = _pairs(stride), _pairs(dilation)
    kh, kw = _pairs(kernel)
    per_group = g.shape[1] // groups
    out = np.empty((g.shape[1], x.shape[1] // groups, kh, kw), dtype=x.dtype)
    (ph, pw) = _pads(padding)
    if depthwise3x3_grad.supports((kh, kw), (sh, sw), (dh, dw), (ph, pw), out.shape[1], 1):
        parallel_for(depthwise3x3_grad.stride2_3x3_weight_grad, out.shape[0], x4, g4, per_group,
                     out)  # fmt: skip
        return out[:, :, 0] if one_d else out
    hq, wq, offsets = _layout(g4.shape[2:], (kh, kw), (sh, sw), (dh, dw))
    # jobs: (group, block of its output channels); whole groups unless too few to share out
    blocks = 1 if groups >= num_threads() else min(per_group, num_threads())
    block = -(-per_group // blocks)
    jobs = groups * -(-per_group // block)
    parallel_for(_kernels().flat_weight_grad, jobs, x4, g4, sh, sw, dh, dw, ph, pw, per_group,
                 out, offsets, hq, wq, block)  # fmt: skip
    return out[:, :, 0] if one_d else out


def correlate_weight_grad(xp, g, kernel, stride, dilation, groups):
    """Weight gradient ``(C_out, C_in/G, *k)`` from the padded input and ``g``.

    Examples
    --------
    >>> import numpy as np
    >>> correlate_weight_grad(np.arange(5.0).reshape(1, 1, 5), np.ones((1, 1, 3)), (3,),
    ...                       (1,), (1,), 1)
    array([[[3., 6., 9.]]])
    """
    zero = ((0, 0),) * (xp.ndim - 2)
    return weight_grad_unpadded(xp, g, kernel, stride, dilation, groups, zero)
