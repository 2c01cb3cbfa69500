"""Non-finite inputs and the algorithms whose transforms mix windows.

A NaN or an infinity in the input (or weight, or output gradient) must reach exactly the
outputs whose windows contain it, as in PyTorch and the reference loops. Direct kernels and
im2col + GEMM sum each window on its own, so they keep that property; Winograd and FFT do
not: their transforms mix every cell of a tile (or of the whole signal), so one NaN would
spread to outputs that never read it. Those algorithms are marked ``mixes_windows`` in
:mod:`.select`, which hands a problem with non-finite data to GEMM instead; :func:`all_finite`
is the check, one fast pass over each array. :func:`spreads_non_finite` is the check after
the fact for weight gradients whose dot products also run over spare cells.
"""

from __future__ import annotations

import numpy as np

__all__ = ["all_finite", "spreads_non_finite"]


def all_finite(*arrays) -> bool:
    """Whether every array holds only finite values (a cheap, conservative test).

    Contiguous float32/float64 arrays are checked with one BLAS dot product ``a . a``: it is
    finite exactly when every element is, except that huge finite values (beyond about 1e19
    in float32) overflow it, a false alarm that only costs the caller its fast algorithm.

    Examples
    --------
    >>> import numpy as np
    >>> all_finite(np.ones(3), np.zeros((2, 2))), all_finite(np.array([1.0, np.nan]))
    (True, False)
    >>> all_finite(np.array([np.inf], dtype=np.float32)[::-1])
    False
    """
    for a in arrays:
        a = np.asarray(a)
        if a.size == 0:
            continue
        if a.dtype in (np.float32, np.float64) and (a.flags.c_contiguous or a.flags.f_contiguous):
            flat = a.reshape(-1, order="C" if a.flags.c_contiguous else "F")  # a view
            with np.errstate(over="ignore", invalid="ignore"):
                if not np.isfinite(np.dot(flat, flat)):
                    return False
        elif not np.isfinite(a).all():
            return False
    return True


def spreads_non_finite(chosen, dw) -> bool:
    """Whether a weight gradient may hold NaN or inf that the data put in other entries.
    Algorithms that mix windows never get non-finite data (:func:`.select.choose`); the direct
    kernels' dot products also run over spare cells (zero times inf is NaN), so any
    non-finite ``dw`` not from GEMM or the loops (a check of the small result, not of the
    data) is recomputed by GEMM.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine import ALGORITHMS
    >>> dw = np.array([1.0, np.nan])
    >>> spreads_non_finite(ALGORITHMS["direct"], dw), spreads_non_finite(ALGORITHMS["gemm"], dw)
    (True, False)
    """
    return chosen.name not in ("gemm", "reference") and not np.isfinite(dw).all()
