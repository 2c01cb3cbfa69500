"""The numba loops of the direct algorithm (:mod:`.direct`), with implicit zero padding.

No padded copy of the input is made (for a depthwise layer that copy costs as much as the
convolution): each job copies the input rows it needs, zero-padded and split into row-stride
phases (:func:`.direct.phase_layout`), into a small buffer that stays in cache. On that
buffer every kernel tap, at any stride and dilation, is one constant shift of the flattened
planes (columns are computed at stride 1 and every ``sw``-th kept), so
``flat_forward`` and ``flat_weight_grad`` run long vector loops over whole planes (a 3x3
kernel: one pass with nine terms, or nine sums) instead of short rows; ``flat_transpose``
is the adjoint in the input for strides above 1, the same shifts run backwards (at stride 1
the adjoint is a forward correlation with the flipped kernel, see
:func:`.direct.transpose_unpadded`). Negative padding crops.
Each kernel is compiled on first use and cached on disk.
"""

from __future__ import annotations

try:
    from numba import njit
except ImportError as error:  # pragma: no cover - numba is installed in CI
    raise ImportError("algorithm 'direct' needs numba: pip install convzoo[fast]") from error
import numpy as np

__all__ = ["flat_forward", "flat_transpose", "flat_weight_grad"]

#: Module-level kernels (closures over other kernels would miss numba's disk cache).
#: error_model="numpy": no zero-division checks (smaller code, faster first compile).
_jit = njit(cache=True, fastmath=True, nogil=True, error_model="numpy")  # threads: .parallel


@_jit
def copy(dst, src, n):
    for c in range(np.uint64(n)):  # unsigned: no wraparound checks, vectorises
        dst[c] = src[c]


@_jit
def spread(dst, src, n, step):
    """``dst[q*step] = src[q]`` for ``q < n`` (a row of outputs onto the computed grid)."""
    if step == 1:
        copy(dst, src, n)
        return
    ustep = np.uint64(step)
    for q in range(np.uint64(n)):
        dst[q * ustep] = src[q]


@_jit
def gather(dst, src, n, step):
    """``dst[q] = src[q*step]`` for ``q < n`` (a row of the computed grid to the output)."""
    if step == 1:
        copy(dst, src, n)
        return
    ustep = np.uint64(step)
    for q in range(np.uint64(n)):
        dst[q] = src[q * ustep]


@_jit
def inside_columns(wq, width, pw):
    """``(lo, hi)``: the buffer columns ``q`` whose input column ``q - pw`` exists."""
    lo = min(wq, max(0, pw))
    return lo, max(lo, min(wq, width + pw))


@_jit
def load_planes(buf, x, b, first, top, pw, sh):
    # buf (C_g, sh, Hq, Wq)[ci, a, rr, q] <- x[b, first + ci, top + rr*sh + a, q - pw],
    # zero outside x
    height, width = x.shape[2], x.shape[3]
    hq, wq = buf.shape[2], buf.shape[3]
    lo, hi = inside_columns(wq, width, pw)
    for ci in range(buf.shape[0]):
        for a in range(sh):
            for rr in range(hq):
                ih = top + rr * sh + a
                dst = buf[ci, a, rr]
                if ih < 0 or ih >= height:
                    dst[:] = 0
                    continue
                dst[:lo] = 0
                dst[hi:] = 0
                copy(dst[lo:], x[b, first + ci, ih, lo - pw :], hi - lo)


@_jit
def correlate_plane(out, flat, wk, offsets, first):
    # out (rows * Wq, flat) += sum over taps of wk[i, j] * flat[p + offsets[i, j]]; with
    # `first`, out = that sum (no zeroing pass, no read of out)
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
            total = (
                w00 * flat[p + o00] + w01 * flat[p + o01] + w02 * flat[p + o02]
                + w10 * flat[p + o10] + w11 * flat[p + o11] + w12 * flat[p + o12]
                + w20 * flat[p + o20] + w21 * flat[p + o21] + w22 * flat[p + o22]
            )  # fmt: skip
            out[p] = total if first else out[p] + total  # `first`: hoisted out of the loop
        return
    if first:
        out[:] = 0
    for i in range(kh):  # any other kernel: one long pass per tap
        for j in range(kw):
            wv, s = wk[i, j], flat[offsets[i, j] :]
            for p in range(np.uint64(n)):
                out[p] += wv * s[p]


