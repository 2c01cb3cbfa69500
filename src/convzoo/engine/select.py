"""Algorithm selection: which engine computes a given correlation.

Every algorithm is an :class:`~.algorithm.Algorithm` (the interface, with the
:class:`~.algorithm.Problem` it is asked about, is in :mod:`.algorithm`): a name, a forward
``correlate`` on a padded input, a ``weight_grad``, a ``supports(problem)`` predicate and a
``cost(problem)`` estimate (in seconds-like units; only the order matters).
``algorithm="auto"`` takes the cheapest that supports the problem; any name in
:data:`ALGORITHMS` forces that one. Transposed convolutions and input gradients go through
the same selection (see :mod:`.adjoint`); the entry points on a
:class:`~convzoo.spec.ConvSpec`, with implicit padding, are in :mod:`.implicit`.
"""

from __future__ import annotations

import dataclasses
import functools

from . import dft, direct, fft, gemm, memo, reference, winograd, winograd_strided
from .adjoint import dilate_and_pad, transpose_weight
from .algorithm import Algorithm, Problem
from .finite import all_finite, spreads_non_finite

__all__ = [
    "Problem",
    "Algorithm",
    "ALGORITHMS",
    "register",
    "choose",
    "choose_transpose",
    "correlate",
    "correlate_transpose",
    "correlate_weight_grad",
    "transpose_problems",
    "transpose_with",
]


ALGORITHMS: dict[str, Algorithm] = {}


def register(algorithm: Algorithm) -> Algorithm:
    """Add an algorithm to :data:`ALGORITHMS` (a name may be registered once).

    Examples
    --------
    >>> from convzoo.engine import reference
    >>> loops = Algorithm("loops", reference.correlate, reference.correlate_weight_grad,
    ...                   supports=lambda p: True, cost=lambda p: 1e9 * p.macs)
    >>> register(loops).name in ALGORITHMS
    True
    >>> del ALGORITHMS["loops"]
    """
    if algorithm.name in ALGORITHMS or algorithm.name == "auto":
        raise ValueError(f"register: an algorithm named {algorithm.name!r} already exists")
    ALGORITHMS[algorithm.name] = algorithm
    return algorithm


register(
    Algorithm(
        "reference",
        reference.correlate,
        reference.correlate_weight_grad,
        supports=lambda p: True,
        cost=lambda p: 1e3 * p.macs,  # plain Python loops: never chosen by 'auto'
        transpose=reference.correlate_transpose,
    )
)
register(
    Algorithm(
        "gemm",
        gemm.correlate,
        gemm.correlate_weight_grad,
        supports=lambda p: True,
        cost=gemm.cost,
        transpose=gemm.correlate_transpose,
        weight_grad_cost=gemm.weight_grad_cost,
        unpadded=gemm.unpadded,
        unpadded_transpose=gemm.unpadded_transpose,
        unpadded_weight_grad=gemm.unpadded_weight_grad,
    )
)
register(
    Algorithm(
        "direct",
        direct.correlate,
        direct.correlate_weight_grad,
        supports=direct.supports,
        cost=direct.cost,
        transpose=direct.correlate_transpose,
        unpadded=direct.correlate_unpadded,
        unpadded_transpose=direct.transpose_unpadded,
        unpadded_weight_grad=direct.weight_grad_unpadded,
    )
)
for _m in (2, 4):
    register(
        Algorithm(
            f"winograd_f{_m}",
            functools.partial(winograd.correlate, m=_m),
            functools.partial(winograd.weight_grad, m=_m),
            supports=functools.partial(winograd.supports, m=_m),
            cost=functools.partial(winograd.cost, m=_m),
            transpose=functools.partial(winograd.transpose, m=_m),
            weight_grad_cost=functools.partial(winograd.weight_grad_cost, m=_m),
            unpadded=functools.partial(winograd.unpadded, m=_m),
            unpadded_transpose=functools.partial(winograd.unpadded_transpose, m=_m),
            unpadded_weight_grad=functools.partial(winograd.unpadded_weight_grad, m=_m),
            mixes_windows=True,
        )
    )
