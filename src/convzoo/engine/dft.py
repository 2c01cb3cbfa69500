"""DFT along the one axis a kernel spans, as matrix products: 1xk, kx1 and short 1-D kernels.

A kernel of shape ``1 x 7`` (Inception's spatially separable pair, the seed's "spatially
separable convolution") slides along one axis only. Along that axis a correlation is a
product of spectra (the convolution theorem); the other axes are just more columns. With
``L`` cells per row (the row and its padding, see :func:`transform_length`) and
``B = L // 2 + 1`` frequency bins:

1. every input row becomes its spectrum by one real matrix product with a ``(3B, n)``
   cosine/sine matrix (the padding's zeros are never touched): per bin ``c``, ``d - c``
   and ``c + d`` for the spectrum ``X = c + id``;
2. per bin, output and input channels mix in the complex product ``conj(W_b) X_b``, done
   with Gauss's three real products instead of four (:mod:`.dft_blocks`): ``(C_out,
   C_in)`` by ``(C_in, N * rest)`` each, the bins shared among the engine's threads;
3. one real product with a ``(n_out, 3B)`` matrix takes the real and imaginary parts and
   returns every output row.

Bin 0 (and bin ``L/2`` when ``L`` is even) is real for real rows and weights: there one
product replaces Gauss's three (:func:`.dft_blocks.gauss_rows`). Per output and channel
pair that is about ``3 B / n_out`` real multiply-adds instead of the direct method's ``k``:
for a 1x7 kernel on 17-wide rows, 11 bins and 29 products, ``1.7`` instead of ``7`` (4.1x
fewer). The transforms are matrix products (no FFT), which
costs ``O(L^2)`` per row: the algorithm takes rows of up to :data:`MAX_LENGTH` cells.

The weight gradient is the same in reverse: per bin, ``conj(G_b) X_b^T`` summed over rows is
three real ``(C_out, rows) @ (rows, C_in)`` products (Gauss's), and a ``(k, 2B)`` matrix
returns the taps. Input gradients go through the engine's adjoint (a stride-1 correlation with the
flipped kernel), i.e. through this module again.

References
----------
Mathieu, Henaff and LeCun, "Fast Training of Convolutional Networks through FFTs",
arXiv:1312.5851 (2013): products of spectra per frequency bin, summed over channels.
"""

from __future__ import annotations

import math

import numpy as np

from . import blas, dft_blocks
from .adjoint import transpose_weight
from .gemm import gemm_efficiency
from .parallel import num_threads, parallel_for
from .scratch import scratch

__all__ = [
    "CALL_COST",
    "MAX_LENGTH",
    "WORKSPACE_BYTES",
    "correlate",
    "correlate_transpose",
    "correlate_weight_grad",
    "cost",
    "kernel_axis",
    "supports",
    "transform_length",
    "unpadded",
    "unpadded_transpose",
    "unpadded_weight_grad",
    "weight_grad_cost",
]

#: Longest padded row the transforms take (they cost ``O(L^2)`` per row).
MAX_LENGTH = 64
#: Overhead of one small BLAS call, in multiply-adds at peak (a few microseconds).
CALL_COST = 3e5
#: Largest temporaries (spectra, products, row copies) per batch chunk, in bytes.
WORKSPACE_BYTES = 32 * 2**20


def kernel_axis(kernel) -> int | None:
    """The one spatial axis where the kernel is longer than 1, or ``None``.

    Examples
    --------
    >>> kernel_axis((1, 7)), kernel_axis((7, 1)), kernel_axis((9,)), kernel_axis((3, 3))
    (1, 0, 0, None)
    """
    longer = [i for i, k in enumerate(kernel) if k > 1]
    return longer[0] if len(longer) == 1 else None


