"""Kernel windows as a strided view: the im2col matrix without copying.

For a padded input ``xp`` of shape ``(N, C, *padded)``, ``windows`` returns a read-only
view of shape ``(N, C, *out, *k)`` with ``view[n, c, p, t] = xp[n, c, p*s + t*d]``. Every
vectorised algorithm starts from it; copying a chunk of it in ``(C, *k)``-major order gives
the im2col matrix of Chellapilla et al. (2006).

The GEMM engine copies windows without a padded input: :func:`fill_windows` reads the
zero-padded input implicitly, :func:`column_plan` decides which taps are copied (all, or
all but the first dimension's, which then become shifted column ranges of one workspace)
and :func:`column_blocks` fills a bounded workspace block by block.
"""

from __future__ import annotations

import math

import numpy as np

from ..shapes import conv_length

__all__ = ["column_blocks", "column_plan", "fill_windows", "windows"]


def windows(xp: np.ndarray, kernel, stride, dilation, out=None) -> np.ndarray:
    """Strided view of every kernel window of ``xp``.

    Parameters
    ----------
    xp : ndarray, shape (N, C, *padded)
    kernel, stride, dilation : tuple of int
    out : tuple of int, optional
        Number of output positions per dimension; defaults to all that fit. Fewer may be
        asked for (a weight gradient uses only the positions its output gradient has).

    Returns
    -------
    ndarray, shape (N, C, *out, *kernel)
        Read-only view sharing memory with ``xp``.

    Examples
    --------
    >>> import numpy as np
    >>> windows(np.arange(6.0).reshape(1, 1, 6), (3,), (2,), (1,))[0, 0]
    array([[0., 1., 2.],
           [2., 3., 4.]])
    """
    spatial = xp.shape[2:]
    if out is None:
        out = tuple(
            conv_length(n, k, s, d) for n, k, s, d in zip(spatial, kernel, stride, dilation)
        )
    batch_stride, channel_stride, *axis_strides = xp.strides
    strides = (
        batch_stride,
        channel_stride,
        *(a * s for a, s in zip(axis_strides, stride, strict=True)),
        *(a * d for a, d in zip(axis_strides, dilation, strict=True)),
    )
    shape = (*xp.shape[:2], *out, *kernel)
    return np.lib.stride_tricks.as_strided(xp, shape, strides, writeable=False)


