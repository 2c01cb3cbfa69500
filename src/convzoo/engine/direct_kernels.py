"""The numba loops of the direct algorithm (:mod:`.direct`), with implicit zero padding.

No padded copy of the input is made (for a depthwise layer that copy costs as much as the
convolution): each job copies the input rows it needs, zero-padded and split into stride
phases (:func:`phase_layout`), into a small buffer that stays in cache. On that buffer every
kernel tap, at any stride and dilation, is one constant shift of the flattened planes, so
``flat_forward`` and ``flat_weight_grad`` run long vector loops over whole planes (a 3x3
kernel: one pass with nine terms, or nine sums) instead of short rows; ``flat_transpose``
is the adjoint in the input for strides above 1, the same shifts run backwards (at stride 1
the adjoint is a forward correlation with the flipped kernel, see
:func:`.direct.transpose_unpadded`). Negative padding crops.
Each kernel is compiled on first use and cached on disk.
"""

from __future__ import annotations

import functools

__all__ = [
    "phase_layout",
    "flat_forward_kernel",
    "flat_transpose_kernel",
    "flat_weight_grad_kernel",
]


def _njit():
    try:
        from numba import njit
    except ImportError as error:  # pragma: no cover - numba is installed in CI
        raise ImportError("algorithm 'direct' needs numba: pip install convzoo[fast]") from error
    return njit(cache=True, fastmath=True, nogil=True)  # threads: see .parallel


