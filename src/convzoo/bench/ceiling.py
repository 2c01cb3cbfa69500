"""The speed-up ceiling: the shortest time any algorithm could take on this machine.

The benchmark compares convzoo with a textbook NumPy convolution; how much faster than it
*anything* can be is bounded by two things no algorithm escapes: the multiply-adds the
problem needs at the least (:func:`fewest_macs`), done at the measured sgemm peak, and the
compulsory memory traffic (inputs, weights and outputs once), moved at the measured stream
bandwidth (:func:`floor_seconds`). The textbook's time over that floor is the ceiling the
report prints next to each measured speed-up.

References
----------
Winograd, "Arithmetic Complexity of Computations", SIAM 1980 (a correlation of ``m``
outputs with an ``r``-tap filter needs ``m + r - 1`` multiplications); Williams, Waterman
and Patterson, "Roofline: an insightful visual performance model for multicore
architectures", CACM 52(4), 2009.
"""

from __future__ import annotations

import math

__all__ = ["fewest_macs", "floor_seconds"]


def fewest_macs(problem) -> int:
    """The fewest multiply-adds any algorithm needs: one per output element per input channel
    of its group.

    A lower bound for the speed-up ceiling, not a count of any real algorithm: Winograd's
    minimal filtering F(m, r) needs ``m + r - 1`` multiplications for ``m`` outputs of an
    ``r``-tap kernel, which tends to one per output as the tile grows, and an FFT's products
    per frequency bin likewise; what no transform removes is the sum over input channels
    (short of Strassen-like matrix products, which no CPU convolution library uses at these
    sizes). So this is the direct method's count divided by the kernel's taps.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.engine.select import Problem
    >>> p = Problem((8, 64, 58, 58), (64, 64, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    >>> p.macs // fewest_macs(p)  # a 3x3 kernel: 9 taps
    9
    """
    return problem.macs // math.prod(problem.weight_shape[2:])


def floor_seconds(flops: float, traffic: float, roofs: dict) -> float:
    """The shortest time any algorithm could take on this machine.

    ``flops`` (the fewest the problem needs, :func:`fewest_macs`) at the measured
    sgemm peak, or the compulsory ``traffic`` in bytes at the measured stream bandwidth,
    whichever takes longer. The textbook's time over it is the *ceiling* of the speed-up
    over the textbook: what no algorithm can beat here, however clever.

    Examples
    --------
    >>> roofs = {"peak_gflops": 200.0, "peak_gbs": 40.0}
    >>> floor_seconds(2e9, 1e6, roofs), floor_seconds(2e6, 4e8, roofs)  # compute, memory
    (0.01, 0.01)
    """
    return max(flops / (roofs["peak_gflops"] * 1e9), traffic / (roofs["peak_gbs"] * 1e9))