def fill_windows(dest: np.ndarray, x: np.ndarray, starts, steps, padding) -> np.ndarray:
    """Copy ``dest[..., i] = xp[..., start + i*step]`` from the zero-padded ``xp`` of ``x``.

    The padded array is never built: the part of ``dest`` that falls inside ``x`` is one
    strided copy, the rest (at most two slabs per dimension) is set to zero.

    Parameters
    ----------
    dest : ndarray, shape (..., *lengths)
        Written in place.
    x : ndarray, shape (..., *spatial)
        Same leading shape as ``dest``.
    starts, steps : tuple of int
        Per spatial dimension: first padded index read and the step between reads.
    padding : tuple of (int, int)
        Zeros before and after ``x`` in each dimension (only the ``lo`` side matters).

    Examples
    --------
    >>> import numpy as np
    >>> dest = np.empty((1, 4))
    >>> fill_windows(dest, np.array([[1.0, 2.0, 3.0]]), (0,), (2,), ((2, 2),)).tolist()
    [[0.0, 1.0, 3.0, 0.0]]
    """
    ndim = len(starts)
    lead = (slice(None),) * (dest.ndim - ndim)
    inside, source = [], []
    for length, size, start, step, (lo, _) in zip(
        dest.shape[-ndim:], x.shape[-ndim:], starts, steps, padding, strict=True
    ):
        first = min(length, max(0, -((start - lo) // step)))  # ceil((lo - start) / step)
        stop = min(length, max(0, -((start - lo - size) // step)))
        if stop <= first:
            dest[...] = 0
            return dest
        inside.append((first, stop))
        begin = start + first * step - lo
        source.append(slice(begin, begin + (stop - first - 1) * step + 1, step))
    dest[(*lead, *(slice(a, b) for a, b in inside))] = x[(*lead, *source)]
    for axis, (first, stop) in enumerate(inside):
        before = (slice(None),) * axis
        if first > 0:
            dest[(*lead, *before, slice(0, first))] = 0
        if stop < dest.shape[dest.ndim - ndim + axis]:
            dest[(*lead, *before, slice(stop, None))] = 0
    return dest


def column_plan(kernel, stride, dilation, c_group: int, min_depth: int) -> dict:
    """How the columns are laid out: split the first dimension's taps or not.

    The taps are split when there are several along the first dimension and the
    per-product reduction ``c_group * prod(kernel[1:])`` is at least ``min_depth``.

    Returns ``split`` (bool), ``taps`` (the kernel positions copied into the workspace),
    ``phases`` (stride phases of the first dimension held), ``shifts`` (per product: the
    ``(row, phase index)`` where its columns start) and ``halo`` (extra input rows a block
    of output rows needs).

    Examples
    --------
    >>> column_plan((5, 3), (2, 1), (1, 1), 64, 64)["shifts"]  # (row, phase index)
    [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]
    >>> column_plan((7, 7), (2, 2), (1, 1), 3, 64)["split"]
    False
    """
    rest = kernel[1:]
    split = kernel[0] > 1 and c_group * math.prod(rest) >= min_depth
    if not split:
        return dict(split=False, taps=list(np.ndindex(*kernel)), phases=[0], shifts=[(0, 0)],
                    halo=0)  # fmt: skip
    steps = [divmod(t * dilation[0], stride[0]) for t in range(kernel[0])]  # (row, phase)
    phases = sorted({r for _, r in steps})
    shifts = [(q, phases.index(r)) for q, r in steps]
    return dict(split=True, taps=list(np.ndindex(*rest)), phases=phases, shifts=shifts,
                halo=max(q for q, _ in steps))  # fmt: skip


def column_blocks(x, stride, dilation, padding, out, layout, budget: int, wide: int):
    """Fill the workspace for each block of (samples, output rows); yield what GEMMs need.

    Yields ``(samples, rows, cols, starts)``: ``cols`` is the ``(C*taps, width)`` workspace
    with columns ordered ``(row, sample, *out[1:])``, ``starts[i]`` the first column of
    product ``i`` (it spans ``len(rows) * len(samples) * P_rest`` columns). Several samples
    share a block only when one sample's products would be narrow (under ``wide`` columns);
    the workspace stays under ``budget`` bytes (or one row's worth plus the halo). The
    workspace is reused: consume each block before asking for the next.

    Examples
    --------
    >>> import numpy as np
    >>> layout = column_plan((3,), (1,), (1,), 1, 1)  # 1-D: three shifted products
    >>> x = np.arange(4.0).reshape(1, 1, 4)
    >>> for samples, rows, cols, starts in column_blocks(x, (1,), (1,), ((1, 1),), (4,),
    ...                                                  layout, 1000, 1):
    ...     print(cols.tolist(), starts)
    [[0.0, 0.0, 1.0, 2.0, 3.0, 0.0]] [0, 1, 2]
    """
    n_batch, c_in = x.shape[:2]
    rest = math.prod(out[1:])
    taps, phases, halo = layout["taps"], layout["phases"], layout["halo"]
    row_bytes = c_in * len(taps) * len(phases) * rest * x.dtype.itemsize
    per_block = min(out[0], max(1, budget // max(row_bytes, 1) - halo))
    per_block = -(-out[0] // -(-out[0] // per_block))  # equal blocks
    depth = per_block + halo
    together = 1
    if per_block == out[0]:
        fits = max(1, budget // max(row_bytes * depth, 1))
        together = min(n_batch, fits, max(1, -(-wide // (out[0] * rest))))
    buffer = np.empty(c_in * len(taps) * len(phases) * depth * together * rest, x.dtype)
    s0, d0 = stride[0], dilation[0]
    for n0 in range(0, n_batch, together):
        samples = slice(n0, min(n0 + together, n_batch))
        count = samples.stop - samples.start
        size = c_in * len(taps) * len(phases) * depth * count * rest
        ws = buffer[:size].reshape(c_in, len(taps), len(phases), depth, count, *out[1:])
        for first in range(0, out[0], per_block):
            rows = slice(first, min(first + per_block, out[0]))
            height = rows.stop - rows.start + halo
            for index, tap in enumerate(taps):
                if layout["split"]:
                    lead, rest_tap = [(first * s0 + r, p) for p, r in enumerate(phases)], tap
                else:
                    lead, rest_tap = [(first * s0 + tap[0] * d0, 0)], tap[1:]
                trailing = tuple(t * d for t, d in zip(rest_tap, dilation[1:], strict=True))
                for start, phase in lead:
                    dest = ws[:, index, phase, :height].swapaxes(0, 2)  # (n, rows, C, ...)
                    fill_windows(dest.swapaxes(1, 2), x[samples], (start, *trailing), stride,
                                 padding)  # fmt: skip
            cols = ws.reshape(c_in * len(taps), -1)
            yield samples, rows, cols, [(p * depth + q) * count * rest for q, p in layout["shifts"]]
