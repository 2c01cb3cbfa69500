"""Choices of ``algorithm='auto'`` remembered per problem.

A choice depends only on the problem (shapes, strides, dilation, groups, dtype) and on the
registered algorithms' costs, and costing every algorithm takes longer (76 µs per call on
the suite's transposed 4x4 layer) than a small layer's arithmetic leaves to spare. The
choices are therefore made once per problem while the registry holds the same algorithms;
registering or removing one, or reaching :data:`MEMO_SIZE` problems, starts over.
Data-dependent routing (non-finite values, :mod:`.finite`) is applied afterwards, on every
call.
"""

from __future__ import annotations

__all__ = ["MEMO_SIZE", "remembered"]

#: Problems remembered at most (a network has a few dozen shapes; the memo then starts over).
MEMO_SIZE = 4096
#: Choices already made, by key.
_CHOICES: dict = {}
#: The algorithms the remembered choices were made among.
_CHOSEN_AMONG: list = []


def remembered(key, decide, among):
    """``decide(key)``, computed once per key while ``among`` (the registered algorithms,
    in order) holds the same objects as when it was last computed.

    Examples
    --------
    >>> calls = []
    >>> decide = lambda key: calls.append(key) or key * 2
    >>> remembered(21, decide, ["a"]), remembered(21, decide, ["a"]), len(calls)
    (42, 42, 1)
    """
    same = len(among) == len(_CHOSEN_AMONG) and all(
        a is b for a, b in zip(among, _CHOSEN_AMONG, strict=True)
    )
    if not same or len(_CHOICES) >= MEMO_SIZE:
        _CHOICES.clear()
        _CHOSEN_AMONG[:] = among
    if key not in _CHOICES:
        _CHOICES[key] = decide(key)
    return _CHOICES[key]
