"""GEMM's adjoint: ``cols = W^T @ g``, then col2im adds every column back to its cell.

The input gradient of a strided convolution and the transposed convolution by GEMM
(:func:`.gemm.unpadded_transpose` at strides above 1): entry ``(c, t, p)`` of the product is
the contribution of output position ``p`` through tap ``t`` to input cell ``p*s + t*d``; no
zeros are inserted and no product is wasted. The columns are made in blocks of images (or
of output rows) that fit :data:`WORKSPACE_BYTES`. In 2-D the numba kernel of
:mod:`.col2im_kernel` adds them back by stride phase, straight into the cropped result;
when the images split evenly over the engine's threads, each thread runs whole images,
product (single-threaded BLAS) and col2im, while the columns are still in its cache. Other
dimensions add one strided slice per tap with NumPy.
"""

from __future__ import annotations

import math

import numpy as np

from . import blas
from .parallel import parallel_for
from .scratch import scratch

__all__ = ["WORKSPACE_BYTES", "chunks", "correlate_transpose", "cropped"]

#: Largest block of columns (bytes) a call makes at once.
WORKSPACE_BYTES = 8 * 2**20


def chunks(n_batch: int, first_out: int, bytes_per_row: int, budget: int | None = None):
    """Split ``(batch, first output dim)`` into blocks whose columns fit in ``budget``.

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


def _kernel():
    """The numba col2im for 2-D problems, or ``None`` without numba (NumPy loop instead)."""
    try:
        from .col2im_kernel import col2im_2d
    except ImportError:  # pragma: no cover - numba is installed in CI
        return None
    return col2im_2d


def correlate_transpose(g, w, stride, dilation, groups, full_spatial):
    """Adjoint of :func:`correlate` by GEMM + col2im: no zeros inserted, no wasted products.

    ``cols = W^T @ g`` gives, for every output position ``p`` and tap ``t``, the
    contribution to input cell ``p*s + t*d``; adding each back to its cell (col2im)
    assembles the input gradient. Chunked like the forward.

    Examples
    --------
    >>> import numpy as np
    >>> correlate_transpose(np.ones((1, 1, 2)), np.ones((1, 1, 3)), (2,), (1,), 1, (5,))
    array([[[1., 1., 2., 1., 1.]]])
    """
    return cropped(g, w, stride, dilation, groups, ((0, 0),) * len(full_spatial), full_spatial)


def cropped(g, w, stride, dilation, groups, padding, spatial):
    """The adjoint of the correlation of ``x`` zero-padded by ``padding`` (``((lo, hi), ...)``)
    in ``x``: ``(N, C_in, *spatial)``, the full grid cropped by the padding.

    In 2-D the numba kernel (:mod:`.col2im_kernel`) writes the cropped cells directly, in
    parallel over planes (whole images per thread when they split evenly); otherwise one
    strided ``+=`` per tap onto the full grid, then a crop (a view).

    Examples
    --------
    >>> import numpy as np
    >>> cropped(np.ones((1, 1, 2)), np.ones((1, 1, 3)), (2,), (1,), 1, ((1, 1),), (3,))
    array([[[1., 2., 1.]]])
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
    channels = c_group * groups
    row_bytes = channels * taps * math.prod(out[1:]) * np.dtype(dtype).itemsize
    blocks = list(chunks(n_batch, out[0], row_bytes))
    scatter = _kernel() if len(kernel) == 2 else None
    if scatter is not None:
        whole = all(rows.stop - rows.start == out[0] for _, rows in blocks)
        x = (np.empty if whole else np.zeros)((n_batch, channels, *spatial), dtype=dtype)
        lows = [lo for lo, _ in padding]
        if whole and blas.whole_images_per_thread(n_batch):
            grad = g.reshape(n_batch, groups, c_out // groups, -1)
            _per_image(grad, weight_t, x, kernel, out, stride, dilation, lows, scatter)
            return x
    else:
        full = tuple(n + lo + hi for n, (lo, hi) in zip(spatial, padding, strict=True))
        x = np.zeros((n_batch, channels, *full), dtype=dtype)
    for batch, rows in blocks:
        grad = g[batch, :, rows]
        n, positions = grad.shape[0], grad.shape[2:]
        grad = grad.reshape(n, groups, c_out // groups, -1)  # (n, G, C_out/G, P)
        cols = scratch("col2im", (n, groups, c_group * taps, grad.shape[-1]), dtype)
        np.matmul(weight_t, grad, out=cols)  # (n, G, C_g*K, P)
        cols = cols.reshape(n, channels, *kernel, *positions)  # (n, C, *k, *p)
        if scatter is not None:  # one parallel pass over the planes
            parallel_for(scatter, n * channels, cols, x, batch.start, rows.start, *stride,
                         *dilation, *lows, whole)  # fmt: skip
            continue
        for tap in np.ndindex(*kernel):
            first = [t * d for t, d in zip(tap, dilation)]
            first[0] += rows.start * stride[0]  # this chunk's first output row
            target = tuple(
                slice(f, f + (p - 1) * s + 1, s) for f, p, s in zip(first, positions, stride)
            )
            x[(batch, slice(None), *target)] += cols[(slice(None), slice(None), *tap)]
    if scatter is not None:
        return x
    return x[(Ellipsis, *(slice(lo, lo + n) for n, (lo, _) in zip(spatial, padding)))]


def _per_image(grad, weight_t, x, kernel, positions, stride, dilation, lows, scatter):
    """Product and col2im image by image, on the engine's threads with single-threaded BLAS:
    each image's columns (``C*K x P``) are added back while they are still in the core's
    cache, and no product waits for the other thread.
    """
    channels = x.shape[1]

    def images(first, last):
        cols = scratch("col2im", (*weight_t.shape[:2], grad.shape[-1]), x.dtype)
        planes = cols.reshape(1, channels, *kernel, *positions)
        for n in range(first, last):
            for group in range(weight_t.shape[0]):  # (C_g*K, C_out/G) @ (C_out/G, P)
                blas.gemm(weight_t[group], grad[n, group], cols[group])
            scatter(0, channels, planes, x, n, 0, *stride, *dilation, *lows, True)

    with blas.single_threaded():
        parallel_for(images, grad.shape[0])
