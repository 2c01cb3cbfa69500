"""Every error message of the engine, spec and functional API: one test each.

Each message must name the function, the parameter, the rule and the values.
"""

import numpy as np
import pytest

import convzoo
from convzoo import engine
from convzoo.engine.select import Algorithm

X = np.ones((1, 8, 5, 5))
W = np.ones((4, 8, 3, 3))
WT = np.ones((8, 2, 3, 3))


def conv(x=X, w=W, **kw):
    return convzoo.conv(x, w, **kw)


def transpose(x=X, w=WT, **kw):
    return convzoo.conv_transpose(x, w, **kw)


CASES = {
    # spec: shapes and channels
    "weight-ndim": (
        lambda: conv(w=np.ones((4, 8))),
        ValueError,
        r"conv: weight must have shape \(C_out, C_in/groups, \*kernel\) with at least one "
        r"spatial dim; got shape \(4, 8\)",
    ),
    "input-ndim": (
        lambda: conv(x=np.ones((8, 5, 5))),
        ValueError,
        r"conv: input must have shape \(N, C, \*spatial\) with 2 spatial dims to match weight "
        r"shape \(4, 8, 3, 3\); got input shape \(8, 5, 5\) \(ndim 3, expected 4\)",
    ),
    "empty-size": (
        lambda: conv(x=np.ones((1, 8, 0, 5))),
        ValueError,
        r"conv: channels, spatial sizes and kernel sizes must be positive; got input shape "
        r"\(1, 8, 0, 5\)",
    ),
    "groups-divide-in": (
        lambda: conv(w=np.ones((3, 3, 3, 3)), groups=3),
        ValueError,
        r"^conv: groups=3 must divide in_channels=8$",
    ),
    "groups-divide-out": (
        lambda: conv(w=np.ones((3, 4, 3, 3)), groups=2),
        ValueError,
        r"^conv: groups=2 must divide out_channels=3$",
    ),
    "channel-mismatch": (
        lambda: conv(w=np.ones((4, 3, 3, 3))),
        ValueError,
        r"conv: input has 8 channels but weight \(C_out, C_in/groups, \*kernel\) has shape "
        r"\(4, 3, 3, 3\): weight.shape\[1\] \* groups = 3 \* 1 must equal in_channels=8",
    ),
    "groups-type": (
        lambda: conv(groups=2.0),
        TypeError,
        r"conv: groups must be an int; got 2.0",
    ),
    "groups-positive": (
        lambda: conv(groups=0),
        ValueError,
        r"conv: groups must be a positive int; got 0",
    ),
    "stride-positive": (
        lambda: conv(stride=(1, 0)),
        ValueError,
        r"conv: stride must be a positive int or a tuple of 2 positive ints; got \(1, 0\)",
    ),
    "stride-type": (
        lambda: conv(stride=1.5),
        TypeError,
        r"conv: stride must be a positive int or a tuple of 2 positive ints; got 1.5",
    ),
    "stride-length": (
        lambda: conv(stride=(1, 2, 3)),
        ValueError,
        r"conv: stride must be .* \(one per spatial dim\); got \(1, 2, 3\) of length 3",
    ),
    "dilation-positive": (
        lambda: conv(dilation=0),
        ValueError,
        r"conv: dilation must be a positive int or a tuple of 2 positive ints; got 0",
    ),
    "padding-negative": (
        lambda: conv(padding=-1),
        ValueError,
        r"conv: padding must be a non-negative int or a tuple of 2 non-negative ints; got -1",
    ),
    "padding-string": (
        lambda: conv(padding="half"),
        ValueError,
        r"conv: padding must be an int, a tuple, a tuple of \(lo, hi\) pairs or one of "
        r"\['full', 'same', 'same_lower', 'valid'\]; got 'half'",
    ),
    "padding-pair-type": (
        lambda: conv(padding=((1, 1), (1, 1, 1))),
        TypeError,
        r"conv: padding must be a tuple of 2 \(lo, hi\) pairs of non-negative ints",
    ),
    "padding-pair-count": (
        lambda: conv(padding=((1, 1),)),
        ValueError,
        r"conv: padding must be a tuple of 2 \(lo, hi\) pairs of non-negative ints; got 1 pairs",
    ),
    "padding-pair-negative": (
        lambda: conv(padding=((1, -1), (0, 0))),
        ValueError,
        r"conv: padding must be non-negative; got \(\(1, -1\), \(0, 0\)\)",
    ),
    "kernel-too-large": (
        lambda: conv(dilation=3),
        ValueError,
        r"conv: the dilated kernel is larger than the padded input in spatial dim 0: "
        r"dilation\*\(kernel-1\)\+1 = 3\*\(3-1\)\+1 = 7 > input 5 \+ padding 0\+0 = 5",
    ),
    # padding modes
    "padding-mode": (
        lambda: conv(padding=1, padding_mode="mirror"),
        ValueError,
        r"conv: padding_mode must be one of \['zeros', 'constant', 'reflect', 'replicate', "
        r"'circular', 'symmetric'\]; got 'mirror'",
    ),
    "padding-value-type": (
        lambda: conv(padding=1, padding_mode="constant", padding_value="1"),
        TypeError,
        r"conv: padding_value must be a real number; got '1'",
    ),
    "padding-value-needs-constant": (
        lambda: conv(padding=1, padding_value=1.0),
        ValueError,
        r"conv: padding_value=1.0 needs padding_mode='constant' \(got 'zeros'\)",
    ),
    "reflect-too-wide": (
        lambda: conv(padding=5, padding_mode="reflect"),
        ValueError,
        r"conv: padding_mode='reflect' needs padding < input size in every dim; got padding "
        r"\(5, 5\) for size 5 in spatial dim 0",
    ),
    "circular-too-wide": (
        lambda: conv(padding=6, padding_mode="circular"),
        ValueError,
        r"conv: padding_mode='circular' needs padding <= input size in every dim; got padding "
        r"\(6, 6\) for size 5 in spatial dim 0",
    ),
    # transposed
    "transposed-groups": (
        lambda: transpose(groups=3),
        ValueError,
        r"^conv_transpose: groups=3 must divide in_channels=8$",
    ),
    "transposed-channels": (
        lambda: transpose(w=np.ones((4, 2, 3, 3))),
        ValueError,
        r"conv_transpose: input has 8 channels but weight \(C_in, C_out/groups, \*kernel\) has "
        r"shape \(4, 2, 3, 3\): weight.shape\[0\] must equal in_channels=8",
    ),
    "output-padding-too-large": (
        lambda: transpose(stride=2, output_padding=2),
        ValueError,
        r"conv_transpose: output_padding must be smaller than stride or dilation in every dim; "
        r"got output_padding=\(2, 2\), stride=\(2, 2\), dilation=\(1, 1\)",
    ),
    "output-size-unreachable": (
        lambda: transpose(stride=2, output_size=(13, 13)),
        ValueError,
        r"conv_transpose: output_size=\(13, 13\) is not reachable: each size must lie between "
        r"\(11, 11\) and \(12, 12\)",
    ),
    "output-size-and-padding": (
        lambda: transpose(stride=2, output_padding=1, output_size=(12, 12)),
        ValueError,
        r"conv_transpose: give output_padding or output_size, not both",
    ),
    "transposed-crops-everything": (
        lambda: transpose(padding=4),
        ValueError,
        r"conv_transpose: padding \(\(4, 4\), \(4, 4\)\) crops the whole output",
    ),
    "transposed-padding-mode": (
        lambda: convzoo.make_spec(
            "conv_transpose", (1, 8, 5, 5), (8, 2, 3, 3), transposed=True, padding_mode="reflect"
        ),
        ValueError,
        r"conv_transpose: padding_mode must be 'zeros' for a transposed convolution",
    ),
    "output-padding-forward": (
        lambda: convzoo.make_spec("conv", (1, 8, 5, 5), (4, 8, 3, 3), output_padding=1),
        ValueError,
        r"conv: output_padding and output_size apply to transposed convolutions only",
    ),
    # arrays
    "integer-input": (
        lambda: conv(x=np.ones((1, 8, 5, 5), dtype=int)),
        TypeError,
        r"conv: input must be a float16, float32 or float64 array; got dtype int64",
    ),
    "complex-weight": (
        lambda: conv(w=np.ones((4, 8, 3, 3), dtype=complex)),
        TypeError,
        r"conv: weight must be a float16, float32 or float64 array; got dtype complex128",
    ),
    "bias-length": (
        lambda: conv(bias=np.ones(3)),
        ValueError,
        r"conv: bias must have shape \(out_channels,\) = \(4,\); got shape \(3,\)",
    ),
    "grad-output-shape": (
        lambda: convzoo.conv_backward(np.ones((1, 4, 2, 2)), X, W),
        ValueError,
        r"conv_backward: grad_output must have the output shape \(1, 4, 3, 3\) of this "
        r"convolution; got shape \(1, 4, 2, 2\)",
    ),
    "input-shape-type": (
        lambda: convzoo.output_shape("1,3,5,5", (1, 3, 3, 3)),
        TypeError,
        r"output_shape: input shape must be a tuple of ints; got '1,3,5,5'",
    ),
    "input-shape-negative": (
        lambda: convzoo.output_shape((1, 3, -5, 5), (1, 3, 3, 3)),
        ValueError,
        r"output_shape: input shape must not have negative sizes; got \(1, 3, -5, 5\)",
    ),
    # engine
    "algorithm-unknown": (
        lambda: conv(algorithm="magic"),
        ValueError,
        r"conv: algorithm must be 'auto' or one of \[.*'gemm'.*'reference'.*\]; got 'magic'",
    ),
    "algorithm-register-twice": (
        lambda: engine.register(
            Algorithm("gemm", None, None, supports=lambda p: True, cost=lambda p: 0)
        ),
        ValueError,
        r"register: an algorithm named 'gemm' already exists",
    ),
    "pad-mode": (
        lambda: convzoo.pad(np.ones((1, 1, 3)), ((1, 1),), "mirror"),
        ValueError,
        r"pad: unknown padding_mode 'mirror'",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_error_message(case):
    call, error, message = case
    with pytest.raises(error, match=message):
        call()


def test_algorithm_that_does_not_support_the_problem():
    never = Algorithm("never", None, None, supports=lambda p: False, cost=lambda p: 0)
    engine.ALGORITHMS["never"] = never
    try:
        with pytest.raises(ValueError, match=r"conv: algorithm='never' does not support this"):
            conv(algorithm="never")
    finally:
        del engine.ALGORITHMS["never"]


def test_errors_are_not_numpy_errors():
    """A broadcasting or index error must never reach the user."""
    bad_calls = [lambda: conv(w=np.ones((4, 8, 3))), lambda: conv(x=np.ones((2, 8, 2, 2)))]
    for call in bad_calls:
        with pytest.raises(ValueError, match=r"^conv: "):
            call()
