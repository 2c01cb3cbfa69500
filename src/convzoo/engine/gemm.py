"""GEMM engine: (partial) im2col in bounded blocks, then BLAS products written in place.

The classic method (Chellapilla et al., 2006) copies every kernel window into an im2col
matrix ``(C*K, P)`` and multiplies it by the weight matrix ``(C_out, C*K)``. Here the copy
is made from the *unpadded* input (the zero padding is implicit, see
:func:`.windows.fill_windows`) one sample and one block of output rows at a time, and the
products are written straight into the ``(N, C_out, *out)`` output by :func:`.blas.gemm`.

When the channels alone give a long enough reduction, the taps of the first spatial
dimension are not copied at all (a *partial* im2col, or shifted GEMM): the workspace holds
windows over the other dimensions only, for every input row the block needs (split by
stride phase), and tap ``t`` of the first dimension is the column range starting at row
``t*d // s`` of phase ``t*d % s``; the ``k0`` products accumulate (``beta = 1``) into the
output. A 3x3x3 convolution then copies 9 values per input element instead of 27, a 1-D
convolution copies nothing but its padded input. The workspace stays under
``6 * WORKSPACE_BYTES`` and the input's size (split) or ``WORKSPACE_BYTES`` (full), or
one output row's worth.

References
----------
Chellapilla, Puri and Simard, "High performance convolutional neural networks for document
processing", IWFHR 2006.
"""

from __future__ import annotations

import math

import numpy as np

from . import blas, col2im, pointwise
from .col2im import correlate_transpose
from .scratch import scratch
from .windows import column_blocks, column_plan, row_grid

__all__ = [
    "WORKSPACE_BYTES",
    "correlate",
    "correlate_transpose",
    "correlate_weight_grad",
    "cost",
    "gemm_efficiency",
    "plan",
    "unpadded",
    "unpadded_transpose",
    "unpadded_weight_grad",
    "weight_grad_cost",
]

#: Largest full-im2col workspace a call allocates (bytes); partial im2col gets 6 times this.
WORKSPACE_BYTES = 8 * 2**20
#: Shortest per-tap reduction (``C_g * K_rest``) worth splitting the first dimension's taps.
MIN_SPLIT_DEPTH = 64
#: Products narrower than this many columns take several samples at once.
WIDE = 16384


def gemm_efficiency(m: int, k: int, n: int) -> float:
    """Rough fraction of BLAS peak reached by an ``(m x k) @ (k x n)`` product.

    Small dimensions starve the micro-kernel (register blocks are about 8-16 wide and
    packing costs ``O(mk + kn)`` against ``O(mkn)`` work); measured OpenBLAS/MKL curves
    level off near 64.

    Examples
    --------
    >>> gemm_efficiency(256, 256, 4096), round(gemm_efficiency(1, 9, 3136), 4)
    (1.0, 0.0249)
    """
    return min(1.0, (m / 32) ** 0.5) * min(1.0, k / 64) * min(1.0, n / 64)


def plan(kernel, stride, dilation, c_group: int, forward: bool = True) -> dict:
    """The workspace layout (:func:`.windows.column_plan`) at :data:`MIN_SPLIT_DEPTH`.

    A forward pass of a 3-D (or higher) kernel may split two dimensions (a 3x3x3 kernel then
    copies 3 values per input element, at the price of a few garbage columns and one copy
    of the output); weight gradients split at most one.

    Examples
    --------
    >>> p = plan((3, 3, 3), (1, 1, 1), (1, 1, 1), 64, forward=False)
    >>> p["split"], len(p["taps"]), p["shifts"], p["halo"]
    (True, 9, [((0,), 0), ((1,), 0), ((2,), 0)], (2,))
    >>> len(plan((3, 3, 3), (1, 1, 1), (1, 1, 1), 64)["taps"])
    3
    """
    max_dims = 2 if forward and len(kernel) >= 3 else 1
    return column_plan(kernel, stride, dilation, c_group, MIN_SPLIT_DEPTH, max_dims)


def _pointwise(problem) -> bool:
    return all(k == 1 for k in problem.weight_shape[2:])


