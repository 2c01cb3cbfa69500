"""The 3x3 depthwise kernels: straight from the input planes to the output planes.

The general direct kernel (:mod:`.direct_kernels`) copies each job's input rows into a
zero-padded buffer so that every tap, at any stride and dilation, is a constant shift, then
copies the result rows out: three passes over every plane. The two most common depthwise
layers (MobileNet's 3x3 with one column of zero padding on each side, at stride 1 and 2)
need neither copy:

* stride 1 (:func:`same_3x3`): input and output planes have the same row length, so the
  nine taps are nine constant shifts of the *unpadded* input plane: one vector loop over
  all the rows whose three input rows exist writes the output plane directly. It reads
  across a row end at the first and last column, which are then recomputed with their six
  real taps; rows that reach into the top or bottom padding are computed tap by tap;
* stride 2 (:func:`stride2_3x3`): each input row is split once into its even and odd
  columns; output column ``c`` then reads odd ``c - 1``, even ``c`` and odd ``c`` of three
  rows, a contiguous loop per output row.

Measured on the suite's 128-channel 56x56 layers (8 images, 2 threads): stride 1 from 1.7
to 0.85-0.95 ms, stride 2 from 0.96 to 0.67-0.74 ms, then 0.55-0.6 ms with the
de-interleaving in one loop per plane (1.03 -> 0.87 µs per plane on one thread).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["kernel_for", "same_3x3", "stride2_3x3"]

_jit = njit(cache=True, fastmath=True, nogil=True, error_model="numpy")


@_jit
def _tap_row(dst, src, k, top, r_out, stride, c_lo, c_hi):
    # output columns c_lo .. c_hi of row r_out, tap by tap, skipping taps outside the input
    height, width = src.shape
    for c in range(c_lo, c_hi):
        total = dst[r_out, c] * 0
        for i in range(3):
            row = top + i
            if row < 0 or row >= height:
                continue
            for j in range(3):
                col = c * stride - 1 + j
                if 0 <= col < width:
                    total += k[i, j] * src[row, col]
        dst[r_out, c] = total


@_jit
def same_3x3(start, stop, x, w, ph, row0, y, per_group):
    """Output rows ``row0 .. row0 + y.shape[2]`` of the jobs ``start .. stop`` (flat ``image
    * C_out + channel``) into ``y`` (N, C_out, rows, W): ``x`` (N, C_in, H, W) zero-padded
    by ``ph`` rows above and one column on each side, ``w`` (C_out, 1, 3, 3), output channel
    ``o`` reading input channel ``o // per_group``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.empty((1, 1, 3, 3))
    >>> same_3x3(0, 1, np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), 1, 0, y, 1)
    >>> y[0, 0].tolist()
    [[4.0, 6.0, 4.0], [6.0, 9.0, 6.0], [4.0, 6.0, 4.0]]
    """
    c_out = w.shape[0]
    height, width = x.shape[2], x.shape[3]
    rows = y.shape[2]
    uw = np.uint64(width)
    for job in range(start, stop):
        b, o = job // c_out, job % c_out
        src, dst, k = x[b, o // per_group], y[b, o], w[o, 0]
        # output rows whose input rows row0 + r - ph + (0, 1, 2) all exist
        first = min(rows, max(0, ph - row0))
        last = max(first, min(rows, height - 2 + ph - row0))
        if last > first:
            flat_in, flat_out = src.reshape(-1), dst.reshape(-1)
            shift = np.uint64((first + row0 - ph) * width)  # input index of output p = first*W
            w00, w01, w02 = k[0, 0], k[0, 1], k[0, 2]
            w10, w11, w12 = k[1, 0], k[1, 1], k[1, 2]
            w20, w21, w22 = k[2, 0], k[2, 1], k[2, 2]
            one, two = np.uint64(1), np.uint64(2)
            top = shift - one  # + p: output p's upper-left input (wraps at 0; p >= 1 undoes it)
            mid, bottom = top + uw, top + uw + uw
            out = np.uint64(first) * uw
            # p from column 1 of row `first` to column W-2 of row `last - 1`: every read in x
            for p in range(one, np.uint64((last - first) * width - 1)):
                flat_out[out + p] = (
                    w00 * flat_in[top + p] + w01 * flat_in[top + p + one]
                    + w02 * flat_in[top + p + two]
                    + w10 * flat_in[mid + p] + w11 * flat_in[mid + p + one]
                    + w12 * flat_in[mid + p + two]
                    + w20 * flat_in[bottom + p] + w21 * flat_in[bottom + p + one]
                    + w22 * flat_in[bottom + p + two]
                )  # fmt: skip
            last_col = width - 1
            for r in range(first, last):  # first and last column: their six real taps
                a, m, c = src[r + row0 - ph], src[r + row0 - ph + 1], src[r + row0 - ph + 2]
                dst[r, 0] = (w01 * a[0] + w02 * a[1] + w11 * m[0] + w12 * m[1]
                             + w21 * c[0] + w22 * c[1])  # fmt: skip
                dst[r, last_col] = (
                    w00 * a[last_col - 1] + w01 * a[last_col] + w10 * m[last_col - 1]
                    + w11 * m[last_col] + w20 * c[last_col - 1] + w21 * c[last_col]
                )  # fmt: skip
        for r in range(first):
            _tap_row(dst, src, k, r + row0 - ph, r, 1, 0, width)
        for r in range(last, rows):
            _tap_row(dst, src, k, r + row0 - ph, r, 1, 0, width)


@_jit
def stride2_3x3(start, stop, x, w, ph, row0, y, per_group):
    """:func:`same_3x3` at stride 2 (``y`` (N, C_out, rows, ow)): output row ``r`` reads
    input rows ``2*(row0 + r) - ph + (0, 1, 2)``, column ``c`` input columns ``2c - 1 +
    (0, 1, 2)``. Each input row of the plane is split once into its even and odd columns
    (one de-interleaving pass); then every output row is one contiguous loop (column ``c``
    reads odd ``c - 1``, even ``c`` and odd ``c``; rows in the padding read zeros), column 0
    and any column reading past the right edge apart. With an even width the band's rows
    are de-interleaved in one loop (a loop per row cost more in its setup than its work).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.empty((1, 1, 2, 2))
    >>> stride2_3x3(0, 1, np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), 1, 0, y, 1)
    >>> y[0, 0].tolist()
    [[4.0, 6.0], [6.0, 9.0]]
    """
    c_out = w.shape[0]
    height, width = x.shape[2], x.shape[3]
    rows, ow = y.shape[2], y.shape[3]
    half = width // 2
    # the band's input rows 2*row0 - ph ..: de-interleaved, rows in the padding zero
    first_in = 2 * row0 - ph
    span = 2 * (rows - 1) + 3
    even = np.zeros((span, half), x.dtype)
    odd = np.zeros((span, half), x.dtype)
    inner = max(1, min(ow, half))  # columns 1 .. inner - 1 read only inside x
    one = np.uint64(1)
    for job in range(start, stop):
        b, o = job // c_out, job % c_out
        src, dst, k = x[b, o // per_group], y[b, o], w[o, 0]
        h0, h1 = max(0, first_in), min(height, first_in + span)
        flat, e, d = src.reshape(-1), even.reshape(-1), odd.reshape(-1)
        # an even width makes the band's rows one run of (even, odd) pairs: one loop
        runs, length = (1, (h1 - h0) * half) if width % 2 == 0 else (h1 - h0, half)
        for i in range(runs):
            at = np.uint64((h0 + i) * width)
            to = np.uint64((h0 + i - first_in) * half)
            for c in range(np.uint64(length)):
                e[to + c] = flat[at + c + c]
                d[to + c] = flat[at + c + c + one]
        w00, w01, w02 = k[0, 0], k[0, 1], k[0, 2]
        w10, w11, w12 = k[1, 0], k[1, 1], k[1, 2]
        w20, w21, w22 = k[2, 0], k[2, 1], k[2, 2]
        for r in range(rows):
            top = 2 * (row0 + r) - ph
            if half == 0:  # a one-column input: nothing to de-interleave
                _tap_row(dst, src, k, top, r, 2, 0, ow)
                continue
            # rows of one pair of arrays (the compiler then vectorises the loop)
            e0, e1, e2 = even[2 * r], even[2 * r + 1], even[2 * r + 2]
            d0, d1, d2 = odd[2 * r], odd[2 * r + 1], odd[2 * r + 2]
            out = dst[r]
            # column 0: its left taps are in the padding
            out[0] = (
                w01 * e0[0] + w02 * d0[0] + w11 * e1[0] + w12 * d1[0] + w21 * e2[0] + w22 * d2[0]
            )
            for q in range(one, np.uint64(inner)):
                p = q - one
                out[q] = (
                    w00 * d0[p] + w01 * e0[q] + w02 * d0[q]
                    + w10 * d1[p] + w11 * e1[q] + w12 * d1[q]
                    + w20 * d2[p] + w21 * e2[q] + w22 * d2[q]
                )  # fmt: skip
            if inner < ow:  # (a call per row would cost more than the row's arithmetic)
                _tap_row(dst, src, k, top, r, 2, inner, ow)


def kernel_for(kernel, stride, dilation, left_pad, in_width, out_width, c_group):
    """The kernel of this module that computes the layer, or ``None``: depthwise (one input
    channel per group), 3x3, dilation 1, one column of padding on the left; stride 1 with
    as many output as input columns (:func:`same_3x3`) or stride 2 (:func:`stride2_3x3`).

    Examples
    --------
    >>> kernel_for((3, 3), (1, 1), (1, 1), 1, 56, 56, 1).__name__
    'same_3x3'
    >>> kernel_for((3, 3), (2, 2), (1, 1), 1, 56, 28, 1).__name__
    'stride2_3x3'
    >>> kernel_for((3, 3), (1, 1), (2, 2), 2, 56, 56, 1) is None
    True
    """
    if tuple(kernel) != (3, 3) or tuple(dilation) != (1, 1) or left_pad != 1 or c_group != 1:
        return None
    if tuple(stride) == (1, 1) and in_width == out_width >= 2:
        return same_3x3
    if tuple(stride) == (2, 2):
        return stride2_3x3
    return None
