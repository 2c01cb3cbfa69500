"""Zoo layers and models on dask arrays: one adapter, :func:`apply`, for every layer.

Convolution leaves go through the tiled :func:`convzoo.dask.conv` (so a grouped layer's
groups are independent tasks); containers recurse; a channel shuffle is a reorder of the
channel axis. A spatial convolution followed by per-pixel layers (1x1 convolutions,
BatchNorm in eval mode, ReLU, channel shuffle) runs them *in the same task*, on the tile it
just produced: a depthwise separable layer (Howard et al., "MobileNets", arXiv:1704.04861,
2017) computes depthwise then pointwise per tile, without writing the depthwise result out
and reading it back.
"""

from __future__ import annotations

import copy

import numpy as np

from ..functional import conv as _conv_in_memory
from ._lazy import require_dask_array
from .borders import pad_global
from .conv import conv, conv_transpose, correlate_tiled
from .groups import channel_shuffle

__all__ = ["apply"]

_FUNC = "convzoo.dask.apply"


def apply(layer, x):
    """Run a :mod:`convzoo.nn` layer or model (in eval mode) on a dask array.

    Parameters
    ----------
    layer : convzoo.nn.Layer
        Any zoo layer, container or model.
    x : dask.array.Array, shape (N, C, *spatial)

    Returns
    -------
    dask.array.Array
        Lazy; equal to ``layer(x.compute())``, shape ``layer.output_shape(x.shape)``.

    Raises
    ------
    TypeError
        If ``x`` is not a dask array, or for a layer type the adapter does not know.
    ValueError
        For a layer in training mode whose result depends on the whole batch (BatchNorm
        statistics, Dropout masks): call ``layer.eval()``.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from convzoo.nn import DepthwiseSeparable
    >>> layer = DepthwiseSeparable(3, 8, 3, padding=1, rng=0)
    >>> x = np.random.default_rng(1).standard_normal((1, 3, 32, 32))
    >>> y = apply(layer, da.from_array(x, chunks=(1, 3, 16, 16)))
    >>> y.numblocks    # depthwise and pointwise ran in the same 4 tasks
    (1, 1, 2, 2)
    >>> bool(np.allclose(y.compute(), layer(x)))
    True
    """
    require_dask_array(_FUNC, x)
    layer.output_shape(x.shape)  # errors name the layer and the shapes
    return _apply(layer, x)


def _nn():
    from .. import nn

    return nn


def _apply(layer, x):
    nn = _nn()
    if isinstance(layer, nn.Sequential):
        return _chain(list(layer.children().values()), x)
    if isinstance(layer, nn.Residual):
        return _residual(layer, x)
    if isinstance(layer, nn.Concat):
        da = require_dask_array(_FUNC, x)
        branches = list(layer.children().values())
        if not branches:  # a bare merge applied to one input
            return x
        return da.concatenate([_apply(branch, x) for branch in branches], axis=1)
    if isinstance(layer, nn.ConvTranspose):
        return conv_transpose(x, layer.weight, layer.bias, **layer._kwargs())
    if isinstance(layer, nn.Conv):
        y = conv(x, layer.weight, layer.bias, **layer._conv_kwargs())
        act = getattr(layer, "_act", None)
        return _pixelwise([act], y) if act is not None else y
    if isinstance(layer, nn.ChannelShuffle):
        return channel_shuffle(x, layer.groups)
    if isinstance(layer, nn.MaxPool | nn.AvgPool):
        return _pool(layer, x)
    if isinstance(layer, nn.GlobalAvgPool):
        return x.mean(axis=tuple(range(2, x.ndim)), keepdims=True)
    if isinstance(layer, nn.Flatten):
        return x.reshape(layer.output_shape(x.shape), merge_chunks=True)
    if isinstance(layer, nn.Linear):
        y = x @ layer.weight.T
        return y + layer.bias if layer.bias is not None else y
    if _is_pixelwise(layer, x.shape):
        return _pixelwise([layer], x)
    raise TypeError(
        f"{_FUNC}: no Dask rule for layer type {type(layer).__name__}; supported: the "
        f"convolutions, containers, pools, BatchNorm, ReLU, ReLU6, Dropout, ChannelShuffle, "
        f"GlobalAvgPool, Flatten and Linear of convzoo.nn"
    )


def _residual(layer, x):
    da = require_dask_array(_FUNC, x)
    y = _apply(layer.body, x)
    s = _apply(layer.shortcut, x) if layer.shortcut is not None else x
    out = y + s if layer.merge == "add" else da.concatenate([s, y], axis=1)
    return _apply(layer.activation, out) if layer.activation is not None else out