def transform_length(size: int, padding, reach: int) -> int:
    """Cells ``L`` of the cyclic correlation that gives every output of a padded row.

    A row of ``size`` cells padded by ``(lo, hi)`` zeros holds its data at ``lo .. lo +
    size - 1``. Read cyclically with period ``L``, an output reads data from a wrapped
    position only if ``L < size + max(lo, hi)``: any longer period wraps into zeros. It must
    also hold the kernel's ``reach + 1`` taps and every output.

    Examples
    --------
    >>> transform_length(17, (3, 3), 6)  # 17 + 3, not the padded 23
    20
    """
    lo, hi = padding
    outputs = size + lo + hi - reach
    return max(size + max(lo, hi, 0), reach + 1, outputs)


def supports(problem) -> bool:
    """Stride 1, a kernel longer than 1 along exactly one axis, a padded row of at most
    :data:`MAX_LENGTH` cells.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> p = Problem((8, 160, 17, 23), (160, 160, 1, 7), (1, 1), (1, 1), 1, np.dtype("f4"))
    >>> supports(p), supports(Problem((8, 160, 17, 23), (160, 160, 3, 3), (1, 1), (1, 1), 1,
    ...                                np.dtype("f4")))
    (True, False)
    """
    axis = kernel_axis(problem.weight_shape[2:])
    if axis is None or set(problem.stride) != {1}:
        return False
    return problem.input_shape[2 + axis] <= MAX_LENGTH


def _sizes(problem):
    """``(B, n, n_out, rows)``: bins, padded row and output row lengths, and the number of
    rows of one channel (batch times the other axes)."""
    axis = kernel_axis(problem.weight_shape[2:])
    size = problem.input_shape[2 + axis]
    bins = size // 2 + 1
    out = problem.output_spatial
    rows = problem.input_shape[0] * math.prod(out) // out[axis]
    return bins, size, out[axis], rows


def cost(problem) -> float:
    """Per-bin products at their GEMM efficiency, plus the transforms and the copies.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> from convzoo.engine import gemm
    >>> p = Problem((8, 160, 17, 23), (160, 160, 1, 7), (1, 1), (1, 1), 1, np.dtype("f4"))
    >>> bool(cost(p) < gemm.cost(p))
    True
    """
    bins, size, n_out, rows = _sizes(problem)
    c_out, c_group = problem.weight_shape[:2]
    groups = problem.groups
    per_group = c_out // groups
    needed = len(dft_blocks.gauss_rows(bins, size))  # the products per bin, over all bins
    products = groups * needed * per_group * c_group * rows
    products /= gemm_efficiency(per_group, c_group, rows)
    transforms = needed * rows * (size * c_group + n_out * per_group) * groups
    transforms /= gemm_efficiency(needed, size, rows * c_group)
    # the weight spectra (k multiply-adds per cell) and the three operands built from them
    weights = 2 * bins * c_out * c_group * (max(problem.weight_shape[2:]) + 3)
    copies = rows * (size * c_group * groups + 2 * n_out * c_out + needed * c_out)
    calls = CALL_COST * groups * needed  # one BLAS call per product: matters for short rows
    return products + transforms + weights + 8 * copies + calls


def weight_grad_cost(problem) -> float:
    """The forward's: the same transforms and per-bin products in another order.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> p = Problem((8, 160, 17, 23), (160, 160, 1, 7), (1, 1), (1, 1), 1, np.dtype("f4"))
    >>> weight_grad_cost(p) == cost(p)
    True
    """
    return cost(problem)


def _rows(x, axis, name):
    """``(n, C * rows)``: ``x`` with the kernel axis first, then channels, then the batch
    and the other axes (one copy, into scratch ``name``), and that copy's 4-D+ shape."""
    order = (2 + axis, 1, 0, *(2 + i for i in range(x.ndim - 2) if i != axis))
    source = x.transpose(order)
    moved = scratch(name, source.shape, x.dtype)
    dft_blocks.permuted_copy(moved, source)
    return moved.reshape(moved.shape[0], -1), moved.shape


