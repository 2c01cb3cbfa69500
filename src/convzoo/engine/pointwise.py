"""1x1 (pointwise) convolutions as matrix products, whole images on each engine thread.

A 1x1 convolution of an ``(N, C, P)`` input (``P`` positions) is, per image and group, one
product ``(C_out/G, C_g) @ (C_g, P)``; its weight gradient is ``(C_out/G, P) @ (P, C_g)``
summed over the images. A stacked ``np.matmul`` hands each of the ``N * G`` products to
OpenBLAS, whose threads wake and sleep once per product: on ShuffleNet's grouped 1x1 (20 x
80 by 80 x 784, 24 products) that costs more than the arithmetic. Here, when the images
split evenly over the engine's threads (:func:`.blas.whole_images_per_thread`), each thread
runs its images' products on single-threaded BLAS (:func:`.blas.single_threaded`), written
in place by :func:`.blas.gemm`; the weight gradient sums each thread's images into a
partial of its own, then adds the partials. Otherwise a stacked ``np.matmul`` does it.

References
----------
Lin, Chen and Yan, "Network In Network", arXiv:1312.4400 (1x1 convolutions); Zhang et al.,
"ShuffleNet", arXiv:1707.01083 (pointwise group convolutions).
"""

from __future__ import annotations

import numpy as np

from . import blas
from .parallel import num_threads, parallel_for, split

__all__ = ["forward", "weight_grad"]


def forward(x, w, groups):
    """``y[n, g] = w[g] @ x[n, g]``: a 1x1 convolution of ``x`` ``(N, C, P)``.

    Parameters
    ----------
    x : ndarray, shape (N, C, P)
    w : ndarray, shape (C_out, C / groups)
    groups : int

    Returns
    -------
    ndarray, shape (N, C_out, P)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(12.0).reshape(2, 2, 3)  # 2 images, 2 channels, 3 positions
    >>> forward(x, np.array([[1.0, -1.0]]), 1).tolist()  # channel 0 minus channel 1
    [[[-3.0, -3.0, -3.0]], [[-3.0, -3.0, -3.0]]]
    """
    n_batch, channels, positions = x.shape
    c_out = w.shape[0]
    weight = w.reshape(groups, c_out // groups, -1)  # (G, C_out/G, C_g)
    cols = x.reshape(n_batch, groups, channels // groups, positions)  # (N, G, C_g, P)
    if not blas.whole_images_per_thread(n_batch):
        return np.matmul(weight, cols).reshape(n_batch, c_out, positions)
    y = np.empty((n_batch, groups, c_out // groups, positions), np.result_type(x, w))

    def images(start, stop):
        for n in range(start, stop):
            for g in range(groups):
                blas.gemm(weight[g], cols[n, g], y[n, g])

    with blas.single_threaded():
        parallel_for(images, n_batch)
    return y.reshape(n_batch, c_out, positions)


def weight_grad(x, g, groups):
    """``dw[g] = sum_n g[n, g] @ x[n, g]^T``: the weight gradient of :func:`forward`.

    Parameters
    ----------
    x : ndarray, shape (N, C, P)
    g : ndarray, shape (N, C_out, P)
        The output gradient.
    groups : int

    Returns
    -------
    ndarray, shape (C_out, C / groups)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((4, 2, 3))
    >>> weight_grad(x, np.ones((4, 1, 3)), 1).tolist()  # 4 images x 3 positions
    [[12.0, 12.0]]
    """
    n_batch, channels, positions = x.shape
    c_out = g.shape[1]
    cols = x.reshape(n_batch, groups, channels // groups, positions)  # (N, G, C_g, P)
    grad = g.reshape(n_batch, groups, c_out // groups, positions)  # (N, G, C_out/G, P)
    if not blas.whole_images_per_thread(n_batch):
        return np.matmul(grad, cols.swapaxes(-1, -2)).sum(axis=0).reshape(c_out, -1)
    ranges = split(n_batch, num_threads())
    shape = (groups, c_out // groups, channels // groups)
    partials = np.zeros((len(ranges), *shape), np.result_type(x, g))  # one per thread

    def sums(first, last):
        for part, (start, stop) in zip(partials[first:last], ranges[first:last]):
            for n in range(start, stop):
                for j in range(groups):
                    blas.gemm(grad[n, j], cols[n, j].T, part[j], beta=1.0)

    with blas.single_threaded():
        parallel_for(sums, len(ranges))
    return partials.sum(axis=0).reshape(c_out, -1)
