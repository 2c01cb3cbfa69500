"""Kernel windows as a strided view: the im2col matrix without copying.

For a padded input ``xp`` of shape ``(N, C, *padded)``, ``windows`` returns a read-only
view of shape ``(N, C, *out, *k)`` with ``view[n, c, p, t] = xp[n, c, p*s + t*d]``. Every
vectorised algorithm starts from it; copying a chunk of it in ``(C, *k)``-major order gives
the im2col matrix of Chellapilla et al. (2006).

The GEMM engine copies windows without a padded input: :func:`fill_windows` reads the
zero-padded input implicitly, :func:`column_plan` decides which taps are copied (all, or
all but the first dimension's, which then become shifted column ranges of one workspace)
and :func:`column_blocks` fills a bounded workspace block by block. When every tap is
copied and the last axis is strided (a 7x7 stride-2 stem), it copies from the stride phases
of the padded input instead (:func:`padded_phases`): every row read is then contiguous,
where a strided read is an element-by-element loop (stem im2col: 10-16 ms down to 4-5 ms).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..shapes import conv_length
from .scratch import scratch

__all__ = [
    "column_blocks",
    "column_plan",
    "fill_windows",
    "last_axis_phases",
    "row_grid",
    "windows",
]


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


def last_axis_phases(x: np.ndarray, step: int, padding, out=None) -> np.ndarray:
    """The stride phases of the zero-padded last axis: ``out[..., p, j] = xp[..., j*step + p]``.

    A window copy at stride ``step`` reads every ``step``-th element of a row, an
    element-by-element loop for NumPy; from the phases, tap ``o`` of every output is the
    contiguous run ``out[..., o % step, o // step :]``. One pass over ``x``, zeros written
    only where the padding (or the rounding up to whole phases) falls.

    Parameters
    ----------
    x : ndarray, shape (..., length)
    step : int
        The stride of the last axis.
    padding : (int, int)
        Zeros before and after ``x`` in its last axis.
    out : ndarray, optional
        Where to write (any strides); a new array by default.

    Returns
    -------
    ndarray, shape (..., step, ceil((lo + length + hi) / step))

    Examples
    --------
    >>> import numpy as np
    >>> last_axis_phases(np.arange(1.0, 6.0), 2, (1, 1)).tolist()  # xp = 0 1 2 3 4 5 0
    [[0.0, 2.0, 4.0, 0.0], [1.0, 3.0, 5.0, 0.0]]
    """
    lo, hi = padding
    length = -(-(lo + x.shape[-1] + hi) // step)
    size = x.shape[-1] + min(hi, 0)  # what a negative padding leaves of x
    if out is None:
        out = np.empty((*x.shape[:-1], step, length), x.dtype)
    for phase in range(step):
        first = max(0, -((phase - lo) // step))  # first j with j*step + phase >= lo
        start = first * step + phase - lo  # the index of x it reads
        count = len(range(start, size, step)) if start < size else 0
        target = out[..., phase, :]
        target[..., first : first + count] = x[..., start::step][..., :count]
        target[..., :first] = 0
        target[..., first + count :] = 0
    return out


def padded_phases(x: np.ndarray, step: int, padding) -> np.ndarray:
    """``x`` zero-padded in every spatial axis (cropped where the padding is negative), its
    last axis split by :func:`last_axis_phases`.

    Examples
    --------
    >>> import numpy as np
    >>> padded_phases(np.ones((1, 1, 1, 3)), 2, ((1, 0), (0, 1))).tolist()
    [[[[[0.0, 0.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]]]]
    """
    crop = tuple(slice(max(0, -lo), n - max(0, -hi)) for n, (lo, hi) in zip(x.shape[2:], padding))
    x = x[(Ellipsis, *crop)]  # negative padding crops
    padding = tuple((max(0, lo), max(0, hi)) for lo, hi in padding)
    lead = padding[:-1]
    length = -(-(x.shape[-1] + sum(padding[-1])) // step)
    sizes = [n + lo + hi for n, (lo, hi) in zip(x.shape[2:-1], lead, strict=True)]
    out = np.zeros((*x.shape[:2], *sizes, step, length), x.dtype)
    inner = out[(Ellipsis, *(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[2:-1], lead)),
                 slice(None), slice(None))]  # fmt: skip
    last_axis_phases(x, step, padding[-1], out=inner)
    return out


def _full_filler(x, kernel, stride, dilation, padding):
    """``fill(ws, first, height)``: every window of output rows ``first:first+height`` into
    the full im2col workspace ``ws`` of shape ``(C, taps, 1, rows, n, *grid)``.

    One copy per tap of the leading dimensions and stride phase of the last, each from a
    strided view of :func:`padded_phases` (made once per call): the taps of the last
    dimension that fall in the same phase are an axis of that view, and every row it reads
    is contiguous, strided convolutions included.
    """
    step, reach = stride[-1], dilation[-1]
    phases = padded_phases(x, step, padding)
    flat, item = phases.reshape(-1), phases.itemsize
    n_s, c_s, *lead_s, phase_s, _ = phases.strides
    unit = [*(s * t for s, t in zip(stride[:-1], lead_s, strict=True)), item]  # per output
    jump, advance = step // math.gcd(step, reach), reach // math.gcd(step, reach)
    groups = []  # (first tap, taps in the phase, phase, offset of the first tap)
    for tap in range(min(jump, kernel[-1])):
        offset, phase = divmod(tap * reach, step)
        groups.append((tap, len(range(tap, kernel[-1], jump)), phase, offset))

    def fill(ws, first, height):
        taps = ws.reshape(ws.shape[0], *kernel, *ws.shape[3:])  # (C, *kernel, rows, n, *grid)
        grid = taps.shape[len(kernel) + 3 :]
        for lead in np.ndindex(*kernel[:-1]):
            base = first * unit[0] + sum(k * d * s for k, d, s in zip(lead, dilation, lead_s))
            for tap, count, phase, offset in groups:
                start = (base + phase * phase_s + offset * item) // item
                source = np.lib.stride_tricks.as_strided(
                    flat[start:], (x.shape[0], x.shape[1], count, height, *grid),
                    (n_s, c_s, advance * item, *unit), writeable=False,
                )  # fmt: skip
                dest = taps[(slice(None), *lead, slice(tap, None, jump), slice(0, height))]
                np.copyto(np.moveaxis(dest, 3, 0), source)

    return fill


def column_plan(kernel, stride, dilation, c_group: int, min_depth: int, max_dims: int = 1):
    """How the columns are laid out: how many leading dimensions' taps become products.

    The taps of the first ``dims`` dimensions are not copied but become shifted column
    ranges (one product each); dimension ``i`` is split when it has several taps and the
    per-product reduction ``c_group * prod(kernel[i+1:])`` is at least ``(i+1) *
    min_depth``, up to ``max_dims``. Splitting a second dimension leaves ``halo`` garbage
    columns per row in the products (discarded).

    Returns ``dims``, ``split`` (``dims > 0``), ``taps`` (the kernel positions copied),
    ``phases`` (stride phases of the split dimensions held), ``shifts`` (per product: the
    input offsets in the split dimensions and the phase index where its columns start) and
    ``halo`` (extra input rows per split dimension).

    Examples
    --------
    >>> column_plan((5, 3), (2, 1), (1, 1), 64, 64)["shifts"]  # ((row,), phase index)
    [((0,), 0), ((0,), 1), ((1,), 0), ((1,), 1), ((2,), 0)]
    >>> column_plan((7, 7), (2, 2), (1, 1), 3, 64)["split"]
    False
    >>> column_plan((3, 3, 3), (1, 1, 1), (1, 1, 1), 64, 64, max_dims=2)["halo"]
    (2, 2)
    """
    dims = 0
    while (dims < min(max_dims, len(kernel)) and kernel[dims] > 1
           and c_group * math.prod(kernel[dims + 1 :]) >= (dims + 1) * min_depth):  # fmt: skip
        dims += 1
    steps = [
        [divmod(t * d, s) for t in range(k)]  # (input offset in units of s, phase)
        for k, s, d in zip(kernel[:dims], stride[:dims], dilation[:dims], strict=True)
    ]
    phases = list(itertools.product(*(sorted({r for _, r in dim}) for dim in steps)))
    shifts = [
        (tuple(dim[t][0] for dim, t in zip(steps, tap)),
         phases.index(tuple(dim[t][1] for dim, t in zip(steps, tap))))
        for tap in np.ndindex(*kernel[:dims])
    ]  # fmt: skip
    halo = tuple(max(q for q, _ in dim) for dim in steps)
    return dict(dims=dims, split=dims > 0, taps=list(np.ndindex(*kernel[dims:])),
                phases=phases, shifts=shifts, halo=halo)  # fmt: skip


def row_grid(layout, out) -> tuple[int, ...]:
    """Shape of the product columns of one output row of one sample: ``out[1:]``, except
    that split dimensions after the first keep their halo (garbage columns).

    Examples
    --------
    >>> row_grid(column_plan((3, 3, 3), (1,) * 3, (1,) * 3, 64, 64, max_dims=2), (4, 5, 6))
    (7, 6)
    """
    grid = [o + h for o, h in zip(out[1:], layout["halo"][1:])]
    return (*grid, *out[1 + len(grid) :])


def column_blocks(x, stride, dilation, padding, out, layout, budget: int, wide: int):
    """Fill the workspace for each block of (samples, output rows); yield what GEMMs need.

    Yields ``(samples, rows, cols, starts)``: ``cols`` is the ``(C*taps, width)`` workspace
    with columns ordered ``(row, sample, *row_grid)``, ``starts[i]`` the first column of
    product ``i`` (it spans ``len(rows) * len(samples) * prod(row_grid)`` columns). Several
    samples share a block only when one sample's products would be narrow (under ``wide``
    columns) and no columns are garbage; the workspace stays under ``budget`` bytes (or one
    row's worth plus the halo). It is reused: consume each block before the next.

    Examples
    --------
    >>> import numpy as np
    >>> layout = column_plan((3,), (1,), (1,), 1, 1)  # 1-D: three shifted products
    >>> x = np.arange(4.0).reshape(1, 1, 4)
    >>> for samples, rows, cols, starts in column_blocks(x, (1,), (1,), ((1, 1),), (4,),
    ...                                                  layout, 1000, 1):
    ...     print(cols[:, :6].tolist(), starts)
    [[0.0, 0.0, 1.0, 2.0, 3.0, 0.0]] [0, 1, 2]
    """
    n_batch, c_in = x.shape[:2]
    dims, taps, phases = layout["dims"], layout["taps"], layout["phases"]
    grid = row_grid(layout, out)
    inner, halo = math.prod(grid), (layout["halo"][0] if dims else 0)
    row_bytes = c_in * len(taps) * len(phases) * inner * x.dtype.itemsize
    per_block = min(out[0], max(1, budget // max(row_bytes, 1) - halo))
    per_block = -(-out[0] // -(-out[0] // per_block))  # equal blocks
    depth = per_block + halo
    together = 1
    if per_block == out[0] and dims < 2:
        fits = max(1, budget // max(row_bytes * depth, 1))
        together = min(n_batch, fits, max(1, -(-wide // (out[0] * inner))))
    slack = inner  # garbage columns of the last row may read past the workspace
    total = c_in * len(taps) * len(phases) * depth * together * inner + slack
    buffer = scratch("im2col", (total,), x.dtype)  # kept between calls (see .scratch)
    s0, d0 = stride[0], dilation[0]
    phased = not dims and stride[-1] > 1
    kernel = tuple(t + 1 for t in taps[-1]) if phased else None  # nothing split: every tap
    for n0 in range(0, n_batch, together):
        samples = slice(n0, min(n0 + together, n_batch))
        count = samples.stop - samples.start
        if phased:  # a strided last axis: copy from its phases, kernel row by kernel row
            fill_phases = _full_filler(x[samples], kernel, stride, dilation, padding)
        size = c_in * len(taps) * len(phases) * depth * count * inner
        ws = buffer[:size].reshape(c_in, len(taps), len(phases), depth, count, *grid)
        line = size // (c_in * len(taps))
        cols = np.lib.stride_tricks.as_strided(
            buffer, (c_in * len(taps), line + slack), (line * x.itemsize, x.itemsize),
            writeable=False,
        )  # fmt: skip
        for first in range(0, out[0], per_block):
            rows = slice(first, min(first + per_block, out[0]))
            height = rows.stop - rows.start + halo
            if phased:
                fill_phases(ws, first, height)
            for index, tap in enumerate(() if phased else taps):
                if dims:
                    trailing = tuple(t * d for t, d in zip(tap, dilation[dims:], strict=True))
                    leads = [((first * s0 + ph[0], *ph[1:]), p) for p, ph in enumerate(phases)]
                else:
                    trailing = tuple(t * d for t, d in zip(tap[1:], dilation[1:], strict=True))
                    leads = [((first * s0 + tap[0] * d0,), 0)]
                for start, phase in leads:
                    dest = ws[:, index, phase, :height].swapaxes(0, 2)  # (n, rows, C, ...)
                    fill_windows(dest.swapaxes(1, 2), x[samples], (*start, *trailing), stride,
                                 padding)  # fmt: skip
            starts = []
            for q, p in layout["shifts"]:
                offset = sum(o * math.prod(grid[i + 1 :]) for i, o in enumerate(q[1:]))
                starts.append((p * depth + (q[0] if q else 0)) * count * inner + offset)
            yield samples, rows, cols, starts
