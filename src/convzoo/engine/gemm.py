"""GEMM engine: im2col in bounded chunks, then one BLAS matrix product per group.

For each chunk of the batch (and, when one sample is too large, of the first output
dimension), the kernel windows are copied into an im2col matrix of shape
``(n, G, C_g*K, P)`` and multiplied by the weight matrix ``(G, C_out/G, C_g*K)``: the output
lands directly in ``(N, C_out, *out)`` order. The workspace never exceeds
``WORKSPACE_BYTES`` (or one output row's worth, whichever is larger).
"""

from __future__ import annotations

import math

import numpy as np

from .windows import windows

__all__ = [
    "WORKSPACE_BYTES",
    "correlate",
    "correlate_transpose",
    "correlate_weight_grad",
    "chunks",
    "cost",
    "gemm_efficiency",
    "weight_grad_cost",
    "im2col",
]

#: Largest im2col workspace a call allocates (bytes).
WORKSPACE_BYTES = 8 * 2**20


def chunks(n_batch: int, first_out: int, bytes_per_row: int, budget: int | None = None):
    """Split ``(batch, first output dim)`` into blocks whose im2col fits in ``budget``.

    Yields ``(slice_of_batch, slice_of_rows)`` pairs covering every output position once.

    Examples
    --------
    >>> [(b.start, b.stop, r.start, r.stop) for b, r in chunks(4, 10, 100, 2000)]
    [(0, 2, 0, 10), (2, 4, 0, 10)]
    >>> [(b.start, r.start, r.stop) for b, r in chunks(1, 10, 100, 450)]
    [(0, 0, 4), (0, 4, 8), (0, 8, 10)]
    """
    budget = WORKSPACE_BYTES if budget is None else budget
    per_sample = bytes_per_row * first_out
    if per_sample <= budget:
        step = max(1, budget // max(per_sample, 1))
        for start in range(0, n_batch, step):
            yield slice(start, min(start + step, n_batch)), slice(0, first_out)
        return
    rows = max(1, budget // max(bytes_per_row, 1))
    for n in range(n_batch):
        for start in range(0, first_out, rows):
            yield slice(n, n + 1), slice(start, min(start + rows, first_out))


def im2col(view: np.ndarray, groups: int) -> np.ndarray:
    """Copy a block of windows ``(n, C, *out, *k)`` into ``(n, G, C_g*K, P)``.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.windows import windows
    >>> im2col(windows(np.arange(4.0).reshape(1, 1, 4), (2,), (1,), (1,)), 1)[0, 0]
    array([[0., 1., 2.],
           [1., 2., 3.]])
    """
    n, c = view.shape[:2]
    ndim = (view.ndim - 2) // 2
    order = (0, 1, *range(2 + ndim, 2 + 2 * ndim), *range(2, 2 + ndim))
    # (n, C, *out, *k) -> (n, C, *k, *out) -> (n, G, C_g*K, P)
    return view.transpose(order).reshape(n, groups, -1, math.prod(view.shape[2 : 2 + ndim]))


def _row_bytes(view: np.ndarray) -> int:
    ndim = (view.ndim - 2) // 2
    per_row = math.prod(view.shape[3 : 2 + ndim]) * math.prod(view.shape[2 + ndim :])
    return per_row * view.shape[1] * view.itemsize


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


def _pointwise(problem) -> bool:
    return all(k == 1 for k in problem.weight_shape[2:])


def cost(problem) -> float:
    """Estimated time in units of one multiply-add at BLAS peak, plus the im2col copy.

    ``macs / efficiency`` for the matrix products, plus 8 units per im2col element copied
    (a strided gather runs at memory speed, far below the FLOP rate). Pointwise stride-1
    layers copy nothing.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> p = Problem((1, 64, 8, 8), (64, 64, 1, 1), (1, 1), (1, 1), 1, np.dtype("float32"))
    >>> cost(p) == p.macs
    True
    """
    c_out, c_group, *kernel = problem.weight_shape
    positions = math.prod(problem.output_spatial)
    taps = math.prod(kernel)
    eff = gemm_efficiency(c_out // problem.groups, c_group * taps, positions)
    copied = 0 if _pointwise(problem) and set(problem.stride) == {1} else 1
    im2col_elements = copied * problem.input_shape[0] * c_group * problem.groups * taps * positions
    return problem.macs / eff + 8 * im2col_elements


def weight_grad_cost(problem) -> float:
    """Cost of :func:`correlate_weight_grad`: products, plus im2col copies unless stride 1.

    At stride 1 the shifted-GEMM form reads the input in place but multiplies over the
    whole padded grid (the output gradient is embedded in zeros).

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> p = Problem((8, 64, 58, 58), (64, 64, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    >>> bool(weight_grad_cost(p) < cost(p))
    True
    """
    c_out, c_group, *kernel = problem.weight_shape
    if _pointwise(problem) or set(problem.stride) != {1}:
        return cost(problem)
    padded = math.prod(problem.input_shape[2:])
    eff = gemm_efficiency(c_out // problem.groups, padded, c_group)
    grid = problem.macs * padded / math.prod(problem.output_spatial)
    return grid / eff


def _pointwise_input(xp, stride):
    """``(N, C, *out)``: the positions a 1x1 kernel reads (a copy only when strided)."""
    if set(stride) == {1}:
        return xp
    return np.ascontiguousarray(xp[(Ellipsis, *(slice(None, None, s) for s in stride))])


def correlate(xp, w, stride, dilation, groups):
    """Cross-correlation of a padded input by im2col + matmul (see :mod:`.reference`).

    Examples
    --------
    >>> import numpy as np
    >>> correlate(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), (1, 1), (1, 1), 1).shape
    (1, 1, 3, 3)
    """
    kernel = w.shape[2:]
    if all(k == 1 for k in kernel):  # pointwise: a plain matmul, no im2col
        x = _pointwise_input(xp, stride)
        c_out = w.shape[0]
        weight = w.reshape(groups, c_out // groups, -1)  # (G, C_out/G, C_g)
        cols = x.reshape(x.shape[0], groups, -1, math.prod(x.shape[2:]))  # (N, G, C_g, P)
        return np.matmul(weight, cols).reshape(x.shape[0], c_out, *x.shape[2:])
    view = windows(xp, kernel, stride, dilation)
    n_batch, ndim = xp.shape[0], len(kernel)
    out = view.shape[2 : 2 + ndim]
    c_out = w.shape[0]
    weight = w.reshape(groups, c_out // groups, -1)  # (G, C_out/G, C_g*K)
    y = np.empty((n_batch, c_out, *out), dtype=np.result_type(xp, w))
    for batch, rows in chunks(n_batch, out[0], _row_bytes(view)):
        cols = im2col(view[batch, :, rows], groups)  # (n, G, C_g*K, P)
        if rows.stop - rows.start == out[0]:  # whole images: multiply straight into y
            np.matmul(weight, cols, out=y[batch].reshape(cols.shape[0], groups, -1, cols.shape[-1]))
            continue
        block = np.matmul(weight, cols)  # (n, G, C_out/G, P)
        y[batch, :, rows] = block.reshape(block.shape[0], c_out, -1, *out[1:])
    return y


def correlate_weight_grad(xp, g, kernel, stride, dilation, groups):
    """Weight gradient: the im2col matrix times the output gradient, summed over the batch.

    Examples
    --------
    >>> import numpy as np
    >>> correlate_weight_grad(np.arange(5.0).reshape(1, 1, 5), np.ones((1, 1, 3)), (3,),
    ...                       (1,), (1,), 1)
    array([[[3., 6., 9.]]])
    """
    out = g.shape[2:]
    c_out = g.shape[1]
    if all(k == 1 for k in kernel):  # pointwise: sum_n g_n @ x_n^T
        x = _pointwise_input(xp, stride)[(Ellipsis, *(slice(0, o) for o in out))]
        x = x.reshape(x.shape[0], groups, x.shape[1] // groups, -1)  # (N, G, C_g, P)
        grad = g.reshape(g.shape[0], groups, c_out // groups, -1)  # (N, G, C_out/G, P)
        dw = np.matmul(grad, x.swapaxes(-1, -2)).sum(axis=0)  # (G, C_out/G, C_g)
        return dw.reshape(c_out, -1, *kernel)
    if set(stride) == {1}:
        return _shifted_weight_grad(xp, g, kernel, dilation, groups)
    view = windows(xp, kernel, stride, dilation, out)
    dw = np.zeros((groups, c_out // groups, view.shape[1] // groups * math.prod(kernel)))
    dw = dw.astype(np.result_type(xp, g), copy=False)
    for batch, rows in chunks(xp.shape[0], out[0], _row_bytes(view)):
        cols = im2col(view[batch, :, rows], groups)  # (n, G, C_g*K, P)
        grad = g[batch, :, rows].reshape(cols.shape[0], groups, c_out // groups, -1)
        dw += np.matmul(grad, cols.swapaxes(-1, -2)).sum(axis=0)  # (G, C_out/G, C_g*K)
    return dw.reshape(c_out, -1, *kernel)


def _shifted_weight_grad(xp, g, kernel, dilation, groups):
    """Stride-1 weight gradient without im2col: one GEMM per tap on shifted flat views.

    With the output gradient embedded in a zero array of the padded input's shape, output
    position ``p`` and tap ``t`` read input cell ``p + t*d``; flattened, that is a constant
    offset per tap, so ``dw[:, :, t] = sum_n G_n[:, :L-off_t] @ X_n[:, off_t:]^T`` reads
    the input where it lies.
    """
    n_batch, c_in, *padded = xp.shape
    c_out = g.shape[1]
    length = math.prod(padded)
    dtype = np.result_type(xp, g)
    place = np.cumprod([1, *padded[::-1]])[-2::-1]  # flat stride of each spatial dim
    offsets = [
        int(sum(t * d * p for t, d, p in zip(tap, dilation, place, strict=True)))
        for tap in np.ndindex(*kernel)
    ]
    dw = np.zeros((groups, c_out // groups, c_in // groups, len(offsets)), dtype)
    embedded = np.zeros((c_out, *padded), dtype)  # one image at a time: bounded memory
    inside = (Ellipsis, *(slice(0, o) for o in g.shape[2:]))
    for n in range(n_batch):
        embedded[inside] = g[n]
        grad = embedded.reshape(groups, c_out // groups, length)  # (G, C_out/G, L)
        x = xp[n].reshape(groups, c_in // groups, length)  # (G, C_g, L)
        for index, off in enumerate(offsets):
            # (G, C_out/G, L-off) @ (G, L-off, C_g) -> (G, C_out/G, C_g)
            dw[..., index] += np.matmul(grad[:, :, : length - off], x[:, :, off:].swapaxes(1, 2))
    return dw.reshape(c_out, c_in // groups, *kernel)


def correlate_transpose(g, w, stride, dilation, groups, full_spatial):
    """Adjoint of :func:`correlate` by GEMM + col2im: no zeros inserted, no wasted products.

    ``cols = W^T @ g`` gives, for every output position ``p`` and tap ``t``, the
    contribution to input cell ``p*s + t*d``; scatter-adding each tap's slice back (col2im,
    one strided ``+=`` per tap) assembles the input gradient. Chunked like the forward.

    Examples
    --------
    >>> import numpy as np
    >>> correlate_transpose(np.ones((1, 1, 2)), np.ones((1, 1, 3)), (2,), (1,), 1, (5,))
    array([[[1., 1., 2., 1., 1.]]])
    """
    kernel = w.shape[2:]
    out = g.shape[2:]
    n_batch, c_out = g.shape[:2]
    c_group = w.shape[1]
    taps = math.prod(kernel)
    dtype = np.result_type(g, w)
    weight_t = w.reshape(groups, c_out // groups, c_group * taps).swapaxes(
        1, 2
    )  # (G, C_g*K, C_out/G)
    x = np.zeros((n_batch, c_group * groups, *full_spatial), dtype=dtype)
    row_bytes = c_group * groups * taps * math.prod(out[1:]) * np.dtype(dtype).itemsize
    for batch, rows in chunks(n_batch, out[0], row_bytes):
        grad = g[batch, :, rows]
        n, positions = grad.shape[0], grad.shape[2:]
        grad = grad.reshape(n, groups, c_out // groups, -1)  # (n, G, C_out/G, P)
        cols = np.matmul(weight_t, grad)  # (n, G, C_g*K, P)
        cols = cols.reshape(n, c_group * groups, *kernel, *positions)  # (n, C, *k, *p)
        for tap in np.ndindex(*kernel):
            first = [t * d for t, d in zip(tap, dilation)]
            first[0] += rows.start * stride[0]  # this chunk's first output row
            target = tuple(
                slice(f, f + (p - 1) * s + 1, s) for f, p, s in zip(first, positions, stride)
            )
            x[(batch, slice(None), *target)] += cols[(slice(None), slice(None), *tap)]
    return x
