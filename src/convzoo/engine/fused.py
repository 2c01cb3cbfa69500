"""Fused kernels: depthwise + pointwise, and channel shuffle + pointwise grouped convolution.

*Depthwise separable* convolution (Chollet, "Xception", arXiv:1610.02357; Howard et al.,
"MobileNets", arXiv:1704.04861) is a depthwise convolution followed by a 1x1 convolution.
Run one after the other, the depthwise result (as large as the input) is written to memory
and read back. Here it is computed one band of output rows at a time, for all channels, into
a buffer that stays in cache, and immediately multiplied by the pointwise matrix: the full
intermediate never exists.

*Channel shuffle* (Zhang et al., "ShuffleNet", arXiv:1707.01083) permutes channels so that a
following grouped convolution mixes information across groups. Shuffled channel ``k`` is
input channel ``(k % s) * (C/s) + k // s`` (``s`` shuffle groups); the channels a conv group
reads that share ``k % s`` are therefore *consecutive* input channels. The fused version
multiplies those contiguous input blocks in place by the matching weight columns, so the
shuffled tensor is never materialised; its backward pass gathers a group's shuffled
channels for a few images at a time (a block that stays in cache) and scatters their input
gradient straight back to the unshuffled channels.
"""

from __future__ import annotations

import math

import numpy as np

from . import blas
from .direct import forward_rows
from .parallel import num_threads, parallel_for, split

__all__ = [
    "band_rows",
    "depthwise_pointwise",
    "shuffle_blocks",
    "shuffle_pointwise_grouped",
    "shuffle_pointwise_grouped_backward",
]

#: Target size of the depthwise band buffer (bytes): about the last-level cache share of a
#: core. Smaller bands mean more, thinner matrix products (measured slower on 2 cores).
BAND_BYTES = 4 * 2**20


