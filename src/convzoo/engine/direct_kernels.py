"""The numba loops of the direct algorithm (:mod:`.direct`), with implicit zero padding.

All kernels read the *unpadded* input: padding ``(ph, pw)`` only shifts indices and taps
outside the input count as zeros, so no padded copy of the input is made (for a depthwise
layer that copy costs as much as the convolution). Negative padding crops. Each kernel is
compiled on first use and cached on disk.

- ``flat_forward`` and ``flat_weight_grad`` (strides 1 and 2): per (image, group), the
  input planes go, zero-padded, into a small buffer in cache; on it every tap is one
  constant shift of the flattened plane, so the work runs in long vector loops (a 3x3
  kernel: one pass with nine terms). This is the fast path.
- ``forward`` and ``weight_grad`` (any stride): row by row, one pass per tap over the
  columns where it is inside the input.
- ``scatter``: the adjoint in the input for strides above 1 (at stride 1 the adjoint is a
  forward correlation with the flipped kernel, see :func:`.direct.transpose_unpadded`).
"""

from __future__ import annotations

import functools

__all__ = [
    "forward_kernel",
    "flat_forward_kernel",
    "scatter_kernel",
    "weight_grad_kernel",
    "flat_weight_grad_kernel",
]


def _njit():
    try:
        from numba import njit
    except ImportError as error:  # pragma: no cover - numba is installed in CI
        raise ImportError("algorithm 'direct' needs numba: pip install convzoo[fast]") from error
    return njit(cache=True, fastmath=True, nogil=True)  # threads: see .parallel


