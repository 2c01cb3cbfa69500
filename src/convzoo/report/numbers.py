"""Live numbers for the tour: multiplications counted by the reference engine's own loops.

The reference engine (:mod:`convzoo.engine.reference`) counts every multiplication and
addition it performs; the tour quotes those counts next to the seed's closed formulas, so
a formula that disagrees with what the engine does would show.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import numpy as np

from .. import make_spec, pad
from ..engine import reference

__all__ = ["counted", "seed_stride_formula", "depthwise_separable_numbers"]


def counted(input_shape, weight_shape, **kwargs) -> Counter:
    """``Counter(mults=..., adds=...)`` of one convolution run by the reference loops.

    Examples
    --------
    >>> counts = counted((1, 1, 5, 5), (1, 1, 3, 3))
    >>> counts["mults"], counts["adds"]
    (81, 72)
    """
    spec = make_spec("counted", input_shape, weight_shape, **kwargs)
    x = np.ones(spec.input_shape)
    w = np.ones(spec.weight_shape)
    counter = Counter()
    xp = pad(x, spec.padding, spec.padding_mode, spec.padding_value)
    reference.correlate(xp, w, spec.stride, spec.dilation, spec.groups, counter)
    return counter


def seed_stride_formula(n, k, p, s) -> int:
    """The seed's output size with total padding ``p`` and stride ``s``:
    ``floor((n - k + p + s) / s)``.

    Examples
    --------
    >>> seed_stride_formula(224, 7, 6, 2)
    112
    """
    return (n - k + p + s) // s


def depthwise_separable_numbers(h_in, w_in, depth, kernel, filters) -> dict:
    """The seed's worked comparison, counted by the engine (no padding, stride 1).

    Examples
    --------
    >>> numbers = depthwise_separable_numbers(7, 7, 3, 3, 128)
    >>> numbers["standard"], numbers["depthwise"], numbers["pointwise"]
    (86400, 675, 9600)
    >>> numbers["ratio"] == Fraction(1, 128) + Fraction(1, 9)
    True
    """
    x = (1, depth, h_in, w_in)
    standard = counted(x, (filters, depth, kernel, kernel))["mults"]
    depthwise = counted(x, (depth, 1, kernel, kernel), groups=depth)["mults"]
    mid = (1, depth, h_in - kernel + 1, w_in - kernel + 1)
    pointwise = counted(mid, (filters, depth, 1, 1))["mults"]
    formula = filters * kernel * kernel * depth * (h_in - kernel + 1) * (w_in - kernel + 1)
    return {
        "standard": standard,
        "formula": formula,
        "depthwise": depthwise,
        "pointwise": pointwise,
        "separable": depthwise + pointwise,
        "ratio": Fraction(depthwise + pointwise, standard),
        "ratio_formula": Fraction(1, filters) + Fraction(1, kernel * kernel),
    }
