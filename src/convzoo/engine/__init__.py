"""The convolution engine: one general N-d correlation and the algorithms that compute it.

``reference`` is the executable specification (plain loops); ``gemm`` (im2col / shifted GEMM
/ col2im on BLAS), ``direct`` (numba depthwise and narrow-group kernels; the 3x3 depthwise
ones in ``depthwise3x3``), ``winograd`` (F(2x2,3x3), F(4x4,3x3); 3x3x3 layers in
``winograd_3d``, 1-D kernels of up to 9 taps nested in ``winograd_1d``; stride-2 layers of 5
to 8 taps through their stride phases in ``winograd_strided``), ``dft`` and ``fft`` are the
fast algorithms; ``fused`` holds the fused
depthwise + pointwise and shuffle + grouped-pointwise kernels; ``select`` chooses between
every registered algorithm by cost, refined by timing with ``autotune`` on; ``parallel``
runs numba kernels on a thread pool.
Algorithms receive padded inputs (padding modes live in :mod:`convzoo.padding`, argument
checks in :mod:`convzoo.spec`) unless they pad implicitly with zeros: :func:`forward`,
:func:`input_grad` and :func:`weight_grad` take a spec and skip the padded copy for those.
"""

from .autotune import autotune_enabled, autotuning, set_autotune
from .implicit import forward, input_grad, weight_grad
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
    "autotune_enabled",
    "autotuning",
    "choose",
    "correlate",
    "correlate_transpose",
    "correlate_weight_grad",
    "forward",
    "input_grad",
    "register",
    "set_autotune",
    "weight_grad",
]
