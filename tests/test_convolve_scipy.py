"""``convzoo.convolve`` is what SciPy calls convolution; ``convzoo.conv`` is not.

- ``scipy.signal.convolve`` modes: ``'valid'`` and ``'full'`` are convzoo's padding strings of
  the same names; SciPy's ``'same'`` centres the full result with the odd cell taken from
  the start, which is convzoo's ``'same_lower'`` (for even kernels; all agree for odd ones);
- ``scipy.ndimage.convolve`` (same-size output, kernel centre at ``k // 2``) is convzoo's
  ``padding='same'``, with its boundary modes mapped to convzoo's padding modes:
  ``constant``/``cval`` -> ``constant``/``padding_value``, ``reflect`` -> ``symmetric``
  (edge repeated), ``mirror`` -> ``reflect``, ``nearest`` -> ``replicate``, ``wrap`` ->
  ``circular``;
- for a kernel that is not symmetric, ``conv`` (cross-correlation) differs from
  ``convolve``, and ``conv(x, w) == convolve(x, flip(w))``.
"""

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal

import convzoo

SHAPES = {1: ((11,), (4,)), 2: ((7, 9), (3, 4)), 3: ((5, 6, 4), (2, 3, 3))}
NDIMAGE_MODES = {
    "constant": "constant",
    "reflect": "symmetric",
    "mirror": "reflect",
    "nearest": "replicate",
    "wrap": "circular",
}


def image_and_kernel(ndim, seed=0, kernel=None):
    rng = np.random.default_rng(seed + ndim)
    spatial, k = SHAPES[ndim]
    return rng.standard_normal(spatial), rng.standard_normal(kernel or k)


def single(a):
    """(*spatial) -> (1, 1, *spatial): one sample, one channel."""
    return a[None, None]


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize(
    "scipy_mode, padding", [("valid", "valid"), ("full", "full"), ("same", "same_lower")]
)
def test_equals_scipy_signal_convolve(ndim, scipy_mode, padding):
    x, w = image_and_kernel(ndim)
    expected = scipy.signal.convolve(x, w, mode=scipy_mode, method="direct")
    y = convzoo.convolve(single(x), single(w), padding=padding)
    np.testing.assert_allclose(y[0, 0], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_odd_kernel_same_is_scipy_same(ndim):
    x, w = image_and_kernel(ndim, kernel=(3,) * ndim)
    expected = scipy.signal.convolve(x, w, mode="same", method="direct")
    for padding in ("same", "same_lower"):
        y = convzoo.convolve(single(x), single(w), padding=padding)
        np.testing.assert_allclose(y[0, 0], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("scipy_mode", list(NDIMAGE_MODES))
def test_equals_scipy_ndimage_convolve(ndim, scipy_mode):
    x, w = image_and_kernel(ndim, seed=1)
    expected = scipy.ndimage.convolve(x, w, mode=scipy_mode, cval=1.5)
    mode = NDIMAGE_MODES[scipy_mode]
    value = 1.5 if mode == "constant" else 0.0
    y = convzoo.convolve(single(x), single(w), padding="same", padding_mode=mode,
                         padding_value=value)  # fmt: skip
    np.testing.assert_allclose(y[0, 0], expected, rtol=1e-12, atol=1e-12)


def test_channels_and_batch_sum_scipy_convolutions():
    """Each output channel sums the true convolutions of every input channel."""
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 3, 6, 7)), rng.standard_normal((4, 3, 3, 2))
    y = convzoo.convolve(x, w, padding="full")
    for n in range(2):
        for o in range(4):
            expected = sum(scipy.signal.convolve(x[n, c], w[o, c], mode="full") for c in range(3))
            np.testing.assert_allclose(y[n, o], expected, rtol=1e-12, atol=1e-12)


def test_correlate_is_scipy_correlate():
    """And conv itself is SciPy's correlation."""
    x, w = image_and_kernel(2)
    expected = scipy.signal.correlate(x, w, mode="valid", method="direct")
    np.testing.assert_allclose(convzoo.conv(single(x), single(w))[0, 0], expected, rtol=1e-12)


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_conv_differs_from_convolve_for_a_non_symmetric_kernel(ndim):
    x, w = image_and_kernel(ndim)
    flipped = w[(slice(None, None, -1),) * ndim]
    y_conv = convzoo.conv(single(x), single(w))
    y_convolve = convzoo.convolve(single(x), single(w))
    assert np.abs(y_conv - y_convolve).max() > 1e-3
    np.testing.assert_allclose(y_conv, convzoo.convolve(single(x), single(flipped)), rtol=1e-12)


def test_conv_equals_convolve_for_a_symmetric_kernel():
    x, _ = image_and_kernel(2)
    sobel_x = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    blur = np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16
    np.testing.assert_allclose(
        convzoo.conv(single(x), single(blur)), convzoo.convolve(single(x), single(blur))
    )
    # the antisymmetric Sobel kernel flips the sign of the result
    np.testing.assert_allclose(
        convzoo.conv(single(x), single(sobel_x)), -convzoo.convolve(single(x), single(sobel_x))
    )
