"""Argument checks shared by every entry point.

Every message names the function, the parameter, the rule and the value, e.g.
``conv: stride must be a positive int or a tuple of 2 positive ints; got (1, 0)``.
Nothing here uses ``assert``: these checks guard user input.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["int_tuple", "positive_int", "as_float_arrays", "shape_tuple", "exact_key"]


def _is_int(value) -> bool:
    if type(value) is int:  # the common case, without the slow abstract-class checks
        return True
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def positive_int(func: str, name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, raising if it is not an int ``>= minimum``.

    Examples
    --------
    >>> positive_int("conv", "groups", 4)
    4
    """
    if not _is_int(value):
        raise TypeError(f"{func}: {name} must be an int; got {value!r}")
    if value < minimum:
        rule = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{func}: {name} must be {rule}; got {value}")
    return int(value)


def int_tuple(func: str, name: str, value, ndim: int, *, minimum: int = 1) -> tuple[int, ...]:
    """Expand an int or a tuple of ``ndim`` ints to a tuple, checking ``>= minimum``.

    Examples
    --------
    >>> int_tuple("conv", "stride", 2, 3)
    (2, 2, 2)
    >>> int_tuple("conv", "dilation", (1, 2), 2)
    (1, 2)
    """
    kind = "positive" if minimum == 1 else "non-negative" if minimum == 0 else f">= {minimum}"
    rule = f"a {kind} int or a tuple of {ndim} {kind} ints"
    if _is_int(value):
        values = (int(value),) * ndim
    elif isinstance(value, tuple | list) and all(_is_int(v) for v in value):
        values = tuple(int(v) for v in value)
        if len(values) != ndim:
            raise ValueError(
                f"{func}: {name} must be {rule} (one per spatial dim); got {tuple(value)!r} "
                f"of length {len(values)}"
            )
    else:
        raise TypeError(f"{func}: {name} must be {rule}; got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{func}: {name} must be {rule}; got {value!r}")
    return values


def shape_tuple(func: str, name: str, shape) -> tuple[int, ...]:
    """Check a shape given by the user: a sequence of non-negative ints.

    Examples
    --------
    >>> shape_tuple("output_shape", "input_shape", [1, 3, 5, 5])
    (1, 3, 5, 5)
    """
    if not isinstance(shape, tuple | list) or not all(_is_int(v) for v in shape):
        raise TypeError(f"{func}: {name} must be a tuple of ints; got {shape!r}")
    if any(v < 0 for v in shape):
        raise ValueError(f"{func}: {name} must not have negative sizes; got {tuple(shape)!r}")
    return tuple(int(v) for v in shape)


_FLOAT_KINDS = {np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)}


def as_float_arrays(func: str, **arrays):
    """Convert the named array-likes to one common float dtype.

    float32 and float64 are kept (mixed inputs promote to float64); float16 is computed in
    float32. Integer, boolean and complex inputs raise ``TypeError``; ``None`` passes through.

    Returns
    -------
    arrays : list of ndarray or None
        In the order given, converted to the compute dtype.
    result_dtype : numpy.dtype
        The dtype results are returned in (float16 when every input was float16).

    Examples
    --------
    >>> import numpy as np
    >>> (x, w), dtype = as_float_arrays("conv", input=np.ones(2, np.float16),
    ...                                 weight=np.ones(2, np.float16))
    >>> x.dtype, dtype
    (dtype('float32'), dtype('float16'))
    """
    converted = {}
    for name, value in arrays.items():
        if value is None:
            converted[name] = None
            continue
        array = np.asarray(value)
        if array.dtype not in _FLOAT_KINDS:
            raise TypeError(
                f"{func}: {name} must be a float16, float32 or float64 array; got dtype "
                f"{array.dtype} (convert it with .astype(np.float32))"
            )
        converted[name] = array
    present = [a for a in converted.values() if a is not None]
    result_dtype = np.result_type(*present)
    compute_dtype = np.dtype(np.float32) if result_dtype == np.float16 else result_dtype
    out = [None if a is None else a.astype(compute_dtype, copy=False) for a in converted.values()]
    return out, result_dtype


_EXACT = (int, bool, str, type(None))


def exact_key(value):
    """A hashable key for ``value`` that tells its type apart, or ``None`` when ``value``
    holds anything but ints, bools, floats, strings, ``None`` and tuples or lists of them.

    ``2``, ``2.0`` and ``True`` compare and hash equal, but an argument check accepts one and
    rejects the others: a memo of checked arguments must not confuse them.

    Examples
    --------
    >>> exact_key((1, 2)) == exact_key((1.0, 2)), exact_key([1, (0, 1)]) is None
    (False, False)
    >>> exact_key(np.int64(1)) is None
    True
    """
    kind = type(value)
    if kind in _EXACT:
        return kind, value
    if kind is float:
        return kind, repr(value)  # -0.0 and 0.0 apart, nan equal to itself
    if kind is tuple or kind is list:
        if all(type(v) is int for v in value):  # shapes, strides: no nesting to key
            return kind, tuple(value)
        parts = tuple(exact_key(v) for v in value)
        return None if None in parts else (kind, parts)
    return None
