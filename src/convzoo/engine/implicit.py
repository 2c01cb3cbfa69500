"""The engine's entry points on a :class:`~convzoo.spec.ConvSpec`: implicit zero padding.

``conv`` and ``conv_backward`` call :func:`forward`, :func:`input_grad` and
:func:`weight_grad`. Each chooses an algorithm (:mod:`.select`) and, when that algorithm
pads implicitly (its ``unpadded*`` hooks) and the padding is zeros, hands it the unpadded
input: no padded copy is made. Other padding modes pad first and take the padding's adjoint
(:mod:`convzoo.padding`) afterwards. The data go along to the choice so that non-finite
values reach only their windows (:mod:`.finite`). With autotuning on (:mod:`.autotune`),
``auto`` times the candidates on the call's data the first time it meets a problem.
"""

from __future__ import annotations

import numpy as np

from ..padding import pad, pad_adjoint, pads_with_zeros
from . import autotune, gemm
from .finite import all_finite, spreads_non_finite
from .select import (
    ALGORITHMS,
    Problem,
    choose,
    choose_transpose,
    transpose_problems,
    transpose_with,
)

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
    chosen = _choose("forward", problem, spec, algorithm, func, (x, w, _fill(spec)),
                     lambda a: _forward_with(a, x, w, spec))  # fmt: skip
    return _forward_with(chosen, x, w, spec)


def _forward_with(chosen, x, w, spec):
    s, d, g, pads = spec.stride, spec.dilation, spec.groups, spec.padding
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
    key, candidates = _transpose_candidates(grad_output, w, spec, algorithm)
    if candidates:

        def run(candidate):
            return _input_grad_with(*candidate, grad_output, w, spec)

        chosen, native = autotune.tuned(key, candidates, run)
    else:
        chosen, native = choose_transpose(grad_output, w, s, d, g, spec.padded_spatial,
                                          algorithm, func)  # fmt: skip
    return _input_grad_with(chosen, native, grad_output, w, spec)


def _transpose_candidates(grad_output, w, spec, algorithm) -> tuple[str, list]:
    """Autotuning's key and candidates for the input gradient (none when it does not tune):
    every native adjoint and every algorithm on the zero-inserted adjoint problem."""
    if algorithm != "auto" or not autotune.autotune_enabled():
        return "", []  # the usual path builds no problems (its choice is remembered)
    s, d, g = spec.stride, spec.dilation, spec.groups
    forward, derived = transpose_problems(grad_output.shape, w.shape, s, d, g,
                                           spec.padded_spatial, grad_output.dtype)  # fmt: skip
    if not _tuning(algorithm, forward, (grad_output, w)):
        return "", []
    candidates = [(f"{a.name}+native", (a, True), (a.transpose_cost or a.cost)(forward))
                  for a in _usable(forward) if a.transpose is not None]  # fmt: skip
    candidates += [(a.name, (a, False), a.cost(derived)) for a in _usable(derived)]
    return _key(f"input_grad {grad_output.shape[2:]}", forward, spec), candidates


def _input_grad_with(chosen, native, grad_output, w, spec):
    s, d, g = spec.stride, spec.dilation, spec.groups
    zero = pads_with_zeros(spec.padding_mode, spec.padding_value)
    # a transposed convolution's output_padding can leave cells no window reaches at stride
    # 1, where the cropped kernels assume every cell is reached: those go the full way
    reached = grad_output.shape[2:] == spec.output_spatial
    if native and chosen.unpadded_transpose is not None and zero and reached:
        return chosen.unpadded_transpose(grad_output, w, s, d, g, spec.padding,
                                         spec.input_spatial)  # fmt: skip
    full = transpose_with(chosen, native, grad_output, w, s, d, g, spec.padded_spatial)
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
    data = (x, grad_output, _fill(spec))
    chosen = _choose("weight_grad", problem, spec, algorithm, func, data,
                     lambda a: _weight_grad_with(a, x, grad_output, spec))  # fmt: skip
    return _weight_grad_with(chosen, x, grad_output, spec)


def _weight_grad_with(chosen, x, grad_output, spec):
    s, d, g, pads, kernel = spec.stride, spec.dilation, spec.groups, spec.padding, spec.kernel_size
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


def _choose(kind, problem, spec, algorithm, func, data, run):
    """The algorithm of a forward (``kind='forward'``) or weight-gradient pass: timed with
    ``run(algorithm)`` when autotuning applies, else the cost model's or the forced one."""
    weight_grad = kind == "weight_grad"
    usable = _usable(problem) if _tuning(algorithm, problem, data) else []
    if not usable:
        return choose(problem, algorithm, func, weight_grad=weight_grad, data=data)
    candidates = [(a.name, a, a.grad_cost(problem) if weight_grad else a.cost(problem))
                  for a in usable]  # fmt: skip
    return autotune.tuned(_key(kind, problem, spec), candidates, run)


def _tuning(algorithm, problem, data) -> bool:
    """Whether this call's choice is tuned by timing: ``auto``, autotuning on, something to
    compute, and finite data (non-finite data go where :func:`.select.choose` sends them)."""
    return (
        algorithm == "auto"
        and autotune.autotune_enabled()
        and problem.macs > 0
        and all_finite(*data)
    )


def _usable(problem) -> list:
    """The algorithms autotuning times for ``problem``: all that support it but the
    reference loops (the executable specification, orders of magnitude slower)."""
    return [a for a in ALGORITHMS.values() if a.name != "reference" and a.supports(problem)]


def _key(kind, problem, spec) -> str:
    """The problem as autotuning's cache knows it (the padding decides the unpadded paths)."""
    return (
        f"{kind} {problem.input_shape} {problem.weight_shape} stride={problem.stride} "
        f"dilation={problem.dilation} groups={problem.groups} {problem.dtype} "
        f"padding={spec.padding} {spec.padding_mode}"
    )
