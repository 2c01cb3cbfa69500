"""The 15 output-size relationships of Dumoulin & Visin's convolution arithmetic guide.

V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
arXiv:1603.07285 (2016). Each test states its relationship and checks, on the paper's
figure sizes (2-D, square, one channel), both :func:`convzoo.output_shape` and the shape of
a real :func:`convzoo.conv` / :func:`convzoo.conv_transpose` call. For the transposed
relationships (8-14) it also checks the paper's *equivalent direct convolution*: the
transposed convolution's values equal a stride-1 convolution (kernel flipped, i.e.
:func:`convzoo.convolve`) of the input stretched by ``s - 1`` zeros between units and padded
with ``p' = k - p - 1`` zeros (plus ``a`` at the bottom and right).
"""

import numpy as np
import pytest
import torch

import convzoo


def square(i, c=1):
    """A seeded (1, c, i, i) input, as in the paper's figures."""
    return np.random.default_rng(i).standard_normal((1, c, i, i))


def kernel(k, c_out=1, c_in=1):
    return np.random.default_rng(100 + k).standard_normal((c_out, c_in, k, k))


def check_conv(i, k, o, *, s=1, p=0, d=1):
    """Both output_shape and an actual conv give an o x o output."""
    x, w = square(i), kernel(k)
    kw = {"stride": s, "padding": p, "dilation": d}
    assert convzoo.output_shape(x.shape, w.shape, **kw) == (1, 1, o, o)
    assert convzoo.conv(x, w, **kw).shape == (1, 1, o, o)


def check_transposed(i_t, k, o_t, *, s=1, p=0, a=0):
    """The transpose of the (k, s, p) convolution maps an i' x i' input to o' x o'.

    ``i_t`` is i' (the direct convolution's output size), ``o_t`` is o' (its input size).

    Also checks the paper's equivalent direct convolution: stretch the input (s - 1 zeros
    between units), pad with p' = k - p - 1 zeros (and a more at the end), convolve at
    stride 1 with the flipped kernel.
    """
    y, w = square(i_t), kernel(k)
    kw = {"stride": s, "padding": p, "output_padding": a}
    assert convzoo.output_shape(y.shape, w.shape, transposed=True, **kw) == (1, 1, o_t, o_t)
    out = convzoo.conv_transpose(y, w, **kw)
    assert out.shape == (1, 1, o_t, o_t)
    stretched = np.zeros((1, 1, s * (i_t - 1) + 1, s * (i_t - 1) + 1))
    stretched[..., ::s, ::s] = y
    p_prime = k - p - 1
    equivalent = convzoo.convolve(stretched, w, padding=((p_prime, p_prime + a),) * 2)
    np.testing.assert_allclose(out, equivalent, rtol=1e-12, atol=1e-12)
    # and the direct convolution it is the transpose of maps o' x o' back to i' x i'
    assert convzoo.output_shape((1, 1, o_t, o_t), w.shape, stride=s, padding=p) == (
        1, 1, i_t, i_t,
    )  # fmt: skip


def test_relationship_01_no_padding_unit_strides():
    """For any i and k, and for s = 1 and p = 0: o = (i - k) + 1. (Fig. 2.1: i=4, k=3.)"""
    check_conv(4, 3, 2)
    check_conv(4, 3, 4 - 3 + 1)


def test_relationship_02_arbitrary_padding_unit_strides():
    """For any i, k and p, and for s = 1: o = (i - k) + 2p + 1. (Fig. 2.2: i=5, k=4, p=2.)"""
    check_conv(5, 4, 6, p=2)
    check_conv(5, 4, (5 - 4) + 2 * 2 + 1, p=2)