register(
    Algorithm(
        "winograd_s2",
        winograd_strided.correlate,
        winograd_strided.weight_grad,
        supports=winograd_strided.supports,
        cost=winograd_strided.cost,
        transpose=winograd_strided.transpose,
        weight_grad_cost=winograd_strided.weight_grad_cost,
        transpose_cost=winograd_strided.transpose_cost,
        unpadded=winograd_strided.unpadded,
        unpadded_transpose=winograd_strided.unpadded_transpose,
        unpadded_weight_grad=winograd_strided.unpadded_weight_grad,
        mixes_windows=True,
    )
)


register(
    Algorithm(
        "fft",
        fft.correlate,
        fft.correlate_weight_grad,
        supports=fft.supports,
        cost=fft.cost,
        mixes_windows=True,
    )
)
register(
    Algorithm(
        "dft",
        dft.correlate,
        dft.correlate_weight_grad,
        supports=dft.supports,
        cost=dft.cost,
        transpose=dft.correlate_transpose,
        weight_grad_cost=dft.weight_grad_cost,
        unpadded=dft.unpadded,
        unpadded_transpose=dft.unpadded_transpose,
        unpadded_weight_grad=dft.unpadded_weight_grad,
        mixes_windows=True,
    )
)


def choose(
    problem: Problem, algorithm: str = "auto", func: str = "conv", weight_grad: bool = False,
    data: tuple = (),
) -> Algorithm:  # fmt: skip
    """The algorithm to use for ``problem``: the named one, or the cheapest that supports it.
    A problem with nothing to compute (an empty batch or channel axis) goes to the reference
    loops, which return the empty or all-zero result (after a forced algorithm's own check).
    If ``data`` (the arrays the computation reads) holds a NaN or inf and the choice mixes
    windows, GEMM computes it instead (:mod:`.finite`).

    Examples
    --------
    >>> import numpy as np
    >>> p = Problem((1, 3, 8, 8), (4, 3, 3, 3), (1, 1), (1, 1), 1, np.dtype("float64"))
    >>> choose(p, "reference").name
    'reference'
    >>> choose(Problem((0, 3, 8, 8), (4, 3, 3, 3), (1, 1), (1, 1), 1, np.dtype("float64"))).name
    'reference'
    """
    if algorithm == "auto":
        if problem.macs == 0:
            return ALGORITHMS["reference"]
        return _within_windows(
            memo.remembered(("forward", problem, weight_grad), _cheapest, [*ALGORITHMS.values()]),
            data,
        )
    if algorithm not in ALGORITHMS:
        raise ValueError(
            f"{func}: algorithm must be 'auto' or one of {sorted(ALGORITHMS)}; got {algorithm!r}"
        )
    chosen = ALGORITHMS[algorithm]
    if not chosen.supports(problem):
        raise ValueError(
            f"{func}: algorithm={algorithm!r} does not support this convolution "
            f"(kernel {problem.weight_shape[2:]}, stride {problem.stride}, dilation "
            f"{problem.dilation}, groups {problem.groups}); use algorithm='auto'"
        )
    return ALGORITHMS["reference"] if problem.macs == 0 else _within_windows(chosen, data)


def _cheapest(key) -> Algorithm:
    _, problem, weight_grad = key
    usable = [a for a in ALGORITHMS.values() if a.supports(problem)]
    return min(usable, key=lambda a: a.grad_cost(problem) if weight_grad else a.cost(problem))


def _within_windows(chosen: Algorithm, data) -> Algorithm:
    """``chosen``, or GEMM if ``chosen`` mixes windows and ``data`` is not all finite."""
    if chosen.mixes_windows and not all_finite(*data):
        return ALGORITHMS["gemm"]
    return chosen


def _problem(xp, w, stride, dilation, groups):
    return Problem(xp.shape, w.shape, tuple(stride), tuple(dilation), groups, xp.dtype)