def _product(name, a, b):
    """``a @ b`` (batched) into scratch ``name``."""
    out = scratch(name, (*np.broadcast_shapes(a.shape[:-2], b.shape[:-2]), a.shape[-2],
                         b.shape[-1]), np.result_type(a, b))  # fmt: skip
    return np.matmul(a, b, out=out)


def _bin_products(name, a, b):
    """``a @ b`` for stacks of ``(P, M, K)`` and ``(P, K, N)`` matrices into scratch
    ``name``: the ``P`` products shared among the engine's threads, each on one BLAS thread
    (the bins' products are too small for threaded BLAS to use both cores well: 1.3 ms
    instead of 1.8 ms on the Inception layer's 33).

    Examples
    --------
    >>> import numpy as np
    >>> _bin_products("doc", np.ones((3, 2, 4)), np.ones((3, 4, 1)))[:, :, 0].tolist()
    [[4.0, 4.0], [4.0, 4.0], [4.0, 4.0]]
    """
    out = scratch(name, (a.shape[0], a.shape[1], b.shape[2]), np.result_type(a, b))
    if not blas.threads_available() or num_threads() == 1:
        return np.matmul(a, b, out=out)

    def products(start, stop):
        np.matmul(a[start:stop], b[start:stop], out=out[start:stop])

    with blas.single_threaded():
        parallel_for(products, a.shape[0])
    return out


