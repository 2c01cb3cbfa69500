"""Bad input to convzoo.dask: one test per error message, each naming what to change."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

import convzoo.dask


def _x(shape=(1, 4, 8, 8), chunks=4):
    return da.from_array(np.ones(shape), chunks=chunks)


def test_numpy_input_to_conv():
    with pytest.raises(
        TypeError,
        match=r"convzoo.dask.conv: x must be a dask.array.Array; "
        r"got ndarray \(wrap a NumPy array with dask.array.from_array",
    ):
        convzoo.dask.conv(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)))


def test_numpy_input_to_conv_transpose():
    with pytest.raises(TypeError, match=r"convzoo.dask.conv_transpose: x must be a dask"):
        convzoo.dask.conv_transpose([[[1.0, 2.0]]], np.ones((1, 1, 3)))


def test_unknown_chunk_sizes():
    x = _x((1, 1, 8))
    x = x[:, :, x[0, 0] > 0]  # boolean mask: chunk sizes unknown until computed
    with pytest.raises(
        ValueError,
        match=r"x has unknown chunk sizes .* call "
        r"x.compute_chunk_sizes\(\) first",
    ):
        convzoo.dask.conv(x, np.ones((1, 1, 3)))


def test_group_split_must_divide_groups():
    with pytest.raises(
        ValueError,
        match=r"convzoo.dask.conv: group_split=3 must divide "
        r"groups=4 so that each channel task holds whole groups; use one of "
        r"\[1, 2, 4\]",
    ):
        convzoo.dask.conv(_x(), np.ones((4, 1, 3, 3)), groups=4, group_split=3)


def test_group_split_must_be_an_int():
    with pytest.raises(
        TypeError,
        match=r"convzoo.dask.conv: group_split must be an int; "
        r"got 2.0",
    ):
        convzoo.dask.conv(_x(), np.ones((4, 1, 3, 3)), groups=4, group_split=2.0)


def test_groups_must_divide_channels_names_the_dask_function():
    with pytest.raises(
        ValueError,
        match=r"convzoo.dask.conv: groups=3 must divide "
        r"in_channels=4",
    ):
        convzoo.dask.conv(_x(), np.ones((3, 1, 3, 3)), groups=3)


def test_integer_input_dtype():
    x = da.from_array(np.ones((1, 1, 5), dtype=np.int64), chunks=2)
    with pytest.raises(
        TypeError,
        match=r"convzoo.dask.conv: input must be a float16, "
        r"float32 or float64 array; got dtype int64",
    ):
        convzoo.dask.conv(x, np.ones((1, 1, 3)))


def test_bias_shape():
    with pytest.raises(
        ValueError,
        match=r"convzoo.dask.conv: bias must have shape "
        r"\(out_channels,\) = \(2,\); got shape \(3,\)",
    ):
        convzoo.dask.conv(_x(), np.ones((2, 4, 3, 3)), np.ones(3))


def test_channel_shuffle_groups_must_divide_channels():
    with pytest.raises(
        ValueError,
        match=r"convzoo.dask.channel_shuffle: groups=3 must "
        r"divide channels=4",
    ):
        convzoo.dask.channel_shuffle(_x(), 3)


def test_channel_shuffle_needs_a_dask_array():
    with pytest.raises(TypeError, match=r"convzoo.dask.channel_shuffle: x must be a dask"):
        convzoo.dask.channel_shuffle(np.ones((1, 4, 2, 2)), 2)


def test_missing_dask_names_the_extra(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "dask.array", None)  # import fails
    with pytest.raises(ImportError, match=r"pip install convzoo\[dask\]"):
        convzoo.dask.conv(np.ones((1, 1, 4)), np.ones((1, 1, 3)))
