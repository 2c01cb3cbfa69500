"""Separable kernels: a rank-1 2-D kernel as an outer product, and low-rank approximation.

A 2-D kernel ``K`` is spatially separable when ``K = outer(column, row)``, i.e. it has
rank 1; then a k x k convolution is a k x 1 convolution followed by a 1 x k one (2k instead
of k^2 multiplications per output). The singular value decomposition finds the factors and,
by the Eckart-Young theorem, the best rank-r approximation of any kernel.
"""

from __future__ import annotations

import numpy as np

from ._validate import positive_int

__all__ = ["separate", "low_rank"]


def _kernel(func, kernel):
    k = np.asarray(kernel)
    if k.ndim != 2 or k.dtype.kind not in "fiu" or k.size == 0:
        raise ValueError(
            f"{func}: kernel must be a non-empty 2-D real array; got shape {k.shape}, dtype "
            f"{k.dtype}"
        )
    return k.astype(np.result_type(k.dtype, np.float64), copy=False)


def separate(kernel, *, rtol=1e-10):
    """Factor a rank-1 2-D kernel into a column and a row with ``outer(column, row) == kernel``.

    Parameters
    ----------
    kernel : array_like, shape (kh, kw)
    rtol : float
        Singular values below ``rtol * s_max`` count as zero.

    Returns
    -------
    column : ndarray, shape (kh,)
    row : ndarray, shape (kw,)
        Scaled so both carry the same norm; the sign makes ``column``'s largest-magnitude
        entry positive.

    Raises
    ------
    ValueError
        If the kernel is not rank 1: the message reports its rank, singular values and the
        residual of the best rank-1 approximation (see :func:`low_rank`).

    Notes
    -----
    ``K = U diag(s) V^T``; rank 1 means ``s[1] <= rtol * s[0]``; then
    ``column = sqrt(s0) U[:, 0]``, ``row = sqrt(s0) V[:, 0]``.

    References
    ----------
    C. Eckart and G. Young, "The approximation of one matrix by another of lower rank",
    Psychometrika 1, 1936.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo import separate
    >>> sobel = np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])
    >>> column, row = separate(sobel)
    >>> (column / column[0]).round(12).tolist(), (row / row[0] + 0.0).round(12).tolist()
    ([1.0, 2.0, 1.0], [1.0, 0.0, -1.0])
    >>> bool(np.allclose(np.outer(column, row), sobel))
    True
    """
    k = _kernel("separate", kernel)
    u, s, vt = np.linalg.svd(k)
    rank = int(np.sum(s > rtol * s[0])) if s[0] > 0 else 0
    if rank > 1:
        residual = float(np.sqrt(np.sum(s[1:] ** 2)))
        relative = residual / float(np.sqrt(np.sum(s**2)))
        raise ValueError(
            f"separate: kernel of shape {k.shape} is not separable: its rank is {rank}, not 1 "
            f"(singular values {np.round(s, 6).tolist()}); the best rank-1 approximation "
            f"leaves a residual of {residual:.6g} (relative {relative:.3g}); use "
            f"low_rank(kernel, {rank}) for an exact sum of {rank} separable kernels"
        )
    scale = np.sqrt(s[0])
    column, row = u[:, 0] * scale, vt[0] * scale
    if column[np.argmax(np.abs(column))] < 0:
        column, row = -column, -row
    return column, row


def low_rank(kernel, rank):
    """Best rank-``rank`` separable approximation: a sum of ``rank`` column x row products.

    Parameters
    ----------
    kernel : array_like, shape (kh, kw)
    rank : int
        At most ``min(kh, kw)``.

    Returns
    -------
    columns : ndarray, shape (kh, rank)
    rows : ndarray, shape (rank, kw)
        ``columns @ rows`` is the approximation.
    error : float
        Frobenius norm of ``kernel - columns @ rows`` (the root-sum-square of the dropped
        singular values), the smallest possible for this rank.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo import low_rank
    >>> k = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> columns, rows, error = low_rank(k, 1)
    >>> round(error, 6), round(float(np.linalg.norm(k - columns @ rows)), 6)
    (0.365966, 0.365966)
    >>> low_rank(k, 2)[2] < 1e-12
    True
    """
    k = _kernel("low_rank", kernel)
    rank = positive_int("low_rank", "rank", rank)
    if rank > min(k.shape):
        raise ValueError(
            f"low_rank: rank={rank} must be at most min(kernel shape) = {min(k.shape)} for a "
            f"kernel of shape {k.shape}"
        )
    u, s, vt = np.linalg.svd(k, full_matrices=False)
    scale = np.sqrt(s[:rank])
    error = float(np.sqrt(np.sum(s[rank:] ** 2)))
    return u[:, :rank] * scale, scale[:, None] * vt[:rank], error