def band_rows(channels: int, out_width: int, itemsize: int, budget: int = BAND_BYTES) -> int:
    """Output rows per band so that the ``(channels, rows, out_width)`` buffer fits ``budget``.

    Examples
    --------
    >>> band_rows(128, 56, 4, budget=512 * 2**10)
    18
    """
    return max(1, budget // max(1, channels * out_width * itemsize))


def depthwise_pointwise(x, dw, pw, stride, dilation, padding=((0, 0), (0, 0))):
    """Depthwise then pointwise correlation of a 2-D input zero-padded by ``padding``
    (implicitly: no padded copy), band by band.

    When the images split evenly over the threads (:func:`.blas.whole_images_per_thread`),
    each thread takes whole images and runs both steps itself on single-threaded BLAS:
    alternating between the kernel's threads and OpenBLAS's spinning ones once per band was
    measured several times slower on a shared 2-core machine.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    dw : ndarray, shape (m*C, 1, kh, kw)
    pw : ndarray, shape (C_out, m*C, 1, 1)
    stride, dilation : tuple of 2 int
    padding : ((lo, hi), (lo, hi))

    Returns
    -------
    ndarray, shape (N, C_out, H_out, W_out)

    Examples
    --------
    >>> import numpy as np
    >>> y = depthwise_pointwise(np.ones((1, 2, 4, 4)), np.ones((2, 1, 3, 3)),
    ...                         np.ones((3, 2, 1, 1)), (1, 1), (1, 1))
    >>> y.shape, float(y[0, 0, 0, 0])
    ((1, 3, 2, 2), 18.0)
    """
    dtype = x.dtype
    x = np.ascontiguousarray(x)
    dw = np.ascontiguousarray(dw, dtype=dtype)
    n_batch, c_in, height, width = x.shape
    c_mid, _, kh, kw = dw.shape
    (sh, sw), (dh, dwd), ((top, bottom), (left, right)) = stride, dilation, padding
    oh = (height + top + bottom - dh * (kh - 1) - 1) // sh + 1
    ow = (width + left + right - dwd * (kw - 1) - 1) // sw + 1
    c_out = pw.shape[0]
    matrix = np.ascontiguousarray(pw.reshape(c_out, c_mid), dtype=dtype)  # (C_out, C_mid)
    y = np.empty((n_batch, c_out, oh, ow), dtype=dtype)
    flat = y.reshape(n_batch, c_out, oh * ow)  # (N, C_out, P): a view of y
    rows = min(oh, band_rows(c_mid, ow, x.itemsize, BAND_BYTES))
    mult = c_mid // c_in
    per_image = blas.whole_images_per_thread(n_batch)

    def images(start, stop):
        buffer = np.empty((1, c_mid, rows, ow), dtype=dtype)
        for b in range(start, stop):
            for r0 in range(0, oh, rows):
                n_rows = min(rows, oh - r0)
                band = buffer if n_rows == rows else np.empty((1, c_mid, n_rows, ow), dtype)
                forward_rows(x[b : b + 1], dw, (sh, sw), (dh, dwd), (top, left), r0, band, mult,
                             parallel=not per_image)  # fmt: skip
                # (C_out, C_mid) @ (C_mid, rows*ow) -> written straight into y's rows
                target = flat[b, :, r0 * ow : (r0 + n_rows) * ow]
                np.matmul(matrix, band.reshape(c_mid, -1), out=target)

    if per_image:  # each thread: whole images, its own depthwise band and matrix product
        with blas.single_threaded():
            parallel_for(images, n_batch)
    else:  # one image at a time: channels on all threads, then a threaded product
        images(0, n_batch)
    return y


def shuffle_blocks(channels: int, shuffle_groups: int, groups: int):
    """For each conv group, the contiguous input blocks it reads after a channel shuffle.

    Returns a list (one entry per conv group) of ``(first_input_channel, n_channels,
    weight_columns)`` triples: the group's shuffled channels ``k`` with ``k % s == a`` are
    input channels ``a*(C/s) + k//s``, consecutive in ``k//s``.

    Examples
    --------
    >>> [[(c, n, cols.tolist()) for c, n, cols in g] for g in shuffle_blocks(6, 2, 2)]
    [[(0, 2, [0, 2]), (3, 1, [1])], [(4, 2, [0, 2]), (2, 1, [1])]]
    """
    per_shuffle = channels // shuffle_groups
    per_group = channels // groups
    plan = []
    for g in range(groups):
        k = np.arange(g * per_group, (g + 1) * per_group)
        blocks = []
        for a in range(shuffle_groups):
            cols = np.flatnonzero(k % shuffle_groups == a)
            if cols.size:
                blocks.append(
                    (int(a * per_shuffle + k[cols[0]] // shuffle_groups), cols.size, cols)
                )
        blocks.sort(key=lambda block: block[2][0])
        plan.append(blocks)
    return plan


def shuffle_pointwise_grouped(x, w, groups, shuffle_groups):
    """``conv1x1(channel_shuffle(x, shuffle_groups), w, groups)`` without the shuffled copy.

    Parameters
    ----------
    x : ndarray, shape (N, C, *spatial)
    w : ndarray, shape (C_out, C/groups, 1, ..., 1)
    groups, shuffle_groups : int

    Returns
    -------
    ndarray, shape (N, C_out, *spatial)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(4.0).reshape(1, 4, 1)          # channels 0 1 2 3, shuffled: 0 2 1 3
    >>> shuffle_pointwise_grouped(x, np.ones((2, 2, 1)), 2, 2)[0, :, 0].tolist()
    [2.0, 4.0]
    """
    n_batch, channels, *spatial = x.shape
    c_out = w.shape[0]
    per_out = c_out // groups
    positions = math.prod(spatial)
    cols = x.reshape(n_batch, channels, positions)  # (N, C, P)
    weight = w.reshape(groups, per_out, -1).astype(x.dtype, copy=False)  # (G, C_out/G, C_g)
    y = np.empty((n_batch, c_out, positions), dtype=x.dtype)
    for g, blocks in enumerate(shuffle_blocks(channels, shuffle_groups, groups)):
        target = y[:, g * per_out : (g + 1) * per_out]  # (N, C_out/G, P)
        for index, (first, count, columns) in enumerate(blocks):
            part = np.ascontiguousarray(weight[g][:, columns])  # (C_out/G, count)
            block = cols[:, first : first + count]  # (N, count, P): contiguous channels
            if index == 0:
                np.matmul(part, block, out=target)
            else:
                target += np.matmul(part, block)
    return y.reshape(n_batch, c_out, *spatial)


def shuffle_pointwise_grouped_backward(gy, x, w, groups, shuffle_groups):
    """Input and weight gradients of :func:`shuffle_pointwise_grouped`, without a shuffled
    copy of ``x`` or of the input gradient.

    Each thread takes a range of whole images (:func:`.blas.whole_images_per_thread`; else
    the caller takes them all, on threaded BLAS) and, a few images and one conv group at a
    time, gathers the group's shuffled channels into a cache-sized block, multiplies it by
    the output gradient for its weight gradient (summed in a partial per thread), and
    scatters the block's input gradient straight back to the unshuffled channels. The whole
    shuffled tensor never exists; the products are the unfused ones.

    Parameters
    ----------
    gy : ndarray, shape (N, C_out, *spatial)
    x : ndarray, shape (N, C, *spatial)
    w : ndarray, shape (C_out, C/groups, 1, ..., 1)
    groups, shuffle_groups : int

    Returns
    -------
    grad_input : ndarray, shape (N, C, *spatial)
    grad_weight : ndarray, shape of ``w``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(4.0).reshape(1, 4, 1)          # shuffled: channels 0 2 1 3
    >>> gx, gw = shuffle_pointwise_grouped_backward(np.ones((1, 2, 1)), x, np.ones((2, 2, 1)),
    ...                                             2, 2)
    >>> gx[0, :, 0].tolist(), gw[:, :, 0].tolist()    # gw: the shuffled input, per group
    ([1.0, 1.0, 1.0, 1.0], [[0.0, 2.0], [1.0, 3.0]])
    """
    n_batch, channels, *spatial = x.shape
    c_out = w.shape[0]
    per_out, c_group = c_out // groups, channels // groups
    positions = math.prod(spatial)
    cols = x.reshape(n_batch, channels, positions)  # (N, C, P)
    grad = gy.astype(x.dtype, copy=False).reshape(n_batch, c_out, positions)  # (N, C_out, P)
    weight = w.reshape(groups, per_out, c_group).astype(x.dtype, copy=False)
    source = np.empty((groups, c_group), np.intp)  # each group's input channels, shuffled
    for g, blocks in enumerate(shuffle_blocks(channels, shuffle_groups, groups)):
        for first, count, columns in blocks:
            source[g, columns] = np.arange(first, first + count)
    gx = np.empty_like(cols)
    per_image = blas.whole_images_per_thread(n_batch)
    ranges = split(n_batch, num_threads() if per_image else 1)
    partials = np.zeros((len(ranges), groups, per_out, c_group), x.dtype)  # one per range
    step = max(1, BAND_BYTES // max(1, c_group * positions * x.itemsize))  # images per block

    def images(first_range, last_range):
        for part, (start, stop) in zip(partials[first_range:last_range],
                                       ranges[first_range:last_range]):  # fmt: skip
            for n in range(start, stop, step):
                batch = slice(n, min(n + step, stop))
                for g in range(groups):
                    outs = grad[batch, g * per_out : (g + 1) * per_out]  # (n, C_out/G, P)
                    block = np.take(cols[batch], source[g], axis=1)  # (n, C_g, P), shuffled
                    part[g] += np.matmul(outs, block.swapaxes(1, 2)).sum(axis=0)
                    gx[batch, source[g]] = np.matmul(weight[g].T, outs)  # back, unshuffled

    if per_image:
        with blas.single_threaded():
            parallel_for(images, len(ranges))
    else:
        images(0, len(ranges))
    return gx.reshape(x.shape), partials.sum(axis=0).reshape(w.shape)
