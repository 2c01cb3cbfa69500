"""convzoo.dask on a dask.distributed LocalCluster of 2 worker processes, and a worker crash.

The cluster is started by the fixture and closed after the module. The fault test kills a
worker process (SIGKILL) while it runs tiles; the nanny restarts it, the scheduler reruns
the lost tasks, and the result still equals the in-memory convolution.
"""

from __future__ import annotations

import os
import signal
import time

import dask.array as da
import numpy as np
import pytest
from dask_cases import conv_case

import convzoo
import convzoo.dask

distributed = pytest.importorskip("distributed")  # installed with convzoo[dask]


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
        memory_limit="1GiB",
    )  # fmt: skip
    with cluster, distributed.Client(cluster) as client:
        yield client


@pytest.mark.parametrize("seed", range(0, 200, 8))
def test_conv_on_two_worker_processes(client, seed):
    x, weight, bias, keywords, numpy_keywords, chunks, label = conv_case(seed)
    y = convzoo.dask.conv(da.from_array(x, chunks=chunks), weight, bias, **keywords)
    result = client.compute(y).result()
    np.testing.assert_allclose(
        result, convzoo.conv(x, weight, bias, **numpy_keywords), rtol=0, atol=1e-10,
        err_msg=label,
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(0, 60, 12))
def test_conv_transpose_on_two_worker_processes(client, seed):
    x, weight, bias, keywords, numpy_keywords, chunks, label = conv_case(10_000 + seed, True)
    y = convzoo.dask.conv_transpose(da.from_array(x, chunks=chunks), weight, bias, **keywords)
    result = client.compute(y).result()
    np.testing.assert_allclose(
        result, convzoo.conv_transpose(x, weight, bias, **numpy_keywords), rtol=0,
        atol=1e-10, err_msg=label,
    )  # fmt: skip


def test_groups_run_on_both_workers(client):
    """AlexNet's split: the two groups are independent tasks, and both workers get work."""
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((1, 4, 48, 48)), rng.standard_normal((6, 2, 5, 5))
    y = convzoo.dask.conv(da.from_array(x, chunks=(1, 4, 48, 48)), w, groups=2, group_split=2)
    assert y.numblocks == (1, 2, 1, 1)
    future = client.compute(y)
    np.testing.assert_allclose(future.result(), convzoo.conv(x, w, groups=2), atol=1e-10)


def test_a_killed_worker_does_not_change_the_result(client):
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal((1, 2, 192, 192)), rng.standard_normal((2, 2, 3, 3))
    # The reference engine (plain loops) makes each of the 16 tiles take ~0.2 s.
    y = convzoo.dask.conv(
        da.from_array(x, chunks=(1, 2, 48, 48)), w, padding="same", padding_mode="reflect",
        algorithm="reference",
    )  # fmt: skip
    pids = client.run(os.getpid)  # {worker address: process id}
    future = client.compute(y)
    victim = _busy_worker(client, timeout=30)
    os.kill(pids[victim], signal.SIGKILL)  # in the middle of a tile
    assert not future.done()
    result = future.result(timeout=120)
    expected = convzoo.conv(x, w, padding="same", padding_mode="reflect")
    np.testing.assert_allclose(result, expected, rtol=0, atol=1e-10)
    client.wait_for_workers(2, timeout=60)  # the nanny restarted the killed process
    assert pids[victim] not in client.run(os.getpid).values()


def _busy_worker(client, timeout):
    """Address of a worker that is running a convolution tile right now."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for address, keys in client.processing().items():
            if any("convzoo-conv" in str(key) for key in keys):
                return address
        time.sleep(0.05)
    raise AssertionError("no worker started a convolution tile in time")