def _chain(layers, x):
    """Apply layers in order, fusing each spatial convolution with the per-pixel run after it."""
    nn = _nn()
    i = 0
    while i < len(layers):
        layer = layers[i]
        shape = layer.output_shape(x.shape)
        tail = []
        if isinstance(layer, nn.Conv) and not isinstance(layer, nn.ConvTranspose):
            while i + 1 + len(tail) < len(layers) and _is_pixelwise(
                layers[i + 1 + len(tail)], shape
            ):
                shape = layers[i + 1 + len(tail)].output_shape(shape)
                tail.append(layers[i + 1 + len(tail)])
        if tail:
            x = _fused(layer, tail, x, shape[1])
        else:
            x = _apply(layer, x)
        i += 1 + len(tail)
    return x


def _is_pixelwise(layer, shape) -> bool:
    """True for layers that map each pixel's channel vector on its own (any tile is fine)."""
    nn = _nn()
    if isinstance(layer, nn.BatchNorm | nn.Dropout):
        if layer.training and not (isinstance(layer, nn.Dropout) and layer.p == 0):
            raise ValueError(
                f"{_FUNC}: {type(layer).__name__} in training mode depends on the whole batch "
                f"(statistics or random masks); call layer.eval() before running it on Dask"
            )
        return True
    if isinstance(layer, nn.ReLU | nn.ChannelShuffle):
        return True
    if isinstance(layer, nn.Conv) and not isinstance(layer, nn.ConvTranspose):
        spec = layer.spec(shape)
        return set(spec.kernel_size) | set(spec.stride) == {1} and not any(
            lo or hi for lo, hi in spec.padding
        )
    return False


class _PixelChain:
    """Per-pixel layers applied to one in-memory tile (picklable; no layer state is kept)."""

    def __init__(self, layers):
        self.layers = list(layers)

    def __call__(self, tile):
        nn = _nn()
        for layer in self.layers:
            if isinstance(layer, nn.Conv):
                tile = _conv_in_memory(tile, layer.weight, layer.bias, groups=layer.groups)
                act = getattr(layer, "_act", None)
                layer = act if act is not None else None
            if layer is not None:
                tile = copy.copy(layer).forward(tile)  # a copy keeps forward's cache off `layer`
        return tile

    def __dask_tokenize__(self):
        return [(type(layer).__name__, layer.state_dict()) for layer in self.layers]


def _pixelwise(layers, x):
    shape = x.shape
    for layer in layers:
        shape = layer.output_shape(shape)
    x = x.rechunk({1: -1})  # every channel of a pixel in one block
    chunks = (x.chunks[0], (shape[1],), *x.chunks[2:])
    return x.map_blocks(_PixelChain(layers), chunks=chunks, dtype=x.dtype)


def _fused(layer, tail, x, out_channels):
    """A spatial convolution whose tiles go straight through the per-pixel layers after it."""
    func = _FUNC
    require_dask_array(func, x)
    spec = layer.spec(x.shape)
    padded = pad_global(x, spec.padding, spec.padding_mode, spec.padding_value)
    dtype = np.result_type(x.dtype, layer.weight.dtype)
    return correlate_tiled(
        func, padded, layer.weight, layer.bias, spec.stride, spec.dilation, spec.groups,
        shift=tuple(lo for lo, _ in spec.padding), dtype=dtype, epilogue=_PixelChain(tail),
        epilogue_channels=out_channels,
    )  # fmt: skip


def _pool(layer, x):
    """Max and average pooling: global padding, then a windowed operation per tile."""
    nn = _nn()
    spec = layer.spec(x.shape)
    ones = (1,) * spec.ndim
    if isinstance(layer, nn.AvgPool):
        box = np.ones((x.shape[1], 1, *layer.kernel_size), dtype=x.dtype)
        total = conv(x, box, stride=layer.stride, padding=spec.padding, groups=x.shape[1])
        if layer.count_include_pad:
            return total / np.prod(layer.kernel_size)
        da = require_dask_array(_FUNC, x)
        mask = da.ones((1, 1, *x.shape[2:]), dtype=x.dtype, chunks=(1, 1, *x.chunks[2:]))
        count = conv(mask, box[:1], stride=layer.stride, padding=spec.padding)
        return total / count
    padded = pad_global(x, spec.padding, "constant", -np.inf)
    window_max = nn.MaxPool(layer.kernel_size, layer.stride, 0, ndim=spec.ndim)
    return correlate_tiled(
        _FUNC, padded, None, None, layer.stride, ones, None,
        shift=tuple(lo for lo, _ in spec.padding), window_op=_PixelChain([window_max]),
        kernel=layer.kernel_size,
    )  # fmt: skip
