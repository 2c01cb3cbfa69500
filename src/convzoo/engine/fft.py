"""FFT convolution for large kernels (convolution theorem).

A correlation is a product in the frequency domain: with ``L >= n`` cells per axis,
``irfft(rfft(x) * conj(rfft(w)))[p] = sum_t x[(p + t) mod L] w[t]``, which equals the
linear correlation wherever the window does not wrap, i.e. for every valid output position.
Summed over input channels, each frequency bin is a small complex matrix product
``(N, C) @ (C, C_out)``. The work is ``O(L log L)`` per channel for the transforms plus
``4*N*C*C_out`` real multiply-adds per bin, independent of the kernel size: it beats the
direct method once ``k^D`` is large (Mathieu, Henaff & LeCun, "Fast Training of
Convolutional Networks through FFTs", arXiv:1312.5851).

Dilation is handled by inserting zeros in the kernel, stride by computing every position
and subsampling (so FFT is only worth it at stride 1, which the cost model knows). The
spectra are processed in chunks of the batch and of the output channels so the workspace
stays bounded.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["supports", "cost", "correlate", "correlate_weight_grad"]

#: Largest spectrum workspace per chunk (bytes).
WORKSPACE_BYTES = 32 * 2**20


def _fft():
    try:
        import scipy.fft as backend

        return backend, {"workers": -1}
    except ImportError:  # pragma: no cover - scipy is a test dependency
        return np.fft, {}


def _fast_len(n: int) -> int:
    try:
        from scipy.fft import next_fast_len

        return next_fast_len(n, real=True)
    except ImportError:  # pragma: no cover
        return n


def supports(problem) -> bool:
    """Any correlation (at least one spatial dimension)."""
    return len(problem.weight_shape) >= 3


def cost(problem) -> float:
    """Transforms (``~5 L log2 L`` flops each) plus per-bin complex products at 1/4 of peak.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> from convzoo.engine import gemm
    >>> big = Problem((4, 8, 140, 140), (8, 8, 13, 13), (1, 1), (1, 1), 1, np.dtype("float32"))
    >>> small = Problem((4, 64, 34, 34), (64, 64, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    >>> bool(cost(big) < gemm.cost(big)), bool(cost(small) < gemm.cost(small))
    (True, False)
    """
    n_batch, c_in = problem.input_shape[:2]
    c_out, c_group = problem.weight_shape[:2]
    length = math.prod(_fast_len(n) for n in problem.input_shape[2:])
    bins = length // 2 + 1
    transforms = (n_batch * c_in + c_out * c_group + n_batch * c_out) * 5 * length
    transforms *= math.log2(max(length, 2)) / 2  # flops -> multiply-adds
    products = 4 * n_batch * c_out * c_group * bins / 0.125  # complex, small batched matmuls
    return 4 * transforms + products  # pocketfft runs far below BLAS speed


def _dilate(w, dilation):
    if set(dilation) == {1}:
        return w
    kernel = w.shape[2:]
    eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    out = np.zeros((*w.shape[:2], *eff), dtype=w.dtype)
    out[(Ellipsis, *(slice(None, None, d) for d in dilation))] = w
    return out


def _steps(total, per_item):
    step = max(1, min(total, WORKSPACE_BYTES // max(per_item, 1)))
    return [slice(i, min(i + step, total)) for i in range(0, total, step)]


def correlate(xp, w, stride, dilation, groups):
    """Correlation of a padded input via real FFTs (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> y = correlate(np.arange(8.0).reshape(1, 1, 8), np.array([[[1.0, 0.0, -1.0]]]),
    ...               (1,), (1,), 1)
    >>> np.round(y, 12).tolist()
    [[[-2.0, -2.0, -2.0, -2.0, -2.0, -2.0]]]
    """
    backend, kw = _fft()
    ndim = w.ndim - 2
    axes = tuple(range(-ndim, 0))
    wd = _dilate(w.astype(xp.dtype, copy=False), dilation)
    full = tuple(n - k + 1 for n, k in zip(xp.shape[2:], wd.shape[2:], strict=True))
    shape = tuple(_fast_len(n) for n in xp.shape[2:])
    n_batch, c_in = xp.shape[:2]
    c_out, c_group = w.shape[:2]
    per_group = c_out // groups
    complex_dtype = np.result_type(xp.dtype, np.complex64)
    wf = np.conj(backend.rfftn(wd, shape, axes=axes, **kw)).astype(complex_dtype)  # (K, C_g, *F)
    bins = wf.shape[2:]
    out = tuple(math.ceil(f / s) for f, s in zip(full, stride, strict=True))
    y = np.empty((n_batch, c_out, *out), dtype=xp.dtype)
    keep = (Ellipsis, *(slice(0, f, s) for f, s in zip(full, stride, strict=True)))
    spectrum_bytes = math.prod(bins) * np.dtype(complex_dtype).itemsize
    for batch in _steps(n_batch, c_in * spectrum_bytes):
        xf = backend.rfftn(xp[batch], shape, axes=axes, **kw)  # (n, C, *F)
        xf = xf.reshape(xf.shape[0], groups, c_group, -1).transpose(1, 3, 0, 2)  # (G, F, n, C_g)
        n = xf.shape[2]
        for g in range(groups):
            for chunk in _steps(per_group, n * spectrum_bytes):
                first = g * per_group
                wg = wf[first + chunk.start : first + chunk.stop].reshape(-1, c_group, xf.shape[1])
                # (F, n, C_g) @ (F, C_g, k) -> (F, n, k) -> (n, k, *F)
                yf = np.matmul(xf[g], wg.transpose(2, 1, 0)).transpose(1, 2, 0)
                spatial = backend.irfftn(yf.reshape(n, -1, *bins), shape, axes=axes, **kw)
                y[batch, first + chunk.start : first + chunk.stop] = spatial[keep]
    return y


def correlate_weight_grad(xp, g, kernel, stride, dilation, groups):
    """Weight gradient as a frequency-domain correlation of the input with ``g``.

    ``dw[o, c, t] = sum_{n,p} g[n, o, p] x[n, c, p*s + t*d]``: correlate ``x`` with ``g``
    (zeros inserted ``s - 1`` apart), keep lags ``t*d``.

    Examples
    --------
    >>> import numpy as np
    >>> dw = correlate_weight_grad(np.arange(5.0).reshape(1, 1, 5), np.ones((1, 1, 3)),
    ...                            (3,), (1,), (1,), 1)
    >>> np.round(dw, 12).tolist()
    [[[3.0, 6.0, 9.0]]]
    """
    backend, kw = _fft()
    ndim = len(kernel)
    axes = tuple(range(-ndim, 0))
    shape = tuple(_fast_len(n) for n in xp.shape[2:])
    n_batch, c_in = xp.shape[:2]
    c_out = g.shape[1]
    c_group, per_group = c_in // groups, c_out // groups
    dtype = np.result_type(xp, g)
    gz = np.zeros((n_batch, c_out, *xp.shape[2:]), dtype=dtype)
    gz[(Ellipsis, *(slice(0, (o - 1) * s + 1, s) for o, s in zip(g.shape[2:], stride)))] = g
    lags = (Ellipsis, *(slice(0, d * (k - 1) + 1, d) for k, d in zip(kernel, dilation)))
    xf = backend.rfftn(xp, shape, axes=axes, **kw)  # (N, C, *F)
    gf = np.conj(backend.rfftn(gz, shape, axes=axes, **kw))  # (N, K, *F)
    bins = xf.shape[2:]
    xf = xf.reshape(n_batch, groups, c_group, -1).transpose(1, 3, 0, 2)  # (G, F, N, C_g)
    gf = gf.reshape(n_batch, groups, per_group, -1).transpose(1, 3, 2, 0)  # (G, F, K_g, N)
    dw = np.empty((c_out, c_group, *kernel), dtype=dtype)
    for grp in range(groups):
        # (F, K_g, N) @ (F, N, C_g) -> (F, K_g, C_g) -> (K_g, C_g, *F)
        prod = np.matmul(gf[grp], xf[grp]).transpose(1, 2, 0).reshape(per_group, c_group, *bins)
        spatial = backend.irfftn(prod, shape, axes=axes, **kw)
        dw[grp * per_group : (grp + 1) * per_group] = spatial[lags]
    return dw
