"""The engine's entry points on a :class:`~convzoo.spec.ConvSpec`: implicit zero padding.

``conv`` and ``conv_backward`` call :func:`forward`, :func:`input_grad` and
:func:`weight_grad`. Each chooses an algorithm (:mod:`.select`) and, when that algorithm
pads implicitly (its ``unpadded*`` hooks) and the padding is zeros, hands it the unpadded
input: no padded copy is made. Other padding modes pad first and take the padding's adjoint
(:mod:`convzoo.padding`) afterwards. The data go along to the choice so that non-finite
values reach only their windows (:mod:`.finite`).
"""

from __future__ import annotations

import numpy as np

from ..padding import pad, pad_adjoint, pads_with_zeros
from . import gemm
from .finite import spreads_non_finite
from .select import Problem, choose, choose_transpose, correlate_transpose

__all__ = ["forward", "input_grad", "weight_grad"]


def _padded_shape(shape, padding) -> tuple[int, ...]:
    return (*shape[:2], *(n + lo + hi for n, (lo, hi) in zip(shape[2:], padding, strict=True)))


def _fill(spec) -> np.ndarray:
    """The constant padding value (0 for other modes), as data the choice must respect."""
    return np.asarray(spec.padding_value if spec.padding_mode == "constant" else 0.0, float)


def forward(x, w, spec, algorithm="auto", func="conv"):
    """``correlate(pad(x), w)`` for a :class:`~convzoo.spec.ConvSpec`, without the padded copy
    when the chosen algorithm pads implicitly and the padding is zeros.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.spec import make_spec
    >>> spec = make_spec("conv", (1, 1, 3), (1, 1, 3), padding=1)
    >>> forward(np.ones((1, 1, 3)), np.ones((1, 1, 3)), spec)
    array([[[2., 3., 2.]]])
    """
    s, d, g, pads = spec.stride, spec.dilation, spec.groups, spec.padding
    problem = Problem(_padded_shape(x.shape, pads), w.shape, s, d, g, x.dtype)
    chosen = choose(problem, algorithm, func, data=(x, w, _fill(spec)))
    if chosen.unpadded is not None and pads_with_zeros(spec.padding_mode, spec.padding_value):
        return chosen.unpadded(x, w, s, d, g, pads)
    return chosen.correlate(pad(x, pads, spec.padding_mode, spec.padding_value), w, s, d, g)


def input_grad(grad_output, w, spec, algorithm="auto", func="conv"):
    """Gradient of :func:`forward` in its (unpadded) input: the adjoint, then the adjoint of
    the padding, or one cropped adjoint kernel when the padding is zeros.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.spec import make_spec
    >>> spec = make_spec("conv", (1, 1, 3), (1, 1, 3), padding=1)
    >>> input_grad(np.ones((1, 1, 3)), np.ones((1, 1, 3)), spec)
    array([[[2., 3., 2.]]])
    """
    s, d, g = spec.stride, spec.dilation, spec.groups
    chosen, native = choose_transpose(grad_output, w, s, d, g, spec.padded_spatial, algorithm,
                                      func)  # fmt: skip
    zero = pads_with_zeros(spec.padding_mode, spec.padding_value)
    # a transposed convolution's output_padding can leave cells no window reaches at stride
    # 1, where the cropped kernels assume every cell is reached: those go the full way
    reached = grad_output.shape[2:] == spec.output_spatial
    if native and chosen.unpadded_transpose is not None and zero and reached:
        return chosen.unpadded_transpose(grad_output, w, s, d, g, spec.padding,
                                         spec.input_spatial)  # fmt: skip
    full = correlate_transpose(grad_output, w, s, d, g, spec.padded_spatial, algorithm, func)
    return pad_adjoint(full, spec.padding, spec.padding_mode, spec.input_spatial)


def weight_grad(x, grad_output, spec, algorithm="auto", func="conv"):
    """Weight gradient of :func:`forward`, without the padded copy when the chosen algorithm
    pads implicitly and the padding is zeros.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.spec import make_spec
    >>> spec = make_spec("conv", (1, 1, 3), (1, 1, 3), padding=1)
    >>> weight_grad(np.ones((1, 1, 3)), np.ones((1, 1, 3)), spec)
    array([[[2., 3., 2.]]])
    """
    s, d, g, pads, kernel = spec.stride, spec.dilation, spec.groups, spec.padding, spec.kernel_size
    w_shape = (grad_output.shape[1], x.shape[1] // g, *kernel)
    problem = Problem(_padded_shape(x.shape, pads), w_shape, s, d, g, x.dtype)
    chosen = choose(problem, algorithm, func, weight_grad=True, data=(x, grad_output, _fill(spec)))
    zero = pads_with_zeros(spec.padding_mode, spec.padding_value)
    if chosen.unpadded_weight_grad is not None and zero:
        dw = chosen.unpadded_weight_grad(x, grad_output, kernel, s, d, g, pads)
        if spreads_non_finite(chosen, dw):  # see spreads_non_finite
            return gemm.unpadded_weight_grad(x, grad_output, kernel, s, d, g, pads)
        return dw
    xp = pad(x, pads, spec.padding_mode, spec.padding_value)
    dw = chosen.weight_grad(xp, grad_output, kernel, s, d, g)
    if spreads_non_finite(chosen, dw):
        return gemm.correlate_weight_grad(xp, grad_output, kernel, s, d, g)
    return dw
