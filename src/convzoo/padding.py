"""Padding of the spatial axes, in every mode, and its adjoint (for backward passes).

The seed pads "the edges with '0', '1' or other values"; frameworks add mirror and wrap
modes. Each mode is one rule mapping a padded position to the input position it copies
(:func:`source_index`); padding gathers along that map and the adjoint scatters gradients
back along it, so forward and backward can never disagree.

=========== =========================== ============================
mode        row ``a b c d``, pad 2      PyTorch / NumPy name
=========== =========================== ============================
zeros       ``0 0 | a b c d | 0 0``     ``zeros`` / ``constant``
constant    ``v v | a b c d | v v``     ``F.pad(value=v)`` / ``constant``
reflect     ``c b | a b c d | c b``     ``reflect`` / ``reflect``
replicate   ``a a | a b c d | d d``     ``replicate`` / ``edge``
circular    ``c d | a b c d | a b``     ``circular`` / ``wrap``
symmetric   ``b a | a b c d | d c``     (none) / ``symmetric``
=========== =========================== ============================
"""

from __future__ import annotations

import numpy as np

__all__ = ["source_index", "pad", "pad_adjoint", "pads_with_zeros"]

_CONSTANT = ("zeros", "constant")


def source_index(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """Input position that each of the ``lo + n + hi`` padded positions copies.

    Parameters
    ----------
    n : int
        Input length.
    lo, hi : int
        Padding before and after.
    mode : str
        A padding mode (see the module docstring).

    Returns
    -------
    ndarray of int, shape (lo + n + hi,)
        Index into the input, or ``-1`` for a constant cell.

    Examples
    --------
    >>> source_index(4, 2, 2, "reflect")
    array([2, 1, 0, 1, 2, 3, 2, 1])
    >>> source_index(4, 2, 2, "symmetric")
    array([1, 0, 0, 1, 2, 3, 3, 2])
    >>> source_index(4, 2, 2, "circular")
    array([2, 3, 0, 1, 2, 3, 0, 1])
    """
    j = np.arange(-lo, n + hi)
    if mode in _CONSTANT:
        return np.where((j >= 0) & (j < n), j, -1)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    if mode == "circular":
        return j % n
    if mode == "reflect":
        if n == 1:
            return np.zeros_like(j)
        m = j % (2 * n - 2)
        return np.where(m < n, m, 2 * n - 2 - m)
    if mode == "symmetric":
        m = j % (2 * n)
        return np.where(m < n, m, 2 * n - 1 - m)
    raise ValueError(f"pad: unknown padding_mode {mode!r}")


def pad(x: np.ndarray, pads, mode: str = "zeros", value: float = 0.0) -> np.ndarray:
    """Pad the trailing ``len(pads)`` axes of ``x``.

    Parameters
    ----------
    x : ndarray, shape (..., n_1, ..., n_D)
    pads : tuple of (int, int)
        ``(lo, hi)`` per padded axis, for the last ``D`` axes.
    mode : str
        ``'zeros'``, ``'constant'``, ``'reflect'``, ``'replicate'``, ``'circular'`` or
        ``'symmetric'``. Arguments are checked by :func:`convzoo.spec.make_spec`.
    value : float
        Fill value for ``'constant'``.

    Returns
    -------
    ndarray, shape (..., n_1 + lo_1 + hi_1, ..., n_D + lo_D + hi_D)

    Examples
    --------
    >>> import numpy as np
    >>> pad(np.array([[1.0, 2.0, 3.0]]), ((1, 2),), "constant", value=9.0)
    array([[9., 1., 2., 3., 9., 9.]])
    """
    lead = x.ndim - len(pads)
    if not any(lo or hi for lo, hi in pads):
        return x
    if mode in _CONSTANT:
        widths = [(0, 0)] * lead + [tuple(p) for p in pads]
        return np.pad(x, widths, mode="constant", constant_values=value)
    for axis, (lo, hi) in enumerate(pads, start=lead):
        if lo or hi:
            x = np.take(x, source_index(x.shape[axis], lo, hi, mode), axis=axis)
    return x


def pad_adjoint(g: np.ndarray, pads, mode: str, spatial) -> np.ndarray:
    """Adjoint of :func:`pad`: the gradient with respect to the unpadded input.

    Each padded cell sends its gradient back to the input cell it copied (constant cells
    send nothing).

    Parameters
    ----------
    g : ndarray, shape (..., n_1 + lo_1 + hi_1, ...)
        Gradient with respect to the padded array.
    pads : tuple of (int, int)
    mode : str
    spatial : tuple of int
        The unpadded lengths ``(n_1, ..., n_D)``.

    Returns
    -------
    ndarray, shape (..., n_1, ..., n_D)

    Examples
    --------
    >>> import numpy as np
    >>> pad_adjoint(np.ones((1, 6)), ((1, 2),), "replicate", (3,))
    array([[2., 1., 3.]])
    """
    lead = g.ndim - len(pads)
    if mode in _CONSTANT:
        index = (Ellipsis,) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, spatial))
        return np.ascontiguousarray(g[index])
    for axis, ((lo, hi), n) in enumerate(zip(pads, spatial, strict=True), start=lead):
        if not (lo or hi):
            continue
        moved = np.moveaxis(g, axis, 0)  # padded axis first
        out = moved[lo : lo + n].copy()
        source = source_index(n, lo, hi, mode)
        for i in (*range(lo), *range(lo + n, lo + n + hi)):  # the border cells only
            out[source[i]] += moved[i]
        g = np.moveaxis(out, 0, axis)
    return np.ascontiguousarray(g)


def pads_with_zeros(mode: str, value: float = 0.0) -> bool:
    """Whether padding mode ``mode`` (with fill ``value``) pads with zeros: the case fast
    algorithms handle implicitly, without a padded copy.

    Examples
    --------
    >>> pads_with_zeros("zeros"), pads_with_zeros("constant", 0.0), pads_with_zeros("reflect")
    (True, True, False)
    """
    return mode == "zeros" or (mode == "constant" and value == 0)
