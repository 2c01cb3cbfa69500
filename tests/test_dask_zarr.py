"""Zarr in, convolution, Zarr out: the out-of-core path streams chunk by chunk."""

from __future__ import annotations

import dask
import numpy as np
import pytest
import zarr

import convzoo
import convzoo.dask


def test_zarr_round_trip_through_a_strided_conv(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.standard_normal((37, 29, 3))  # (H, W, C), odd sizes
    zarr.create_array(tmp_path / "in.zarr", data=image, chunks=(10, 8, 3))
    w = rng.standard_normal((4, 3, 3, 3))
    x = convzoo.dask.read_zarr(tmp_path / "in.zarr", channels_last=True, batch=False)
    y = convzoo.dask.conv(x, w, stride=2, padding="same", padding_mode="symmetric")
    with dask.config.set(scheduler="threads", num_workers=2):
        convzoo.dask.write_zarr(y, tmp_path / "out.zarr", channels_last=True, batch=False)
    stored = zarr.open_array(tmp_path / "out.zarr", mode="r")
    expected = convzoo.conv(
        image.transpose(2, 0, 1)[None], w, stride=2, padding="same", padding_mode="symmetric"
    )[0].transpose(1, 2, 0)
    assert stored.chunks == (5, 4, 4)  # regular chunks: the tiles, divided by the stride
    np.testing.assert_allclose(stored[...], expected, rtol=0, atol=1e-10)


def test_write_returns_one_delayed_per_chunk(tmp_path):
    x = convzoo.dask.read_zarr(
        zarr.create_array(tmp_path / "a.zarr", data=np.ones((2, 1, 6, 6)), chunks=(1, 1, 3, 3))
    )
    writes = convzoo.dask.write_zarr(x * 2, tmp_path / "b.zarr", compute=False)
    assert len(writes) == 8
    dask.compute(*writes, scheduler="synchronous")
    assert float(zarr.open_array(tmp_path / "b.zarr", mode="r")[...].sum()) == 144.0


def test_single_image_layout_needs_batch_of_one(tmp_path):
    import dask.array as da

    with pytest.raises(
        ValueError,
        match=r"write_zarr: batch=False stores a single image, so "
        r"y.shape\[0\] must be 1; got shape \(2, 1, 4\)",
    ):
        convzoo.dask.write_zarr(da.ones((2, 1, 4)), tmp_path / "c.zarr", batch=False)


def test_read_needs_a_spatial_axis(tmp_path):
    zarr.create_array(tmp_path / "d.zarr", data=np.ones((4, 3)))
    with pytest.raises(
        ValueError,
        match=r"read_zarr: .* has shape \(4, 3\); with batch=True "
        r"and channels_last=False that is not \(N, C, \*spatial\)",
    ):
        convzoo.dask.read_zarr(tmp_path / "d.zarr")


def test_write_needs_a_dask_array(tmp_path):
    with pytest.raises(TypeError, match=r"write_zarr: y must be a dask.array.Array"):
        convzoo.dask.write_zarr(np.ones((1, 1, 4)), tmp_path / "e.zarr")