def phase_layout(rows, cols, kernel, stride, dilation):
    """``(Hq, Wq, offsets)`` of the phase buffer for ``rows x cols`` outputs.

    The padded input is split into ``sh*sw`` phase planes of ``Hq x Wq`` cells (phase
    ``(a, c)`` holds the cells ``(r*sh + a, q*sw + c)``); output ``(r, q)`` and tap
    ``(i, j)`` then read cell ``(r + i*dh // sh, q + j*dw // sw)`` of phase
    ``(i*dh % sh, j*dw % sw)``: on the flattened buffer, flat output ``p = r*Wq + q`` reads
    ``p + offsets[i, j]``, a constant shift for every stride and dilation.

    Examples
    --------
    >>> hq, wq, offsets = phase_layout(2, 2, (3, 3), (2, 2), (1, 1))
    >>> hq, wq, offsets.tolist()   # taps 0 and 2 read the even phase, tap 1 the odd one
    (4, 4, [[0, 16, 1], [32, 48, 33], [4, 20, 5]])
    """
    import numpy as np

    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    hq, wq = rows + (kh - 1) * dh // sh + 1, cols + (kw - 1) * dw // sw + 1
    i, j = np.arange(kh)[:, None] * dh, np.arange(kw)[None, :] * dw
    phase = (i % sh) * sw + j % sw
    return hq, wq, (phase * hq * wq + (i // sh) * wq + j // sw).astype(np.uint64)


@functools.cache
def _plane_helpers():
    """Jitted helpers of the flat kernels: load zero-padded input planes into a phase buffer
    (:func:`phase_layout`), correlate one buffer, copy a row."""
    import numpy as np

    jit = _njit()

    @jit
    def copy(dst, src, n):
        for c in range(np.uint64(n)):  # unsigned: no wraparound checks, vectorises
            dst[c] = src[c]

    @jit
    def load_planes(buf, x, b, first, top, pw, sh, sw):
        # buf (C_g, sh*sw, Hq, Wq)[ci, a*sw + c, rr, q] <- x[b, first + ci, top + rr*sh + a,
        # q*sw + c - pw], zero outside x
        height, width = x.shape[2], x.shape[3]
        hq, wq = buf.shape[2], buf.shape[3]
        for ci in range(buf.shape[0]):
            for a in range(sh):
                for rr in range(hq):
                    ih = top + rr * sh + a
                    inside = 0 <= ih < height
                    for c in range(sw):
                        dst = buf[ci, a * sw + c, rr]
                        if not inside:
                            dst[:] = 0
                            continue
                        src = x[b, first + ci, ih]
                        # q with 0 <= q*sw + c - pw < width
                        lo = min(wq, max(0, (pw - c + sw - 1) // sw))
                        hi = max(lo, min(wq, (width - 1 + pw - c) // sw + 1))
                        dst[:lo] = 0
                        dst[hi:] = 0
                        if sw == 1:
                            copy(dst[lo:], src[lo + c - pw :], hi - lo)
                        else:
                            d, s, usw = dst[lo:], src[lo * sw + c - pw :], np.uint64(sw)
                            for q in range(np.uint64(hi - lo)):
                                d[q] = s[q * usw]

    @jit
    def correlate_plane(out, flat, wk, offsets):
        # out (rows * Wq, flat) += sum over taps of wk[i, j] * flat[p + offsets[i, j]]
        kh, kw = wk.shape
        n = out.shape[0]
        if kh == 3 and kw == 3:  # one pass, nine terms, one source pointer: vectorises
            o00, o01, o02 = offsets[0, 0], offsets[0, 1], offsets[0, 2]  # unsigned
            o10, o11, o12 = offsets[1, 0], offsets[1, 1], offsets[1, 2]
            o20, o21, o22 = offsets[2, 0], offsets[2, 1], offsets[2, 2]
            w00, w01, w02 = wk[0, 0], wk[0, 1], wk[0, 2]
            w10, w11, w12 = wk[1, 0], wk[1, 1], wk[1, 2]
            w20, w21, w22 = wk[2, 0], wk[2, 1], wk[2, 2]
            for p in range(np.uint64(n)):
                out[p] += (
                    w00 * flat[p + o00] + w01 * flat[p + o01] + w02 * flat[p + o02]
                    + w10 * flat[p + o10] + w11 * flat[p + o11] + w12 * flat[p + o12]
                    + w20 * flat[p + o20] + w21 * flat[p + o21] + w22 * flat[p + o22]
                )  # fmt: skip
            return
        for i in range(kh):  # any other kernel: one long pass per tap
            for j in range(kw):
                wv, s = wk[i, j], flat[offsets[i, j] :]
                for p in range(np.uint64(n)):
                    out[p] += wv * s[p]

    return load_planes, correlate_plane, copy


@functools.cache
def flat_forward_kernel():
    """``flat_forward(start, stop, x, w, sh, sw, dh, dw, ph, pw, row0, y, per_group,
    offsets, hq, wq)``: the forward correlation on flattened phase buffers.

    Each job (image, group) copies the input rows it needs, zero-padded and split into
    stride phases (:func:`phase_layout`), into a small buffer that stays in cache. There
    every tap is one constant shift of the flattened buffer, so the work runs in long
    vector loops over whole planes (a 3x3 kernel: one pass with nine terms) instead of short
    rows; only the multiply-adds of real outputs are done (plus ``Wq - ow`` spare columns).
    Output rows ``row0 .. row0 + y.shape[2]`` of the planes go into ``y`` (N, C_out, rows,
    ow).
    """
    import numpy as np

    jit = _njit()
    load_planes, correlate_plane, copy = _plane_helpers()

    @jit
    def flat_forward(start, stop, x, w, sh, sw, dh, dw, ph, pw, row0, y, per_group, offsets,
                     hq, wq):  # fmt: skip
        c_out, c_group = w.shape[0], w.shape[1]
        rows, ow = y.shape[2], y.shape[3]
        buf = np.empty((c_group, sh * sw, hq, wq), dtype=y.dtype)
        out = np.empty(rows * wq, dtype=y.dtype)
        groups = c_out // per_group
        for job in range(start, stop):  # (image, group)
            b, grp = job // groups, job % groups
            load_planes(buf, x, b, grp * c_group, row0 * sh - ph, pw, sh, sw)
            for o in range(grp * per_group, (grp + 1) * per_group):
                out[:] = 0
                for ci in range(c_group):
                    correlate_plane(out, buf[ci].reshape(buf[ci].size), w[o, ci], offsets)
                for r in range(rows):
                    copy(y[b, o, r], out[r * wq :], ow)

    return flat_forward


@functools.cache
def flat_weight_grad_kernel():
    """``flat_weight_grad(start, stop, x, g, sh, sw, dh, dw, ph, pw, per_group, out,
    offsets, hq, wq)``: the weight gradient of groups ``start .. stop`` on phase buffers
    (see :func:`flat_forward_kernel`): ``g`` laid out ``Wq`` wide with zeros in the spare
    columns makes each tap one long dot product; float64 accumulators.
    """
    import numpy as np

    jit = _njit()
    load_planes, _, copy = _plane_helpers()

    @jit
    def nine_sums(acc, grid, flat, n, offsets):
        # acc[i, j] += sum_p grid[p] * flat[p + offsets[i, j]], 3x3, in one pass
        o00, o01, o02 = offsets[0, 0], offsets[0, 1], offsets[0, 2]  # unsigned
        o10, o11, o12 = offsets[1, 0], offsets[1, 1], offsets[1, 2]
        o20, o21, o22 = offsets[2, 0], offsets[2, 1], offsets[2, 2]
        s00 = s01 = s02 = s10 = s11 = s12 = s20 = s21 = s22 = grid[0] * 0
        for p in range(np.uint64(n)):
            gv = grid[p]
            s00 += gv * flat[p + o00]
            s01 += gv * flat[p + o01]
            s02 += gv * flat[p + o02]
            s10 += gv * flat[p + o10]
            s11 += gv * flat[p + o11]
            s12 += gv * flat[p + o12]
            s20 += gv * flat[p + o20]
            s21 += gv * flat[p + o21]
            s22 += gv * flat[p + o22]
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
    def flat_weight_grad(start, stop, x, g, sh, sw, dh, dw, ph, pw, per_group, out, offsets,
                         hq, wq):  # fmt: skip
        n_batch, c_out, oh, ow = g.shape
        c_group, kh, kw = out.shape[1], out.shape[2], out.shape[3]
        buf = np.empty((c_group, sh * sw, hq, wq), dtype=x.dtype)
        grid = np.zeros(oh * wq, dtype=x.dtype)  # columns ow .. Wq stay zero
        total = np.zeros((per_group, c_group, kh, kw), dtype=np.float64)
        n = oh * wq
        for grp in range(start, stop):
            total[:] = 0
            for b in range(n_batch):
                load_planes(buf, x, b, grp * c_group, -ph, pw, sh, sw)
                for ko in range(per_group):
                    o = grp * per_group + ko
                    for r in range(oh):
                        copy(grid[r * wq :], g[b, o, r], ow)
                    for ci in range(c_group):
                        flat = buf[ci].reshape(buf[ci].size)
                        if kh == 3 and kw == 3:
                            nine_sums(total[ko, ci], grid, flat, n, offsets)
                            continue
                        for i in range(kh):
                            for j in range(kw):
                                s = flat[offsets[i, j] :]
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


@functools.cache
def flat_transpose_kernel():
    """``flat_transpose(start, stop, g, w, sh, sw, dh, dw, ph, pw, per_group, x, offsets,
    hq, wq)``: the adjoint of ``flat_forward`` in its input, for the (image, group) jobs
    ``start .. stop``: each output gradient plane, laid out ``Wq`` wide, is added into the
    phase buffer at every tap's shift (one long vector loop per tap), and the buffer cells
    that are input cells go to ``x`` (N, C_in, H, W); the rest is padding and dropped.
    """
    import numpy as np

    jit = _njit()
    _, _, copy = _plane_helpers()

    @jit
    def store_planes(buf, x, b, first, top, pw, sh, sw):
        # the inverse of load_planes: x[b, first + ci, ih, iw] <- its phase-buffer cell
        height, width = x.shape[2], x.shape[3]
        hq, wq = buf.shape[2], buf.shape[3]
        for ci in range(buf.shape[0]):
            for a in range(sh):
                for rr in range(hq):
                    ih = top + rr * sh + a
                    if ih < 0 or ih >= height:
                        continue
                    dst = x[b, first + ci, ih]
                    for c in range(sw):
                        src = buf[ci, a * sw + c, rr]
                        lo = min(wq, max(0, (pw - c + sw - 1) // sw))
                        hi = max(lo, min(wq, (width - 1 + pw - c) // sw + 1))
                        if sw == 1:
                            copy(dst[lo + c - pw :], src[lo:], hi - lo)
                        else:
                            d, s, usw = dst[lo * sw + c - pw :], src[lo:], np.uint64(sw)
                            for q in range(np.uint64(hi - lo)):
                                d[q * usw] = s[q]

    @jit
    def flat_transpose(start, stop, g, w, sh, sw, dh, dw, ph, pw, per_group, x, offsets,
                       hq, wq):  # fmt: skip
        n_batch, c_out, oh, ow = g.shape
        c_group, kh, kw = w.shape[1], w.shape[2], w.shape[3]
        buf = np.empty((c_group, sh * sw, hq, wq), dtype=x.dtype)
        grid = np.zeros(oh * wq, dtype=x.dtype)  # columns ow .. Wq stay zero
        n = oh * wq
        groups = c_out // per_group
        for job in range(start, stop):  # (image, group)
            b, grp = job // groups, job % groups
            buf[:] = 0
            for o in range(grp * per_group, (grp + 1) * per_group):
                for r in range(oh):
                    copy(grid[r * wq :], g[b, o, r], ow)
                for ci in range(c_group):
                    flat = buf[ci].reshape(buf[ci].size)
                    for i in range(kh):
                        for j in range(kw):
                            wv, d = w[o, ci, i, j], flat[offsets[i, j] :]
                            for p in range(np.uint64(n)):
                                d[p] += wv * grid[p]
            store_planes(buf, x, b, grp * c_group, -ph, pw, sh, sw)

    return flat_transpose
