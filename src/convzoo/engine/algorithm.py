"""What an engine algorithm is asked and what it must provide: :class:`Problem`, :class:`Algorithm`.

A :class:`Problem` describes one correlation by shapes and hyperparameters only (no data), so
that algorithms can say whether they support it and what it will cost before anything is
computed; :mod:`.select` registers the algorithms and chooses between them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Problem", "Algorithm"]


@dataclass(frozen=True)
class Problem:
    """A correlation to compute: shapes of the padded input and weight, and hyperparameters.

    Examples
    --------
    >>> import numpy as np
    >>> p = Problem((8, 64, 58, 58), (64, 64, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    >>> p.output_spatial, p.macs
    ((56, 56), 924844032)
    """

    input_shape: tuple[int, ...]
    weight_shape: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int
    dtype: np.dtype

    @property
    def output_spatial(self) -> tuple[int, ...]:
        from ..shapes import conv_length

        rows = zip(self.input_shape[2:], self.weight_shape[2:], self.stride, self.dilation)
        return tuple(conv_length(n, k, s, d) for n, k, s, d in rows)

    @property
    def macs(self) -> int:
        """Multiply-accumulates of the direct method."""
        n, c_out = self.input_shape[0], self.weight_shape[0]
        return n * c_out * math.prod(self.weight_shape[1:]) * math.prod(self.output_spatial)


@dataclass(frozen=True)
class Algorithm:
    """One way of computing a correlation (see the module docstring).

    Examples
    --------
    >>> from convzoo.engine.select import ALGORITHMS
    >>> ALGORITHMS["gemm"].name, ALGORITHMS["reference"].supports is not None
    ('gemm', True)
    """

    name: str
    correlate: Callable
    weight_grad: Callable
    supports: Callable[[Problem], bool]
    cost: Callable[[Problem], float]
    transpose: Callable | None = None  # a direct transposed kernel, if the algorithm has one
    weight_grad_cost: Callable[[Problem], float] | None = None  # defaults to ``cost``
    #: Cost of the native ``transpose`` for the forward problem; defaults to ``cost``.
    transpose_cost: Callable[[Problem], float] | None = None
    #: Implicit zero padding (no padded copy of the input), if the algorithm can:
    #: ``unpadded(x, w, stride, dilation, groups, padding)`` is ``correlate(pad(x), ...)``,
    #: ``unpadded_transpose(g, w, stride, dilation, groups, padding, spatial)`` is the
    #: adjoint cropped to the unpadded grid, ``unpadded_weight_grad(x, g, kernel, stride,
    #: dilation, groups, padding)`` is ``weight_grad(pad(x), ...)``; ``padding`` is
    #: ``((lo, hi), ...)``.
    unpadded: Callable | None = None
    unpadded_transpose: Callable | None = None
    unpadded_weight_grad: Callable | None = None
    #: Its transforms mix cells of different windows (Winograd, FFT): a NaN or inf would reach
    #: outputs whose windows do not hold it, so non-finite data goes to GEMM (:mod:`.finite`).
    mixes_windows: bool = False

    def grad_cost(self, problem: Problem) -> float:
        """Estimated cost of :attr:`weight_grad` on ``problem``."""
        return (self.weight_grad_cost or self.cost)(problem)