@functools.cache
def forward_kernel():
    """``forward(start, stop, x, w, sh, sw, dh, dw, ph, pw, row0, y, per_group)``: the row
    kernel, for strides above 2 (:func:`flat_forward_kernel` takes the others).

    Computes output rows ``row0 .. row0 + y.shape[2]`` of the (image, output channel) planes
    ``start .. stop`` (flat index ``b * C_out + o``) into ``y`` (N, C_out, rows, ow), one
    pass per tap over the columns where the tap is inside the input.
    """
    import numpy as np

    jit = _njit()

    @jit
    def forward(start, stop, x, w, sh, sw, dh, dw, ph, pw, row0, y, per_group):
        c_out, c_group, kh, kw = w.shape
        height, width = x.shape[2], x.shape[3]
        rows, ow = y.shape[2], y.shape[3]
        usw = np.uint64(sw)
        for job in range(start, stop):  # (image, output channel) planes
            b, o = job // c_out, job % c_out
            first = (o // per_group) * c_group
            for r in range(rows):
                dst = y[b, o, r]
                dst[:] = 0
                for ci in range(c_group):
                    for i in range(kh):
                        ih = (row0 + r) * sh + i * dh - ph
                        if ih < 0 or ih >= height:
                            continue
                        src = x[b, first + ci, ih]
                        for j in range(kw):
                            offset = j * dw - pw  # column q reads q*sw + offset
                            qa = 0 if offset >= 0 else (-offset + sw - 1) // sw
                            qb = min(ow, (width - 1 - offset) // sw + 1) if width > offset else 0
                            if qa >= qb:
                                continue
                            wv, d, s = w[o, ci, i, j], dst[qa:], src[qa * sw + offset :]
                            for q in range(np.uint64(qb - qa)):
                                d[q] += wv * s[q * usw]

    return forward


@functools.cache
def scatter_kernel():
    """``scatter(start, stop, g, w, sh, sw, dh, dw, ph, pw, x, per_group)``: the adjoint of
    ``forward`` in its input, accumulated into the (zeroed) input planes ``start .. stop``
    (flat ``b * C_in + c``) of ``x``; taps that land in the padding are dropped.
    """
    import numpy as np

    jit = _njit()

    @jit
    def scatter(start, stop, g, w, sh, sw, dh, dw, ph, pw, x, per_group):
        oh, ow = g.shape[2], g.shape[3]
        c_group, kh, kw = w.shape[1], w.shape[2], w.shape[3]
        c_in, height, width = x.shape[1], x.shape[2], x.shape[3]
        usw = np.uint64(sw)
        for job in range(start, stop):  # (image, input channel) planes
            b, c = job // c_in, job % c_in
            grp, ci = c // c_group, c % c_group
            plane = x[b, c]
            for o in range(grp * per_group, (grp + 1) * per_group):
                for r in range(oh):
                    grow = g[b, o, r]
                    for i in range(kh):
                        ih = r * sh + i * dh - ph
                        if ih < 0 or ih >= height:
                            continue
                        dst = plane[ih]
                        for j in range(kw):
                            offset = j * dw - pw
                            qa = 0 if offset >= 0 else (-offset + sw - 1) // sw
                            qb = min(ow, (width - 1 - offset) // sw + 1) if width > offset else 0
                            if qa >= qb:
                                continue
                            wv = w[o, ci, i, j]
                            d = dst[qa * sw + offset :]
                            s = grow[qa:]
                            if sw == 1:
                                for q in range(np.uint64(qb - qa)):
                                    d[q] += wv * s[q]
                            else:
                                for q in range(np.uint64(qb - qa)):
                                    d[q * usw] += wv * s[q]

    return scatter


@functools.cache
def weight_grad_kernel():
    """``weight_grad(start, stop, x, g, sh, sw, dh, dw, ph, pw, per_group, out)``: the
    weight gradient of output channels ``start .. stop`` into ``out`` (C_out, C_g, kh, kw),
    sums of float32 rows accumulated in float64.
    """
    import numpy as np

    jit = _njit()

    @jit
    def weight_grad(start, stop, x, g, sh, sw, dh, dw, ph, pw, per_group, out):
        n_batch, _, oh, ow = g.shape
        c_group, kh, kw = out.shape[1], out.shape[2], out.shape[3]
        height, width = x.shape[2], x.shape[3]
        usw = np.uint64(sw)
        total = np.zeros((c_group, kh, kw), dtype=np.float64)
        for o in range(start, stop):  # output channels
            first = (o // per_group) * c_group
            total[:] = 0
            for b in range(n_batch):
                for r in range(oh):
                    grow = g[b, o, r]
                    for ci in range(c_group):
                        plane = x[b, first + ci]
                        for i in range(kh):
                            ih = r * sh + i * dh - ph
                            if ih < 0 or ih >= height:
                                continue
                            src = plane[ih]
                            for j in range(kw):
                                offset = j * dw - pw
                                qa = 0 if offset >= 0 else (-offset + sw - 1) // sw
                                qb = min(ow, (width - 1 - offset) // sw + 1)
                                if width <= offset or qa >= qb:
                                    continue
                                s = src[qa * sw + offset :]
                                gr = grow[qa:]
                                part = gr[0] * 0
                                if sw == 1:
                                    for q in range(np.uint64(qb - qa)):
                                        part += gr[q] * s[q]
                                else:
                                    for q in range(np.uint64(qb - qa)):
                                        part += gr[q] * s[q * usw]
                                total[ci, i, j] += part
            for ci in range(c_group):
                for i in range(kh):
                    for j in range(kw):
                        out[o, ci, i, j] = total[ci, i, j]

    return weight_grad


@functools.cache
def _plane_helpers():
    """Jitted helpers of the flat kernels: copy a zero-padded window of input planes into a
    local buffer, and the stride-1 correlation of such a buffer (see
    :func:`flat_forward_kernel`)."""
    import numpy as np

    jit = _njit()

    @jit
    def copy(dst, src, n):
        for c in range(np.uint64(n)):  # unsigned: no wraparound checks, vectorises
            dst[c] = src[c]

    @jit
    def load_planes(buf, x, b, first, top, pw):
        # buf (C_g, rows_b, Wp) <- x[b, first + ci, top + r, c - pw], zero outside x
        height, width = x.shape[2], x.shape[3]
        wp = buf.shape[2]
        lo, hi = max(0, pw), max(min(wp, width + pw), max(0, pw))
        for ci in range(buf.shape[0]):
            for r in range(buf.shape[1]):
                ih = top + r
                row = buf[ci, r]
                if ih < 0 or ih >= height:
                    row[:] = 0
                    continue
                row[:lo] = 0
                row[hi:] = 0
                copy(row[lo:], x[b, first + ci, ih, lo - pw :], hi - lo)

    @jit
    def correlate_plane(out, buf, wk, dh, dw):
        # out (rows * Wp, flat) += stride-1 correlation of one padded plane buf (rows_b, Wp)
        kh, kw = wk.shape
        wp = buf.shape[1]
        flat = buf.reshape(buf.shape[0] * wp)
        n = out.shape[0] - (kw - 1) * dw  # the last columns of the last row read past buf
        if kh == 3 and kw == 3:  # one pass, nine terms, one source pointer: vectorises
            o1, o2 = np.uint64(dw), np.uint64(2 * dw)
            r1, r2 = np.uint64(dh * wp), np.uint64(2 * dh * wp)
            w00, w01, w02 = wk[0, 0], wk[0, 1], wk[0, 2]
            w10, w11, w12 = wk[1, 0], wk[1, 1], wk[1, 2]
            w20, w21, w22 = wk[2, 0], wk[2, 1], wk[2, 2]
            for p in range(np.uint64(n)):
                out[p] += (
                    w00 * flat[p] + w01 * flat[p + o1] + w02 * flat[p + o2]
                    + w10 * flat[p + r1] + w11 * flat[p + r1 + o1] + w12 * flat[p + r1 + o2]
                    + w20 * flat[p + r2] + w21 * flat[p + r2 + o1] + w22 * flat[p + r2 + o2]
                )  # fmt: skip
            return
        for i in range(kh):  # any other kernel: one long pass per tap
            for j in range(kw):
                wv, s = wk[i, j], flat[i * dh * wp + j * dw :]
                for p in range(np.uint64(n)):
                    out[p] += wv * s[p]

    return load_planes, correlate_plane, copy


@functools.cache
def flat_forward_kernel():
    """``flat_forward(start, stop, x, w, sh, sw, dh, dw, ph, pw, row0, y, per_group)``:
    the forward on flattened planes, for strides of 1 and 2.

    Each job (image, group) copies the rows it needs of its input planes, zero-padded, into
    a local buffer of width ``Wp = W + pw + right`` (in cache). On such a buffer an output
    row and its input rows have the same width, so every tap is one constant shift of the
    flattened plane: ``out[p] += w * buf[p + i*dh*Wp + j*dw]`` runs over the whole plane in
    one long vector loop (a 3x3 kernel: one pass with nine terms). The output is computed on
    the ``Wp``-wide grid and its first ``ow`` columns are kept. A stride of 2 computes the
    stride-1 rows and keeps every other row and column: up to 4x the multiply-adds, but long
    loops instead of short strided rows.
    """
    import numpy as np

    jit = _njit()
    load_planes, correlate_plane, copy = _plane_helpers()

    @jit
    def flat_forward(start, stop, x, w, sh, sw, dh, dw, ph, pw, row0, y, per_group):
        c_out, c_group, kh, kw = w.shape
        width = x.shape[3]
        rows, ow = y.shape[2], y.shape[3]
        full_rows = (rows - 1) * sh + 1  # stride-1 rows row0*sh .. (row0+rows-1)*sh
        full_cols = (ow - 1) * sw + 1
        wp = max(full_cols + (kw - 1) * dw, width + pw)
        buf = np.empty((c_group, full_rows + (kh - 1) * dh, wp), dtype=y.dtype)
        out = np.empty(full_rows * wp, dtype=y.dtype)
        groups = c_out // per_group
        for job in range(start, stop):  # (image, group)
            b, grp = job // groups, job % groups
            load_planes(buf, x, b, grp * c_group, row0 * sh - ph, pw)
            for o in range(grp * per_group, (grp + 1) * per_group):
                out[:] = 0
                for ci in range(c_group):
                    correlate_plane(out, buf[ci], w[o, ci], dh, dw)
                for r in range(rows):
                    src, dst = out[r * sh * wp :], y[b, o, r]
                    if sw == 1:
                        copy(dst, src, ow)
                    else:
                        for q in range(ow):
                            dst[q] = src[q * sw]

    return flat_forward


@functools.cache
def flat_weight_grad_kernel():
    """``flat_weight_grad(start, stop, x, g, sh, sw, dh, dw, ph, pw, per_group, out)``:
    the weight gradient of groups ``start .. stop`` on flattened padded planes (strides 1
    and 2; see :func:`flat_forward_kernel`). ``g`` is spread on the ``Wp``-wide stride-1
    grid with zeros elsewhere, so each tap is one long dot product; float64 accumulators.
    """
    import numpy as np

    jit = _njit()
    load_planes, _, copy = _plane_helpers()

    @jit
    def nine_sums(acc, grid, flat, n, row, col):
        # acc[i, j] += sum_p grid[p] * flat[p + i*row + j*col]
        o1, o2 = np.uint64(col), np.uint64(2 * col)
        r1, r2 = np.uint64(row), np.uint64(2 * row)
        s00 = s01 = s02 = s10 = s11 = s12 = s20 = s21 = s22 = grid[0] * 0
        for p in range(np.uint64(n)):
            gv = grid[p]
            s00 += gv * flat[p]
            s01 += gv * flat[p + o1]
            s02 += gv * flat[p + o2]
            s10 += gv * flat[p + r1]
            s11 += gv * flat[p + r1 + o1]
            s12 += gv * flat[p + r1 + o2]
            s20 += gv * flat[p + r2]
            s21 += gv * flat[p + r2 + o1]
            s22 += gv * flat[p + r2 + o2]
        acc[0, 0] += s00
        acc[0, 1] += s01
        acc[0, 2] += s02
        acc[1, 0] += s10
        acc[1, 1] += s11
        acc[1, 2] += s12
        acc[2, 0] += s20
        acc[2, 1] += s21
        acc[2, 2] += s22

    @jit
    def flat_weight_grad(start, stop, x, g, sh, sw, dh, dw, ph, pw, per_group, out):
        n_batch, c_out, oh, ow = g.shape
        c_group, kh, kw = out.shape[1], out.shape[2], out.shape[3]
        width = x.shape[3]
        full_rows, full_cols = (oh - 1) * sh + 1, (ow - 1) * sw + 1
        wp = max(full_cols + (kw - 1) * dw, width + pw)
        buf = np.empty((c_group, full_rows + (kh - 1) * dh, wp), dtype=x.dtype)
        grid = np.zeros(full_rows * wp, dtype=x.dtype)
        total = np.zeros((per_group, c_group, kh, kw), dtype=np.float64)
        n = full_rows * wp - (kw - 1) * dw  # further cells of the grid are zero (col >= ow)
        usw = np.uint64(sw)
        for grp in range(start, stop):
            total[:] = 0
            for b in range(n_batch):
                load_planes(buf, x, b, grp * c_group, -ph, pw)
                for ko in range(per_group):
                    o = grp * per_group + ko
                    for r in range(oh):  # g on the stride-1 grid; the rest stays zero
                        row, src = grid[r * sh * wp :], g[b, o, r]
                        if sw == 1:
                            copy(row, src, ow)
                        else:
                            for q in range(np.uint64(ow)):
                                row[q * usw] = src[q]
                    for ci in range(c_group):
                        flat = buf[ci].reshape(buf.shape[1] * wp)
                        if kh == 3 and kw == 3:  # the nine sums in one pass
                            nine_sums(total[ko, ci], grid, flat, n, dh * wp, dw)
                            continue
                        for i in range(kh):
                            for j in range(kw):
                                s = flat[i * dh * wp + j * dw :]
                                part = grid[0] * 0
                                for p in range(np.uint64(n)):
                                    part += grid[p] * s[p]
                                total[ko, ci, i, j] += part
            for ko in range(per_group):
                for ci in range(c_group):
                    for i in range(kh):
                        for j in range(kw):
                            out[grp * per_group + ko, ci, i, j] = total[ko, ci, i, j]

    return flat_weight_grad