@_jit
def flat_forward(start, stop, x, w, sh, step, dh, dw, ph, pw, row0, y, per_group,
                 offsets, hq, wq):  # fmt: skip
    """Output rows ``row0 .. row0 + y.shape[2]`` of the (image, group) jobs ``start ..
    stop`` into ``y`` (N, C_out, rows, ow).

    Each job copies the input rows it needs, zero-padded and split into row-stride phases
    (:func:`.direct.phase_layout`), into a small buffer that stays in cache; there every
    tap is one constant shift, so the work runs in long vector loops over whole planes (a
    3x3 kernel: one pass with nine terms). Columns are computed at stride 1 on a ``Wq``-wide
    grid and every ``sw``-th of the first ones is copied out.
    """
    c_out, c_group = w.shape[0], w.shape[1]
    rows, ow = y.shape[2], y.shape[3]
    buf = np.empty((c_group, sh, hq, wq), dtype=y.dtype)
    out = np.empty(rows * wq, dtype=y.dtype)
    groups = c_out // per_group
    for job in range(start, stop):  # (image, group)
        b, grp = job // groups, job % groups
        load_planes(buf, x, b, grp * c_group, row0 * sh - ph, pw, sh)
        for o in range(grp * per_group, (grp + 1) * per_group):
            for ci in range(c_group):
                correlate_plane(out, buf[ci].reshape(buf[ci].size), w[o, ci], offsets, ci == 0)
            for r in range(rows):
                gather(y[b, o, r], out[r * wq :], ow, step)


@_jit
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


@_jit
def flat_weight_grad(start, stop, x, g, sh, step, dh, dw, ph, pw, per_group, out,
                     offsets, hq, wq, block):  # fmt: skip
    """Weight gradient of the jobs ``start .. stop`` into ``out`` (C_out, C_g, kh, kw): job
    ``u`` is the block ``u % blocks`` of ``block`` output channels of group ``u // blocks``.
    ``g`` laid out ``Wq`` wide with zeros in the spare columns makes each tap one long dot
    product with the phase buffer; float64 accumulators.
    """
    n_batch, c_out, oh, ow = g.shape
    c_group, kh, kw = out.shape[1], out.shape[2], out.shape[3]
    blocks = (per_group + block - 1) // block
    buf = np.empty((c_group, sh, hq, wq), dtype=x.dtype)
    grid = np.zeros(oh * wq, dtype=x.dtype)  # cells between outputs stay zero
    total = np.zeros((block, c_group, kh, kw), dtype=np.float64)
    n = oh * wq
    for job in range(start, stop):
        grp, first_o = job // blocks, (job // blocks) * per_group + (job % blocks) * block
        count = min(block, (grp + 1) * per_group - first_o)
        total[:] = 0
        for b in range(n_batch):
            load_planes(buf, x, b, grp * c_group, -ph, pw, sh)
            for ko in range(count):
                for r in range(oh):
                    spread(grid[r * wq :], g[b, first_o + ko, r], ow, step)
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
        for ko in range(count):
            for ci in range(c_group):
                for i in range(kh):
                    for j in range(kw):
                        out[first_o + ko, ci, i, j] = total[ko, ci, i, j]


@_jit
def store_planes(buf, x, b, first, top, pw, sh):
    # the inverse of load_planes: x[b, first + ci, ih, iw] <- its phase-buffer cell
    height, width = x.shape[2], x.shape[3]
    hq, wq = buf.shape[2], buf.shape[3]
    lo, hi = inside_columns(wq, width, pw)
    for ci in range(buf.shape[0]):
        for a in range(sh):
            for rr in range(hq):
                ih = top + rr * sh + a
                if 0 <= ih < height:
                    copy(x[b, first + ci, ih, lo - pw :], buf[ci, a, rr, lo:], hi - lo)


@_jit
def flat_transpose(start, stop, g, w, sh, step, dh, dw, ph, pw, per_group, x,
                   offsets, hq, wq):  # fmt: skip
    """Adjoint of :func:`flat_forward` in its input for the (image, group) jobs ``start ..
    stop``: each output-gradient plane, laid out ``Wq`` wide, is added into the phase buffer
    at every tap's shift (one long vector loop per tap); the buffer cells that are input
    cells go to ``x`` (N, C_in, H, W), the padding cells are dropped.
    """
    n_batch, c_out, oh, ow = g.shape
    c_group, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    buf = np.empty((c_group, sh, hq, wq), dtype=x.dtype)
    grid = np.zeros(oh * wq, dtype=x.dtype)  # cells between outputs stay zero
    n = oh * wq
    groups = c_out // per_group
    for job in range(start, stop):  # (image, group)
        b, grp = job // groups, job % groups
        buf[:] = 0
        for o in range(grp * per_group, (grp + 1) * per_group):
            for r in range(oh):
                spread(grid[r * wq :], g[b, o, r], ow, step)
            for ci in range(c_group):
                flat = buf[ci].reshape(buf[ci].size)
                for i in range(kh):
                    for j in range(kw):
                        wv, d = w[o, ci, i, j], flat[offsets[i, j] :]
                        for p in range(np.uint64(n)):
                            d[p] += wv * grid[p]
        store_planes(buf, x, b, grp * c_group, -ph, pw, sh)