def correlate(xp, w, stride, dilation, groups, algorithm="auto", func="conv"):
    """Forward correlation of a padded input by the chosen algorithm.

    Examples
    --------
    >>> import numpy as np
    >>> correlate(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), (1, 1), (1, 1), 1)[0, 0, 0]
    array([9., 9., 9.])
    """
    chosen = choose(_problem(xp, w, stride, dilation, groups), algorithm, func, data=(xp, w))
    return chosen.correlate(xp, w, stride, dilation, groups)


def _adjoint_problem(g_shape, w_shape, dilation, groups, full_spatial, dtype) -> Problem:
    """The stride-1 forward problem the zero-insertion adjoint hands to an algorithm."""
    kernel = tuple(w_shape[2:])
    reach = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
    padded = tuple(f + r for f, r in zip(full_spatial, reach, strict=True))
    c_in = w_shape[1] * groups
    return Problem(
        (g_shape[0], g_shape[1], *padded),
        (c_in, w_shape[0] // groups, *kernel),
        (1,) * len(kernel),
        tuple(dilation),
        groups,
        dtype,
    )


def choose_transpose(g, w, stride, dilation, groups, full_spatial, algorithm="auto", func="conv"):
    """``(algorithm, direct)`` for the adjoint: a native ``transpose`` kernel if the chosen
    algorithm has one (``direct=True``), else the algorithm run on the zero-inserted problem.

    With ``'auto'`` every way is costed: native kernels at the forward problem's cost, the
    derived way at the cost of the (larger, stride-1) problem it really computes. Non-finite
    data go to GEMM (:mod:`.finite`): a non-finite ``g`` when the choice mixes windows; a
    non-finite ``w`` always, to its col2im, which multiplies real outputs only (every
    correlation form of the adjoint multiplies ``w`` by padding zeros: 0 * NaN is NaN).
    """
    chosen, native = _transpose_choice(g, w, stride, dilation, groups, full_spatial, algorithm,
                                       func)  # fmt: skip
    if chosen.name == "reference":
        return chosen, native
    if not all_finite(w):  # w is small: checking it costs nothing
        return _GEMM_COL2IM, True
    if chosen.mixes_windows and not all_finite(g):
        return ALGORITHMS["gemm"], True
    return chosen, native


#: GEMM with col2im as its only adjoint (no flipped-kernel correlation over zero padding).
_GEMM_COL2IM = dataclasses.replace(ALGORITHMS["gemm"], unpadded_transpose=None)


def _transpose_choice(g, w, stride, dilation, groups, full_spatial, algorithm, func):
    if algorithm == "auto":  # remembered by the raw arguments: no problems built per call
        key = ("transpose", g.shape, w.shape, tuple(stride), tuple(dilation), groups,
               tuple(full_spatial), g.dtype)  # fmt: skip
        return memo.remembered(key, _auto_transpose, [*ALGORITHMS.values()])
    forward, derived = transpose_problems(g.shape, w.shape, stride, dilation, groups,
                                           full_spatial, g.dtype)  # fmt: skip
    if forward.macs == 0:  # nothing to compute: see choose()
        return choose(derived, algorithm, func), False
    chosen = ALGORITHMS.get(algorithm)
    if chosen is not None and chosen.transpose is not None and chosen.supports(forward):
        return chosen, True
    return choose(derived, algorithm, func), False


def transpose_problems(g_shape, w_shape, stride, dilation, groups, full_spatial, dtype):
    """The forward problem whose adjoint is asked for, and the stride-1 problem of the
    zero-insertion adjoint.

    Examples
    --------
    >>> import numpy as np
    >>> forward, derived = transpose_problems((8, 128, 16, 16), (128, 64, 4, 4), (2, 2),
    ...                                       (1, 1), 1, (34, 34), np.dtype("float32"))
    >>> forward.input_shape, derived.input_shape, derived.weight_shape
    ((8, 64, 34, 34), (8, 128, 37, 37), (64, 128, 4, 4))
    """
    forward = Problem(
        (g_shape[0], w_shape[1] * groups, *full_spatial),
        tuple(w_shape),
        tuple(stride),
        tuple(dilation),
        groups,
        dtype,
    )
    return forward, _adjoint_problem(g_shape, w_shape, dilation, groups, full_spatial, dtype)


def _auto_transpose(key) -> tuple[Algorithm, bool]:
    forward, derived = transpose_problems(*key[1:])
    if forward.macs == 0:  # nothing to compute: see choose()
        return choose(derived), False
    return _cheapest_transpose(forward, derived)


def _cheapest_transpose(forward, derived) -> tuple[Algorithm, bool]:
    native = [a for a in ALGORITHMS.values() if a.transpose is not None and a.supports(forward)]
    options = [((a.transpose_cost or a.cost)(forward), a.name, a, True) for a in native]
    options += [(a.cost(derived), a.name, a, False) for a in ALGORITHMS.values()
                if a.supports(derived)]  # fmt: skip
    _, _, chosen, native = min(options, key=lambda option: option[:2])
    return chosen, native


def correlate_transpose(
    g, w, stride, dilation, groups, full_spatial, algorithm="auto", func="conv"
):
    """Adjoint of :func:`correlate` in its input, uncropped: ``(N, C_in, *full_spatial)``.

    Examples
    --------
    >>> import numpy as np
    >>> correlate_transpose(np.ones((1, 1, 2)), np.ones((1, 1, 3)), (2,), (1,), 1, (5,))
    array([[[1., 1., 2., 1., 1.]]])
    """
    chosen, native = choose_transpose(g, w, stride, dilation, groups, full_spatial, algorithm, func)
    return transpose_with(chosen, native, g, w, stride, dilation, groups, full_spatial)


def transpose_with(chosen, native, g, w, stride, dilation, groups, full_spatial):
    """:func:`correlate_transpose` by ``chosen``: its native adjoint, or (``native=False``)
    its forward correlation of the zero-inserted output gradient with the flipped kernel.

    Examples
    --------
    >>> import numpy as np
    >>> gemm = ALGORITHMS["gemm"]
    >>> g, w = np.ones((1, 1, 2)), np.ones((1, 1, 3))
    >>> [transpose_with(gemm, native, g, w, (2,), (1,), 1, (5,))[0, 0].tolist()
    ...  for native in (True, False)]
    [[1.0, 1.0, 2.0, 1.0, 1.0], [1.0, 1.0, 2.0, 1.0, 1.0]]
    """
    if native:
        return chosen.transpose(g, w, stride, dilation, groups, full_spatial)
    kernel = w.shape[2:]
    z = dilate_and_pad(g, kernel, stride, dilation, full_spatial)
    ones = (1,) * len(kernel)
    return chosen.correlate(z, transpose_weight(w, groups), ones, dilation, groups)


def correlate_weight_grad(xp, g, kernel, stride, dilation, groups, algorithm="auto", func="conv"):
    """Weight gradient of :func:`correlate` given the output gradient ``g``.

    Examples
    --------
    >>> import numpy as np
    >>> xp = np.arange(5.0).reshape(1, 1, 5)
    >>> correlate_weight_grad(xp, np.ones((1, 1, 3)), (3,), (1,), (1,), 1)
    array([[[3., 6., 9.]]])
    """
    w_shape = (g.shape[1], xp.shape[1] // groups, *kernel)
    problem = Problem(xp.shape, w_shape, tuple(stride), tuple(dilation), groups, xp.dtype)
    chosen = choose(problem, algorithm, func, weight_grad=True, data=(xp, g))
    dw = chosen.weight_grad(xp, g, kernel, stride, dilation, groups)
    if spreads_non_finite(chosen, dw):
        return gemm.correlate_weight_grad(xp, g, kernel, stride, dilation, groups)
    return dw