def _batches(x, axis, bins, n_out, c_group, per_group):
    """Slices of the batch whose temporaries fit :data:`WORKSPACE_BYTES` (one image at
    least). Per row of one sample they hold the row copy and its spectra for ``c_group``
    input channels, and the products and output rows for ``per_group`` output channels.

    Examples
    --------
    >>> x = np.broadcast_to(np.float64(0), (5, 1, 4, 2**20))  # 2**20 rows of 4 cells
    >>> [(b.start, b.stop) for b in _batches(x, 0, 3, 2, 1, 1)]  # 144 MiB per image
    [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    """
    size = x.shape[2 + axis]
    cells = (size + 2 * bins) * c_group + (2 * bins + n_out) * per_group
    per_sample = cells * (math.prod(x.shape[2:]) // size) * x.itemsize
    step = max(1, WORKSPACE_BYTES // max(per_sample, 1))
    return [slice(i, min(i + step, x.shape[0])) for i in range(0, x.shape[0], step)]


def _prepared(x, padding, axis, reach, dtype):
    """``x`` as ``dtype`` with any negative padding cropped and the unit axes' padding (rare)
    applied, then ``(x, extra, length, bins, spectrum)``: the kernel axis's total padding,
    the transform length and bins, and the ``(3B, n)`` matrix of its rows' spectra (Gauss's
    right operands, :func:`.dft_blocks.gauss_spectra`)."""
    x = x.astype(dtype, copy=False)
    crop = tuple(slice(max(0, -lo), n - max(0, -hi)) for n, (lo, hi) in zip(x.shape[2:], padding))
    x = x[(Ellipsis, *crop)]
    padding = [(max(0, lo), max(0, hi)) for lo, hi in padding]
    others = [(0, 0) if i == axis else pair for i, pair in enumerate(padding)]
    if any(lo or hi for lo, hi in others):
        x = np.pad(x, ((0, 0), (0, 0), *others))
    (lo, hi), size = padding[axis], x.shape[2 + axis]
    length = transform_length(size, (lo, hi), reach)
    bins = length // 2 + 1
    return (
        x,
        lo + hi,
        length,
        bins,
        dft_blocks.gauss_spectra(bins, np.arange(size) + lo, length, dtype),
    )


def unpadded(x, w, stride, dilation, groups, padding):
    """Correlation of ``x`` zero-padded by ``padding`` (never materialised along the kernel
    axis), by the three products of the module docstring.

    Examples
    --------
    >>> import numpy as np
    >>> unpadded(np.ones((1, 1, 1, 4)), np.ones((1, 1, 1, 3)), (1, 1), (1, 1), 1,
    ...          ((0, 0), (1, 1))).round(6).tolist()
    [[[[2.0, 3.0, 3.0, 2.0]]]]
    """
    axis = kernel_axis(w.shape[2:])
    dtype = np.result_type(x, w)
    taps, reach = w.shape[2 + axis], dilation[axis]
    x, extra, length, bins, forward = _prepared(x, padding, axis, reach * (taps - 1), dtype)
    size = x.shape[2 + axis]
    n_out = size + extra - reach * (taps - 1)
    needed = dft_blocks.gauss_rows(bins, length)  # R of the 3B products: real bins need one
    forward = forward[needed]  # (R, n)
    inverse = dft_blocks.gauss_inverse(bins, np.arange(n_out), length, dtype)[:, needed]
    # conj(DFT(w)) at the dilated taps: A + iS with A = sum w cos, S = sum w sin
    angle = 2 * np.pi * np.outer(np.arange(bins), np.arange(taps) * reach) / length
    cos_t, sin_t = np.cos(angle).astype(dtype), np.sin(angle).astype(dtype)
    c_out, c_group = w.shape[:2]
    per_group = c_out // groups
    w3 = np.ascontiguousarray(w, dtype=dtype).reshape(c_out, c_group, taps)
    out_shape = list(x.shape)
    out_shape[1], out_shape[2 + axis] = c_out, n_out
    y = np.empty(out_shape, dtype)
    for g in range(groups):
        chans = slice(g * c_group, (g + 1) * c_group)
        outs = slice(g * per_group, (g + 1) * per_group)
        block = dft_blocks.weight_block(w3[outs], cos_t, sin_t, "dft_block", needed)
        for batch in _batches(x, axis, bins, n_out, c_group, per_group):
            rows, moved = _rows(x[batch, chans], axis, "dft_rows")  # (n, C_g * N * rest)
            spectra = _product("dft_spectra", forward, rows).reshape(len(needed), c_group, -1)
            products = _bin_products("dft_products", block, spectra)  # (R, C_out/G, ...)
            spatial = _product("dft_spatial", inverse, products.reshape(len(needed), -1))
            spatial = spatial.reshape(n_out, per_group, *moved[2:])  # (n_out, C, N, *rest)
            dft_blocks.permuted_copy(
                y[batch, outs], np.moveaxis(spatial.swapaxes(1, 2), 0, 2 + axis)
            )
    return y


def correlate(xp, w, stride, dilation, groups):
    """Correlation of an already padded input (see :func:`unpadded`).

    Examples
    --------
    >>> import numpy as np
    >>> correlate(np.arange(6.0).reshape(1, 1, 6), np.array([[[1.0, 0.0, -1.0]]]), (1,),
    ...           (1,), 1).round(6).tolist()
    [[[-2.0, -2.0, -2.0, -2.0]]]
    """
    return unpadded(xp, w, stride, dilation, groups, ((0, 0),) * (xp.ndim - 2))


def unpadded_transpose(g, w, stride, dilation, groups, padding, spatial):
    """Adjoint in the (unpadded) input: the correlation of ``g`` with the flipped,
    transposed kernel, padded by ``reach - lo`` before and ``reach - hi`` after (negative:
    cropped), as for GEMM at stride 1.

    Examples
    --------
    >>> import numpy as np
    >>> unpadded_transpose(np.ones((1, 1, 3)), np.ones((1, 1, 3)), (1,), (1,), 1, ((1, 1),),
    ...                    (3,)).round(6).tolist()
    [[[2.0, 3.0, 2.0]]]
    """
    reach = [d * (k - 1) for k, d in zip(w.shape[2:], dilation, strict=True)]
    flipped = tuple((r - lo, r - hi) for r, (lo, hi) in zip(reach, padding, strict=True))
    return unpadded(g, transpose_weight(w, groups), stride, dilation, groups, flipped)


def correlate_transpose(g, w, stride, dilation, groups, full_spatial):
    """Adjoint of :func:`correlate` in its (padded) input, ``(N, C_in, *full_spatial)``.

    Examples
    --------
    >>> import numpy as np
    >>> correlate_transpose(np.ones((1, 1, 3)), np.ones((1, 1, 3)), (1,), (1,), 1,
    ...                     (5,)).round(6).tolist()
    [[[1.0, 2.0, 3.0, 2.0, 1.0]]]
    """
    padding = ((0, 0),) * (g.ndim - 2)
    return unpadded_transpose(g, w, stride, dilation, groups, padding, full_spatial)


def unpadded_weight_grad(x, g, kernel, stride, dilation, groups, padding):
    """Weight gradient: per bin ``conj(G_b) X_b^T`` summed over rows, then the taps.

    Examples
    --------
    >>> import numpy as np
    >>> unpadded_weight_grad(np.ones((1, 1, 3)), np.ones((1, 1, 3)), (3,), (1,), (1,), 1,
    ...                      ((1, 1),)).round(6).tolist()
    [[[2.0, 3.0, 2.0]]]
    """
    axis = kernel_axis(kernel)
    dtype = np.result_type(x, g)
    taps, reach = kernel[axis], dilation[axis]
    x, _, length, bins, forward = _prepared(x, padding, axis, reach * (taps - 1), dtype)
    n_out = g.shape[2 + axis]
    needed = dft_blocks.gauss_rows(bins, length)  # R of the 3B products
    real = 3 * np.array(dft_blocks.real_bins(length))  # their k1 rows
    forward = forward[needed]
    of_grad = dft_blocks.gauss_spectra(bins, np.arange(n_out), length, dtype, left=True)[needed]
    lags = dft_blocks.inverse_matrix(bins, np.arange(taps) * reach, length, dtype)  # (k, 2B)
    c_out, c_in = g.shape[1], x.shape[1]
    per_group, c_group = c_out // groups, c_in // groups
    dw = np.empty((c_out, c_group, taps), dtype)
    for j in range(groups):
        chans, outs = (
            slice(j * c_group, (j + 1) * c_group),
            slice(j * per_group, (j + 1) * per_group),
        )
        k = np.zeros((3 * bins, per_group, c_group), dtype)  # summed over the batches
        for batch in _batches(x, axis, bins, n_out, c_group, per_group):
            rows, _ = _rows(x[batch, chans], axis, "dft_rows")
            grad, _ = _rows(g[batch, outs].astype(dtype, copy=False), axis, "dft_grad_rows")
            spectra = _product("dft_spectra", forward, rows).reshape(len(needed), c_group, -1)
            grads = _product("dft_products", of_grad, grad).reshape(len(needed), per_group, -1)
            k[needed] += np.matmul(grads, spectra.transpose(0, 2, 1))  # Gauss's k1-k3
        k[real + 1] = -k[real]  # a real bin's k2 (its k3 stays 0)
        k = k.reshape(bins, 3, per_group, c_group)
        pair = np.stack([k[:, 0] - k[:, 2], k[:, 0] + k[:, 1]], axis=1)  # Re, Im of conj(G) X
        taps_first = (lags @ pair.reshape(2 * bins, -1)).reshape(taps, per_group, c_group)
        dw[j * per_group : (j + 1) * per_group] = taps_first.transpose(1, 2, 0)
    return dw.reshape(c_out, c_group, *kernel)


def correlate_weight_grad(xp, g, kernel, stride, dilation, groups):
    """Weight gradient of :func:`correlate` (see :func:`unpadded_weight_grad`).

    Examples
    --------
    >>> import numpy as np
    >>> correlate_weight_grad(np.arange(5.0).reshape(1, 1, 5), np.ones((1, 1, 3)), (3,),
    ...                       (1,), (1,), 1).round(6).tolist()
    [[[3.0, 6.0, 9.0]]]
    """
    return unpadded_weight_grad(xp, g, kernel, stride, dilation, groups, ((0, 0),) * len(kernel))
