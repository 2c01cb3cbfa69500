"""col2im as a numba kernel: add GEMM columns back onto a 2-D grid, cropped on the way.

The transposed convolution by GEMM (:func:`.col2im.correlate_transpose`) multiplies
``cols = W^T @ g``, whose entry ``(c, i, j, r, q)`` is the contribution of position
``(r, q)`` through tap ``(i, j)`` to cell ``(r*sh + i*dh, q*sw + j*dw)`` of the full grid.
Scattering each value to its cell (one strided ``+=`` per tap) runs at scalar speed. This
kernel splits the grid by stride phase instead: the cells ``(m*sh + a, l*sw + b)`` of phase
``(a, b)`` form a dense grid on which tap ``(i, j)`` lands as a shifted block, so every row
of ``cols`` is added with contiguous, vectorised loads and stores into a per-plane buffer.
The phases are then interleaved row by row and written straight into the cropped output
(the padding of the transposed convolution is a crop): no zero-filled full grid, no crop
copy. Planes (image, channel) run in parallel. Imported only when numba is present (the
``fast`` extra); :mod:`.col2im` falls back to NumPy otherwise.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["col2im_2d"]


@njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def col2im_2d(start, stop, cols, x, first_image, first_row, sh, sw, dh, dw, lo_h, lo_w,
              overwrite):  # fmt: skip
    """Planes ``start .. stop`` (flat ``b * C + c``) of ``cols`` (n, C, kh, kw, oh, ow;
    C-contiguous) onto ``x`` (N, C, H, W): column ``(r, q)`` of tap ``(i, j)`` lands on cell
    ``((first_row + r)*sh + i*dh - lo_h, q*sw + j*dw - lo_w)`` of image ``first_image + b``
    (cells outside ``x`` are cropped). ``overwrite`` writes every cell of the planes (zero
    where nothing lands); otherwise the values are added to ``x`` (for blocks of rows).

    Examples
    --------
    A 1x2 kernel at stride 2 over a 1x2 grid puts each column's two taps side by side;
    ``lo_w = 1`` crops the first cell:

    >>> import numpy as np
    >>> cols = np.arange(4.0).reshape(1, 1, 1, 2, 1, 2)  # (n, C, kh, kw, oh, ow)
    >>> x = np.full((1, 1, 1, 4), np.nan)
    >>> col2im_2d(0, 1, cols, x, 0, 0, 1, 2, 1, 1, 0, 0, True)
    >>> x[0, 0].tolist()
    [[0.0, 2.0, 1.0, 3.0]]
    >>> col2im_2d(0, 1, cols, x, 0, 0, 1, 2, 1, 1, 0, 1, True)
    >>> x[0, 0].tolist()
    [[2.0, 1.0, 3.0, 0.0]]
    """
    channels, kh, kw, oh, ow = cols.shape[1:]
    height, width = x.shape[2], x.shape[3]
    # phase (a, b) holds rows m < rows_b, columns l < cols_b of the full grid's cells
    rows_b = oh + (kh - 1) * dh // sh
    cols_b = ow + (kw - 1) * dw // sw
    phase_size = rows_b * cols_b
    buf = np.empty(sh * sw * phase_size, cols.dtype)
    line = np.empty(sw * cols_b, cols.dtype)
    src = cols.reshape(-1)
    dst = x.reshape(-1)
    plane_size = kh * kw * oh * ow
    u_ow, u_cols_b = np.uint64(ow), np.uint64(cols_b)  # unsigned: no wraparound checks
    n_in = max(0, min(width, sw * cols_b - lo_w))  # output columns the grid reaches
    for job in range(start, stop):
        buf[:] = 0.0
        s = np.uint64(job * plane_size)
        for i in range(kh):
            a, shift_h = (i * dh) % sh, (i * dh) // sh
            for j in range(kw):
                b, shift_w = (j * dw) % sw, (j * dw) // sw
                d = np.uint64((a * sw + b) * phase_size + shift_h * cols_b + shift_w)
                for _ in range(oh):
                    for k in range(u_ow):
                        buf[d + k] += src[s + k]
                    s += u_ow
                    d += u_cols_b
        image, channel = first_image + job // channels, job % channels
        plane = np.uint64((image * channels + channel) * height * width)
        for y in range(height):
            full = y + lo_h - first_row * sh  # row of the block's full grid
            m, a = full // sh, full % sh
            row = plane + np.uint64(y * width)
            if full < 0 or m >= rows_b:  # nothing lands on this row
                if overwrite:
                    for col in range(np.uint64(width)):
                        dst[row + col] = 0.0
                continue
            base = np.uint64(a * sw * phase_size + m * cols_b)
            if sw == 2:  # the common case, as a loop the compiler vectorises
                odd = base + np.uint64(phase_size)
                for l in range(u_cols_b):
                    line[2 * l] = buf[base + l]
                    line[2 * l + np.uint64(1)] = buf[odd + l]
            else:
                for b in range(sw):
                    phase = base + np.uint64(b * phase_size)
                    for l in range(u_cols_b):
                        line[l * np.uint64(sw) + np.uint64(b)] = buf[phase + l]
            first = np.uint64(lo_w)
            if overwrite:
                for col in range(np.uint64(n_in)):
                    dst[row + col] = line[first + col]
                for col in range(np.uint64(n_in), np.uint64(width)):
                    dst[row + col] = 0.0
            else:
                for col in range(np.uint64(n_in)):
                    dst[row + col] += line[first + col]
