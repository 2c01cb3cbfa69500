"""The convolution engine: one general N-d correlation and the algorithms that compute it.

``reference`` is the executable specification (plain loops); ``gemm`` the vectorised default;
``select`` chooses between every registered algorithm. Inputs arrive already padded: padding
modes live in :mod:`convzoo.padding`, argument checks in :mod:`convzoo.spec`.
"""

from .select import (
    ALGORITHMS,
    Algorithm,
    Problem,
    choose,
    correlate,
    correlate_transpose,
    correlate_weight_grad,
    register,
)

__all__ = [
    "ALGORITHMS",
    "Algorithm",
    "Problem",
    "choose",
    "correlate",
    "correlate_transpose",
    "correlate_weight_grad",
    "register",
]
