"""The gradients of the 3x3 stride-2 depthwise layer, straight between NCHW planes.

The general direct kernels (:mod:`.direct_kernels`) compute columns at stride 1 and keep
every other one: for a stride-2 layer their input gradient and weight gradient do twice the
multiply-adds on a grid that is half zeros, and copy every plane into and out of a padded
phase buffer. MobileNet's stride-2 3x3 depthwise layers (one row and one column of padding
above and on the left) have two short exact forms instead:

* input gradient (:func:`stride2_3x3_transpose`): each input cell is written once, from
  the output-gradient cells whose windows hold it. With ``g`` the output gradient of one
  plane and ``k`` its kernel, even input rows ``2m`` read row ``m`` of ``g`` through the
  kernel's middle row, odd rows ``2m + 1`` rows ``m + 1`` (kernel row 0) and ``m`` (row 2);
  along a row, even columns ``2n`` read column ``n`` (kernel column 1), odd columns ``2n +
  1`` columns ``n + 1`` (column 0) and ``n`` (column 2). No zeroing pass, no scatter;
* weight gradient (:func:`stride2_3x3_weight_grad`): tap ``(i, j)`` is the sum over
  outputs ``(r, c)`` of ``g[r, c] x[2r + i - 1, 2c + j - 1]``: per output row and kernel
  row, one loop over the row's columns makes the three sums of the kernel row from
  stride-2 loads of one input row (no de-interleaving copy: that copy cost more than the
  sums).

Measured on the suite's 128-channel 56x56 layer (8 images, 2 threads), against the general
kernels: input gradient 1.3 -> 0.72-0.76 ms, weight gradient 1.5-1.6 -> 1.1-1.3 ms (the
backward pass 3.2-3.9 -> 2.4-2.6 ms; PyTorch's 2.5-3.0 ms).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["supports", "stride2_3x3_transpose", "stride2_3x3_weight_grad"]

_jit = njit(cache=True, fastmath=True, nogil=True, error_model="numpy")


def supports(kernel, stride, dilation, pads, c_group, per_group) -> bool:
    """Whether these kernels compute the layer: 3x3, stride 2, dilation 1, one row and one
    column of padding above and on the left (any below and on the right), one input channel
    per group and (for the input gradient's single writer per plane) one output channel.

    Examples
    --------
    >>> supports((3, 3), (2, 2), (1, 1), (1, 1), 1, 1)
    True
    >>> supports((3, 3), (2, 2), (1, 1), (0, 0), 1, 1)  # 'valid': the general kernels
    False
    """
    return (
        tuple(kernel) == (3, 3)
        and tuple(stride) == (2, 2)
        and tuple(dilation) == (1, 1)
        and tuple(pads) == (1, 1)
        and c_group == 1
        and per_group == 1
    )


@_jit
def _input_row(out, src, k0, k1, k2, ow, accumulate):
    # out[2n] (+)= k1 src[n]; out[2n + 1] (+)= k0 src[n + 1] + k2 src[n]: one input row from
    # one output-gradient row (src[n] zero for n >= ow)
    width = out.shape[0]
    full = min(ow - 1, (width - 1) // 2)  # n whose 2n + 1 < width and n + 1 < ow
    for n in range(full):
        even, odd = k1 * src[n], k0 * src[n + 1] + k2 * src[n]
        if accumulate:
            out[2 * n] += even
            out[2 * n + 1] += odd
        else:
            out[2 * n] = even
            out[2 * n + 1] = odd
    for col in range(2 * full, width):  # the last columns: taps past g read zeros
        n = col // 2
        if col % 2 == 0:
            value = k1 * src[n] if n < ow else src[0] * 0
        else:
            value = k2 * src[n] if n < ow else src[0] * 0
            if n + 1 < ow:
                value += k0 * src[n + 1]
        out[col] = out[col] + value if accumulate else value


@_jit
def stride2_3x3_transpose(start, stop, g, w, x):
    """Input gradient ``x`` (N, C, H, W) of the planes ``start .. stop`` (flat ``image * C +
    channel``) from ``g`` (N, C, OH, OW) and ``w`` (C, 1, 3, 3) (module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.empty((1, 1, 4, 4))
    >>> stride2_3x3_transpose(0, 1, np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), x)
    >>> x[0, 0].tolist()  # windows holding each cell
    [[1.0, 2.0, 1.0, 1.0], [2.0, 4.0, 2.0, 2.0], [1.0, 2.0, 1.0, 1.0], [1.0, 2.0, 1.0, 1.0]]
    """
    channels, height = x.shape[1], x.shape[2]
    oh, ow = g.shape[2], g.shape[3]
    for job in range(start, stop):
        b, c = job // channels, job % channels
        src, dst, k = g[b, c], x[b, c], w[c, 0]
        for h in range(height):
            m, out = h // 2, dst[h]
            if h % 2 == 0:  # kernel row 1 of output row m
                if m < oh:
                    _input_row(out, src[m], k[1, 0], k[1, 1], k[1, 2], ow, False)
                else:
                    out[:] = 0
                continue
            # kernel row 2 of output row m, row 0 of output row m + 1
            if m < oh:
                _input_row(out, src[m], k[2, 0], k[2, 1], k[2, 2], ow, False)
            else:
                out[:] = 0
            if m + 1 < oh:
                _input_row(out, src[m + 1], k[0, 0], k[0, 1], k[0, 2], ow, True)


@_jit
def _three_sums(gr, row, ow, inner):
    # sum over c of gr[c] * row[2c - 1], row[2c], row[2c + 1] (cells outside the row zero)
    width = row.shape[0]
    s1 = gr[0] * row[0]  # c = 0: its left tap is in the padding
    s2 = gr[0] * row[1] if width > 1 else gr[0] * 0
    s0 = gr[0] * 0
    for c in range(1, inner):  # every tap inside the row: one vector loop, stride-2 loads
        gv = gr[c]
        s0 += gv * row[2 * c - 1]
        s1 += gv * row[2 * c]
        s2 += gv * row[2 * c + 1]
    for c in range(max(inner, 1), ow):  # the right edge
        gv = gr[c]
        if 2 * c - 1 < width:
            s0 += gv * row[2 * c - 1]
        if 2 * c < width:
            s1 += gv * row[2 * c]
        if 2 * c + 1 < width:
            s2 += gv * row[2 * c + 1]
    return s0, s1, s2


@_jit
def stride2_3x3_weight_grad(start, stop, x, g, per_group, dw):
    """Weight gradient ``dw`` (C_out, 1, 3, 3) of the output channels ``start .. stop`` from
    ``x`` (N, C_in, H, W) and ``g`` (N, C_out, OH, OW); output channel ``o`` reads input
    channel ``o // per_group``. Sums in float64 per row.

    Examples
    --------
    >>> import numpy as np
    >>> dw = np.empty((1, 1, 3, 3))
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> stride2_3x3_weight_grad(0, 1, x, np.ones((1, 1, 2, 2)), 1, dw)
    >>> dw[0, 0, 1].tolist(), float(x[0, 0, 0::2, 0::2].sum())  # middle row, centre tap
    ([10.0, 20.0, 24.0], 20.0)
    """
    n_batch, height, width = x.shape[0], x.shape[2], x.shape[3]
    oh, ow = g.shape[2], g.shape[3]
    inner = min(ow, width // 2)  # output columns whose three taps are all in the row
    total = np.zeros((3, 3), np.float64)
    for o in range(start, stop):
        total[:] = 0
        for b in range(n_batch):
            plane, grad = x[b, o // per_group], g[b, o]
            for r in range(oh):
                for i in range(3):  # input row 2r + i - 1 (rows in the padding add nothing)
                    h = 2 * r + i - 1
                    if 0 <= h < height:
                        s0, s1, s2 = _three_sums(grad[r], plane[h], ow, inner)
                        total[i, 0] += s0
                        total[i, 1] += s1
                        total[i, 2] += s2
        for i in range(3):
            for j in range(3):
                dw[o, 0, i, j] = total[i, j]