def test_relationship_03_half_padding():
    """For any i, odd k = 2n + 1, s = 1 and p = floor(k/2) = n: o = i + 2n - 2n = i.

    (Fig. 2.3: i=5, k=3, p=1.) 'same' padding gives the same pads.
    """
    check_conv(5, 3, 5, p=1)
    assert convzoo.resolve_padding("same", (5, 5), 3) == ((1, 1), (1, 1))
    for k in (1, 3, 5, 7):
        check_conv(9, k, 9, p=k // 2)


def test_relationship_04_full_padding():
    """For any i and k, and for p = k - 1 and s = 1: o = i + 2(k - 1) - (k - 1) = i + (k - 1).

    (Fig. 2.4: i=5, k=3, p=2.) 'full' padding gives the same pads.
    """
    check_conv(5, 3, 7, p=2)
    assert convzoo.resolve_padding("full", (5, 5), 3) == ((2, 2), (2, 2))
    assert convzoo.conv(square(5), kernel(3), padding="full").shape == (1, 1, 7, 7)


def test_relationship_05_no_padding_non_unit_strides():
    """For any i, k and s, and for p = 0: o = floor((i - k)/s) + 1. (Fig. 2.5: i=5, k=3, s=2.)"""
    check_conv(5, 3, 2, s=2)
    check_conv(6, 3, (6 - 3) // 2 + 1, s=2)  # the floor drops the last column


def test_relationship_06_padding_non_unit_strides():
    """For any i, k, p and s: o = floor((i + 2p - k)/s) + 1.

    (Fig. 2.6: i=5, k=3, s=2, p=1 and Fig. 2.7: i=6, k=3, s=2, p=1, both o=3: any
    i + a, a in {0, ..., s-1}, gives the same o when i + 2p - k is a multiple of s.)
    """
    check_conv(5, 3, 3, s=2, p=1)
    check_conv(6, 3, 3, s=2, p=1)


def test_relationship_07_pooling():
    """For any i, k and s (pooling has no zero padding): o = floor((i - k)/s) + 1.

    (Figs. 1.5/1.6: 3x3 pooling over a 5x5 input with unit strides, o=3.) Average pooling is
    a depthwise convolution with a constant 1/k^2 kernel; its values match torch's.
    """
    x = square(5, c=2)
    mean = np.full((2, 1, 3, 3), 1 / 9)
    assert convzoo.output_shape(x.shape, mean.shape, groups=2) == (1, 2, 3, 3)
    y = convzoo.conv(x, mean, groups=2)
    expected = torch.nn.functional.avg_pool2d(torch.tensor(x), 3, stride=1).numpy()
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    s = 2
    assert convzoo.output_shape((1, 2, 5, 5), (2, 1, 3, 3), stride=s, groups=2) == (
        1, 2, (5 - 3) // s + 1, (5 - 3) // s + 1,
    )  # fmt: skip


def test_relationship_08_no_padding_unit_strides_transposed():
    """A convolution with s = 1, p = 0 and k has an associated transposed convolution with
    k' = k, s' = s and p' = k - 1, whose output size is o' = i' + (k - 1).

    (Fig. 4.1: i=4, k=3: the 2x2 output maps back to 4x4 — a fully padded convolution.)
    """
    check_transposed(2, 3, 4)
    check_transposed(3, 4, 3 + (4 - 1))


def test_relationship_09_arbitrary_padding_unit_strides_transposed():
    """A convolution with s = 1, k and p has an associated transposed convolution with
    k' = k, s' = s and p' = k - p - 1, whose output size is o' = i' + (k - 1) - 2p.

    (Fig. 4.2: i=5, k=4, p=2: i'=6, o'=6+3-4=5.)
    """
    check_transposed(6, 4, 5, p=2)
    check_transposed(4, 5, 4 + (5 - 1) - 2 * 1, p=1)


def test_relationship_10_half_padding_transposed():
    """A convolution with k = 2n + 1, s = 1 and p = floor(k/2) = n has an associated
    transposed convolution with k' = k, s' = s and p' = p, whose output size is o' = i'.

    (Fig. 4.3: i=5, k=3, p=1.) convzoo's padding='same' gives the same result.
    """
    check_transposed(5, 3, 5, p=1)
    check_transposed(6, 5, 6, p=2)
    y, w = square(5), kernel(3)
    same = convzoo.conv_transpose(y, w, padding="same")
    np.testing.assert_array_equal(same, convzoo.conv_transpose(y, w, padding=1))


def test_relationship_11_full_padding_transposed():
    """A convolution with s = 1, k and p = k - 1 has an associated transposed convolution
    with k' = k, s' = s and p' = 0, whose output size is o' = i' + (k - 1) - 2p = i' - (k - 1).

    (Fig. 4.4: i=5, k=3, p=2: the 7x7 output maps back to 5x5.)
    """
    check_transposed(7, 3, 5, p=2)
    check_transposed(8, 4, 8 - (4 - 1), p=3)


def test_relationship_12_no_padding_non_unit_strides_transposed():
    """A convolution with p = 0, k and s, whose input size has i - k a multiple of s, has an
    associated transposed convolution on the stretched input (s - 1 zeros between units)
    with k' = k, s' = 1 and p' = k - 1, whose output size is o' = s(i' - 1) + k.

    (Fig. 4.5: i=5, k=3, s=2: i'=2, o'=2*1+3=5.)
    """
    check_transposed(2, 3, 5, s=2)
    check_transposed(3, 2, 3 * (3 - 1) + 2, s=3)


def test_relationship_13_padding_non_unit_strides_transposed():
    """A convolution with k, s and p, whose input size has i + 2p - k a multiple of s, has an
    associated transposed convolution on the stretched input with k' = k, s' = 1 and
    p' = k - p - 1, whose output size is o' = s(i' - 1) + k - 2p.

    (Fig. 4.6: i=5, k=3, s=2, p=1: i'=3, o'=2*2+3-2=5.)
    """
    check_transposed(3, 3, 5, s=2, p=1)
    check_transposed(3, 4, 3 * (3 - 1) + 4 - 2 * 1, s=3, p=1)


@pytest.mark.parametrize("i", [5, 6])
def test_relationship_14_padding_non_unit_strides_odd_transposed(i):
    """A convolution with k, s and p has an associated transposed convolution on the
    stretched input with k' = k, s' = 1, p' = k - p - 1 and a = (i + 2p - k) mod s extra zeros
    at the bottom and right, whose output size is o' = s(i' - 1) + a + k - 2p.

    (Fig. 4.7: i=6, k=3, s=2, p=1: i'=3, a=1, o'=6.) convzoo's ``output_padding`` is ``a``,
    and ``output_size`` picks it.
    """
    k, s, p = 3, 2, 1
    a = (i + 2 * p - k) % s
    check_transposed(3, k, s * (3 - 1) + a + k - 2 * p, s=s, p=p, a=a)
    y, w = square(3), kernel(k)
    by_size = convzoo.conv_transpose(y, w, stride=s, padding=p, output_size=(i, i))
    np.testing.assert_array_equal(
        by_size, convzoo.conv_transpose(y, w, stride=s, padding=p, output_padding=a)
    )


def test_relationship_15_dilated_convolution():
    """For any i, k, p and s, and a dilation rate d (effective kernel k + (k-1)(d-1)):
    o = floor((i + 2p - k - (k - 1)(d - 1))/s) + 1.

    (Fig. 5.1: i=7, k=3, d=2, s=1, p=0: o=3.)
    """
    check_conv(7, 3, 3, d=2)
    for i, k, p, s, d in [(9, 3, 1, 2, 3), (10, 2, 2, 3, 2), (8, 4, 0, 1, 2)]:
        check_conv(i, k, (i + 2 * p - k - (k - 1) * (d - 1)) // s + 1, s=s, p=p, d=d)
