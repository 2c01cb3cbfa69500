"""Choices of algorithm='auto' are remembered: per problem, while the registry holds the
same algorithms, and (for transposed convolutions) by the raw arguments."""

from __future__ import annotations

import numpy as np
import pytest

from convzoo.engine import ALGORITHMS, Problem, choose
from convzoo.engine.select import choose_transpose


def test_auto_choices_are_remembered_until_the_registry_changes():
    """'auto' costs every algorithm once per problem; registering a cheaper algorithm or
    removing it again makes the next choice among the new set (forward and transposed)."""
    from convzoo.engine import Algorithm, memo, register

    p = Problem((2, 8, 10, 10), (8, 8, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    g, w = np.ones((2, 8, 4, 4)), np.ones((8, 8, 3, 3))
    first, first_t = choose(p), choose_transpose(g, w, (2, 2), (1, 1), 1, (9, 9))
    assert ("forward", p, False) in memo._CHOICES
    free = Algorithm("free", ALGORITHMS["gemm"].correlate, ALGORITHMS["gemm"].weight_grad,
                     supports=lambda problem: True, cost=lambda problem: 0.0,
                     transpose=ALGORITHMS["gemm"].transpose)  # fmt: skip
    register(free)
    try:
        assert choose(p).name == "free"
        assert choose_transpose(g, w, (2, 2), (1, 1), 1, (9, 9))[0].name == "free"
    finally:
        del ALGORITHMS["free"]
    assert choose(p) is first
    assert choose_transpose(g, w, (2, 2), (1, 1), 1, (9, 9)) == first_t


@pytest.mark.parametrize(
    "g_shape, w_shape, stride, dilation, groups, full",
    [
        ((8, 128, 16, 16), (128, 64, 4, 4), (2, 2), (1, 1), 1, (34, 34)),  # DCGAN: phases
        ((8, 64, 28, 28), (64, 1, 3, 3), (2, 2), (1, 1), 64, (57, 57)),  # depthwise: direct
        ((2, 8, 4, 4), (8, 8, 3, 3), (2, 2), (1, 1), 1, (9, 9)),
        ((0, 8, 4, 4), (8, 8, 3, 3), (2, 2), (1, 1), 1, (9, 9)),  # nothing to compute
        ((1, 4, 5), (4, 2, 3), (3,), (2,), 2, (17,)),
    ],
)
def test_remembered_transpose_choice_is_the_costed_one(g_shape, w_shape, stride, dilation,
                                                       groups, full):  # fmt: skip
    """The transposed choice is remembered by its raw arguments; what is remembered is the
    choice costing every way gives (or the reference loops when nothing is computed)."""
    from convzoo.engine import memo, select

    g, w = np.ones(g_shape, np.float32), np.ones(w_shape, np.float32)
    memo._CHOICES.clear()
    chosen = choose_transpose(g, w, stride, dilation, groups, full)
    forward, derived = select.transpose_problems(g_shape, w_shape, stride, dilation, groups,
                                                  full, g.dtype)  # fmt: skip
    if forward.macs == 0:
        assert chosen[0].name == "reference"
    else:
        assert chosen == select._cheapest_transpose(forward, derived)
    assert choose_transpose(g, w, stride, dilation, groups, full) == chosen  # from the memo
    assert len(memo._CHOICES) == 1


def test_the_memo_of_choices_is_bounded(monkeypatch):
    from convzoo.engine import memo

    monkeypatch.setattr(memo, "MEMO_SIZE", 3)
    for size in range(5, 12):
        choose(Problem((1, 2, size, size), (2, 2, 3, 3), (1, 1), (1, 1), 1, np.dtype("f8")))
        assert len(memo._CHOICES) <= 3