def cost(problem, forward: bool = True) -> float:
    """Estimated time in units of one multiply-add at BLAS peak, plus the im2col copy.

    ``macs / efficiency`` for the matrix products (the reduction is ``C_g * K``, or
    ``C_g * K_rest`` when the first dimension's taps are split), plus 8 units per element
    copied into the workspace (a strided gather runs at memory speed, far below the FLOP
    rate). Pointwise stride-1 layers copy nothing.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> p = Problem((1, 64, 8, 8), (64, 64, 1, 1), (1, 1), (1, 1), 1, np.dtype("float32"))
    >>> cost(p) == p.macs
    True
    """
    c_out, c_group, *kernel = problem.weight_shape
    out = problem.output_spatial
    layout = plan(kernel, problem.stride, problem.dilation, c_group, forward)
    taps = len(layout["taps"])
    eff = gemm_efficiency(c_out // problem.groups, c_group * taps, math.prod(out))
    if _pointwise(problem) and set(problem.stride) == {1}:
        return problem.macs / eff
    grid = math.prod(row_grid(layout, out))
    rows = len(layout["phases"]) * (out[0] + (layout["halo"][0] if layout["split"] else 0))
    copied = problem.input_shape[0] * c_group * problem.groups * taps * rows * grid
    garbage = grid / math.prod(out[1:])  # extra columns, and one output copy when > 1
    output = 8 * problem.input_shape[0] * c_out * math.prod(out) if garbage > 1 else 0
    return problem.macs * garbage / eff + 8 * copied + output


def weight_grad_cost(problem) -> float:
    """Cost of :func:`correlate_weight_grad`: the forward's, one split dimension at most.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> p = Problem((8, 64, 58, 58), (64, 64, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    >>> bool(weight_grad_cost(p) == cost(p))
    True
    """
    return cost(problem, forward=False)


def _pointwise_input(xp, stride):
    """``(N, C, *out)``: the positions a 1x1 kernel reads (a copy only when strided)."""
    if set(stride) == {1}:
        return xp
    return np.ascontiguousarray(xp[(Ellipsis, *(slice(None, None, s) for s in stride))])


def _flat(x):
    """``(N, C, P)``: the spatial axes as one (empty batches too)."""
    return x.reshape(*x.shape[:2], math.prod(x.shape[2:]))


def _out_spatial(x, kernel, stride, dilation, padding):
    from ..shapes import conv_length

    rows = zip(x.shape[2:], padding, kernel, stride, dilation, strict=True)
    return tuple(conv_length(n + lo + hi, k, s, d) for n, (lo, hi), k, s, d in rows)


def _blocks(x, kernel, stride, dilation, padding, out, layout):
    """:func:`.windows.column_blocks` within this module's workspace budget: a partial
    im2col may use up to ``6 * WORKSPACE_BYTES`` (fewer halo rows) but never more than the
    input's own size, so that peak memory stays under input + output."""
    budget = WORKSPACE_BYTES
    if layout["split"]:
        budget = max(budget, min(6 * budget, x.nbytes))
    return column_blocks(x, stride, dilation, padding, out, layout, budget, WIDE)


def _weight_matrices(w, groups, layout):
    """``(products, G, C_out/G, C_g*taps)`` contiguous: one weight matrix per product."""
    c_out, c_group, *kernel = w.shape
    products = math.prod(kernel[: layout["dims"]])
    w = w.reshape(c_out, c_group, products, -1).transpose(2, 0, 1, 3)  # (k0, C_out, C_g, R)
    return np.ascontiguousarray(w).reshape(products, groups, c_out // groups, -1)


def unpadded(x, w, stride, dilation, groups, padding):
    """Cross-correlation of ``x`` zero-padded by ``padding`` (never materialised).

    Examples
    --------
    >>> import numpy as np
    >>> unpadded(np.ones((1, 1, 3)), np.ones((1, 1, 3)), (1,), (1,), 1, ((1, 1),)).tolist()
    [[[2.0, 3.0, 2.0]]]
    """
    kernel = w.shape[2:]
    dtype = np.result_type(x, w)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    c_out = w.shape[0]
    if all(k == 1 for k in kernel) and not any(lo or hi for lo, hi in padding):
        x = _pointwise_input(x, stride)  # pointwise: plain products, no im2col
        y = pointwise.forward(_flat(x), w.reshape(w.shape[:2]), groups)
        return y.reshape(x.shape[0], c_out, *x.shape[2:])
    out = _out_spatial(x, kernel, stride, dilation, padding)
    layout = plan(kernel, stride, dilation, w.shape[1])
    weight = _weight_matrices(w, groups, layout)  # (products, G, C_out/G, C_g*taps)
    y = np.empty((x.shape[0], c_out, *out), dtype)
    grid, depth = row_grid(layout, out), weight.shape[-1]
    rest, exact = math.prod(grid), grid == out[1:]
    for samples, rows, cols, starts in _blocks(x, kernel, stride, dilation, padding, out, layout):
        count, width = samples.stop - samples.start, (rows.stop - rows.start) * rest
        if count == 1 and exact:  # write straight into y
            target = y[samples.start].reshape(groups, c_out // groups, -1)
            target = target[..., rows.start * rest :][..., :width]
        else:  # a block of several samples, or with garbage columns
            target = scratch("gemm_product", (groups, c_out // groups, width * count), dtype)
        for g in range(groups):
            for i, start in enumerate(starts):
                block = cols[g * depth : (g + 1) * depth, start : start + width * count]
                blas.gemm(weight[i, g], block, target[g], beta=float(i > 0))
        if count > 1:  # (C_out, rows, n, *rest) -> (n, C_out, rows, *rest)
            y[samples] = target.reshape(c_out, -1, count, *out[1:]).swapaxes(0, 2).swapaxes(1, 2)
        elif not exact:  # drop the garbage columns
            valid = target.reshape(c_out, -1, *grid)[(Ellipsis, *(slice(0, o) for o in out[1:]))]
            y[samples.start, :, rows] = valid
    return y


def correlate(xp, w, stride, dilation, groups):
    """Cross-correlation of a padded input by (partial) im2col + GEMM (see :mod:`.reference`).

    Examples
    --------
    >>> import numpy as np
    >>> correlate(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), (1, 1), (1, 1), 1).shape
    (1, 1, 3, 3)
    """
    return unpadded(xp, w, stride, dilation, groups, ((0, 0),) * (xp.ndim - 2))


def unpadded_weight_grad(x, g, kernel, stride, dilation, groups, padding):
    """Weight gradient of :func:`unpadded`: output gradient times the workspace, transposed.

    Examples
    --------
    >>> import numpy as np
    >>> unpadded_weight_grad(np.ones((1, 1, 3)), np.ones((1, 1, 3)), (3,), (1,), (1,), 1,
    ...                      ((1, 1),)).tolist()
    [[[2.0, 3.0, 2.0]]]
    """
    out, c_out = g.shape[2:], g.shape[1]
    dtype = np.result_type(x, g)
    x, g = x.astype(dtype, copy=False), g.astype(dtype, copy=False)
    if all(k == 1 for k in kernel) and not any(lo or hi for lo, hi in padding):
        x = _pointwise_input(x, stride)[(Ellipsis, *(slice(0, o) for o in out))]
        dw = pointwise.weight_grad(_flat(x), _flat(g), groups)
        return dw.reshape(c_out, -1, *kernel)
    c_group = x.shape[1] // groups
    layout = plan(kernel, stride, dilation, c_group, forward=False)
    products = math.prod(kernel[: layout["dims"]])
    taps = len(layout["taps"])
    dw = np.zeros((products, groups, c_out // groups, c_group * taps), dtype)
    rest = math.prod(out[1:])
    for samples, rows, cols, starts in _blocks(x, kernel, stride, dilation, padding, out, layout):
        count, width = samples.stop - samples.start, (rows.stop - rows.start) * rest
        if count == 1:
            grad = g[samples.start].reshape(groups, c_out // groups, -1)
            grad = grad[..., rows.start * rest :][..., :width]
        else:  # (n, C_out, rows, rest) -> (C_out, rows, n, rest), the workspace's column order
            grad = g[samples].reshape(count, c_out, -1, rest).transpose(1, 2, 0, 3)
            grad = np.ascontiguousarray(grad).reshape(groups, c_out // groups, -1)
        depth = c_group * taps
        for j in range(groups):
            for i, start in enumerate(starts):
                block = cols[j * depth : (j + 1) * depth, start : start + width * count]
                blas.gemm(grad[j], block.T, dw[i, j], beta=1.0)
    dw = dw.reshape(products, c_out, c_group, -1).transpose(1, 2, 0, 3)  # (C_out, C_g, k0, R)
    return dw.reshape(c_out, c_group, *kernel)


def correlate_weight_grad(xp, g, kernel, stride, dilation, groups):
    """Weight gradient: the workspace times the output gradient, summed over the batch.

    Examples
    --------
    >>> import numpy as np
    >>> correlate_weight_grad(np.arange(5.0).reshape(1, 1, 5), np.ones((1, 1, 3)), (3,),
    ...                       (1,), (1,), 1)
    array([[[3., 6., 9.]]])
    """
    padding = ((0, 0),) * (xp.ndim - 2)
    return unpadded_weight_grad(xp, g, kernel, stride, dilation, groups, padding)


def unpadded_transpose(g, w, stride, dilation, groups, padding, spatial):
    """Adjoint of :func:`unpadded` in ``x``: ``(N, C_in, *spatial)``, the padding cropped.

    At stride 1 this is the forward correlation of ``g`` with the flipped, transposed
    weight and padding ``d*(k-1) - lo`` before, ``d*(k-1) - hi`` after (one more partial
    im2col); otherwise col2im (:func:`.col2im.cropped`), which crops as it writes.

    Examples
    --------
    >>> import numpy as np
    >>> unpadded_transpose(np.ones((1, 1, 3)), np.ones((1, 1, 3)), (1,), (1,), 1, ((1, 1),),
    ...                    (3,)).tolist()
    [[[2.0, 3.0, 2.0]]]
    >>> unpadded_transpose(np.ones((1, 1, 2)), np.ones((1, 1, 3)), (2,), (1,), 1, ((1, 1),),
    ...                    (3,)).tolist()
    [[[1.0, 2.0, 1.0]]]
    """
    kernel = w.shape[2:]
    if set(stride) == {1}:
        from .adjoint import transpose_weight

        reach = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        flipped = tuple((r - lo, r - hi) for r, (lo, hi) in zip(reach, padding, strict=True))
        return unpadded(g, transpose_weight(w, groups), stride, dilation, groups, flipped)
    return col2im.cropped(g, w, stride, dilation, groups, padding, spatial)
