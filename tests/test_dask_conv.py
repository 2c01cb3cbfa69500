"""convzoo.dask.conv / conv_transpose equal convzoo.conv on the whole array (float64, 1e-10).

Seeded random configurations: 1D/2D/3D, strides, dilations, groups and group splits, every
padding form and mode, odd sizes, random chunks along batch, channel and spatial axes (often
smaller than the halo). The synchronous scheduler keeps the sweep fast.
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest
from dask_cases import conv_case

import convzoo
import convzoo.dask

N_FORWARD, N_TRANSPOSED = 200, 60


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(N_FORWARD))
def test_conv_equals_in_memory(seed):
    x, weight, bias, keywords, numpy_keywords, chunks, label = conv_case(seed)
    y = convzoo.dask.conv(da.from_array(x, chunks=chunks), weight, bias, **keywords)
    expected = convzoo.conv(x, weight, bias, **numpy_keywords)
    assert y.shape == expected.shape, label
    np.testing.assert_allclose(y.compute(), expected, rtol=0, atol=1e-10, err_msg=label)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(N_TRANSPOSED))
def test_conv_transpose_equals_in_memory(seed):
    x, weight, bias, keywords, numpy_keywords, chunks, label = conv_case(10_000 + seed, True)
    y = convzoo.dask.conv_transpose(da.from_array(x, chunks=chunks), weight, bias, **keywords)
    expected = convzoo.conv_transpose(x, weight, bias, **numpy_keywords)
    assert y.shape == expected.shape, label
    np.testing.assert_allclose(y.compute(), expected, rtol=0, atol=1e-10, err_msg=label)


def test_sweep_covers_the_issue():
    """The sweep really contains every dimension, padding form, mode and chunk situation."""
    cases = [conv_case(seed) for seed in range(N_FORWARD)]
    ndims = {len(c[1].shape) - 2 for c in cases}
    modes = {c[3]["padding_mode"] for c in cases}
    forms = {
        type(c[3]["padding"]).__name__ if not isinstance(c[3]["padding"], str) else c[3]["padding"]
        for c in cases
    }
    assert ndims == {1, 2, 3}
    assert modes == {"zeros", "constant", "reflect", "replicate", "circular", "symmetric"}
    assert {"int", "tuple", "valid", "same", "same_lower", "full"} <= forms
    assert any(max(c[3]["stride"]) > 1 for c in cases)
    assert any(max(c[3]["dilation"]) > 1 for c in cases)
    assert any(c[3]["groups"] > 1 and c[3].get("group_split", 1) > 1 for c in cases)
    chunked = [np.array(c[5]) < np.array(c[0].shape) for c in cases]
    assert all(any(m[axis] for m in chunked) for axis in range(3))  # batch, channel, space
    halos = [min(c[5][2:]) < max(c[1].shape[2:]) - 1 for c in cases]
    assert sum(halos) > 20  # chunks smaller than the halo


def test_tasks_are_independent_per_batch_group_and_tile():
    x = np.random.default_rng(0).standard_normal((2, 4, 16, 16))
    w = np.random.default_rng(1).standard_normal((4, 2, 3, 3))
    y = convzoo.dask.conv(da.from_array(x, chunks=(1, 2, 8, 8)), w, padding=1, groups=2)
    assert y.numblocks == (2, 2, 2, 2)
    assert y.chunks[2:] == ((8, 8), (8, 8))
    np.testing.assert_allclose(y.compute(), convzoo.conv(x, w, padding=1, groups=2), atol=1e-12)


def test_stride_misaligned_chunks_are_rechunked():
    """Chunk starts that are not multiples of the stride are moved, not rejected."""
    x = np.random.default_rng(2).standard_normal((1, 1, 31))
    w = np.random.default_rng(3).standard_normal((1, 1, 4))
    y = convzoo.dask.conv(da.from_array(x, chunks=(1, 1, 7)), w, stride=3, padding="same")
    assert all(c > 0 for c in y.chunks[2])
    np.testing.assert_allclose(
        y.compute(), convzoo.conv(x, w, stride=3, padding="same"), rtol=0, atol=1e-12
    )


def test_float32_stays_float32():
    x = np.random.default_rng(4).standard_normal((1, 2, 9, 9)).astype(np.float32)
    w = np.random.default_rng(5).standard_normal((3, 2, 3, 3)).astype(np.float32)
    y = convzoo.dask.conv(da.from_array(x, chunks=4), w, padding="same")
    assert y.dtype == np.float32 and y.compute().dtype == np.float32
    np.testing.assert_allclose(y.compute(), convzoo.conv(x, w, padding="same"), rtol=1e-5)


def test_channel_shuffle_is_a_reorder():
    x = np.random.default_rng(6).standard_normal((2, 6, 5, 5))
    y = convzoo.dask.channel_shuffle(da.from_array(x, chunks=(1, 3, 5, 5)), 3)
    expected = x.reshape(2, 3, 2, 5, 5).swapaxes(1, 2).reshape(2, 6, 5, 5)
    np.testing.assert_array_equal(y.compute(), expected)
