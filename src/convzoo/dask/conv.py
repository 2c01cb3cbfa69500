"""Convolution of dask arrays: tiles with halos, global borders, one task per tile.

:func:`conv` pads the global borders once (:func:`~convzoo.dask.borders.pad_global`), cuts
the padded array into stride-aligned tiles (:mod:`convzoo.dask.tiling`) and channel chunks
that hold whole groups (:mod:`convzoo.dask.groups`), and makes every output tile one task
that concatenates the at most ``2**D`` input blocks it reads and calls
:func:`convzoo.conv` on them: the same engine as in memory, so the results are equal.
:func:`conv_transpose` upsamples with zeros and runs the same tiled convolution with the
flipped kernel (Dumoulin & Visin, "A guide to convolution arithmetic for deep learning",
arXiv 1603.07285, section 4).
"""

from __future__ import annotations

import itertools
import operator

import numpy as np

from .._validate import as_float_arrays
from ..engine.adjoint import transpose_weight
from ..functional import conv as _conv_in_memory
from ..functional._common import check_bias
from ..spec import make_spec
from .borders import insert_zeros, pad_global
from .groups import group_chunks, scale_chunks
from .tiling import output_chunks, tile_pieces, tile_starts

__all__ = ["conv", "conv_transpose", "correlate_tiled"]


def _parameters(func, x, weight, bias):
    """Weight and bias as NumPy arrays in the compute dtype, and the result dtype."""
    probe = np.empty(0, dtype=x.dtype)
    (_, weight, bias), dtype = as_float_arrays(func, input=probe, weight=weight, bias=bias)
    return weight, bias, dtype


def conv(
    x,
    weight,
    bias=None,
    *,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    padding_mode="zeros",
    padding_value=0.0,
    algorithm="auto",
    group_split=None,
):
    """N-d convolution of a dask array; lazy, tiled, equal to :func:`convzoo.conv`.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C_in, *spatial)
        Any chunking: batch chunks stay independent tasks, spatial chunks set the tiles,
        channel chunks are merged up to group boundaries (see Notes).
    weight : array_like, shape (C_out, C_in/groups, *k)
    bias : array_like, shape (C_out,), optional
    stride, padding, dilation, groups, padding_mode, padding_value, algorithm
        As in :func:`convzoo.conv`; padding is applied to the borders of the whole array.
    group_split : int, optional
        Number of independent channel tasks, each holding ``groups / group_split`` whole
        groups (AlexNet's two-GPU split is ``groups=2, group_split=2``). Must divide
        ``groups``. Default: keep the input's channel chunk boundaries that fall on group
        boundaries.

    Returns
    -------
    dask.array.Array, shape (N, C_out, *out)
        Lazy; ``out = (n + lo + hi - d*(k-1) - 1)//s + 1`` as in :func:`convzoo.output_shape`.
        One task per (batch chunk, channel chunk, spatial tile).

    Raises
    ------
    TypeError
        If ``x`` is not a dask array.
    ValueError
        For every bad argument :func:`convzoo.conv` rejects, and a ``group_split`` that does
        not divide ``groups``.

    Notes
    -----
    Output tile ``i`` along an axis holds the outputs ``j`` whose windows start in padded
    tile ``i`` (``j*s`` in ``[start_i, start_{i+1})``); it reads that tile plus
    ``halo = d*(k-1) + 1 - s`` cells after it, i.e. ``lo`` cells before the input chunk and
    ``d*(k-1) - lo`` after (see :mod:`convzoo.dask.tiling`). Tile starts are the input's
    chunk boundaries rounded up to a multiple of ``s`` (so any chunking works with any
    stride: nothing to align by hand), and tiles shorter than the halo are merged with their
    neighbour, so chunks smaller than the halo are fine. Only the halo slices of neighbouring
    blocks move; the input is never rechunked spatially. The output's spatial chunks follow
    the input's, divided by the stride. The global borders are padded once, by
    :func:`~convzoo.dask.borders.pad_global`, in every padding mode.

    Examples
    --------
    >>> import numpy as np, dask.array as da, convzoo
    >>> rng = np.random.default_rng(0)
    >>> x, w = rng.standard_normal((2, 4, 30, 30)), rng.standard_normal((6, 2, 3, 3))
    >>> y = conv(da.from_array(x, chunks=(1, 4, 8, 8)), w, stride=2, padding="same",
    ...          groups=2, padding_mode="reflect", group_split=2)
    >>> y.shape, y.chunks[1]
    ((2, 6, 15, 15), (3, 3))
    >>> expected = convzoo.conv(x, w, stride=2, padding="same", groups=2,
    ...                         padding_mode="reflect")
    >>> bool(np.allclose(y.compute(), expected, rtol=0, atol=1e-12))
    True
    """
    from ._lazy import require_dask_array

    func = "convzoo.dask.conv"
    require_dask_array(func, x)
    weight, bias, dtype = _parameters(func, x, weight, bias)
    spec = make_spec(
        func, x.shape, weight.shape, stride=stride, padding=padding, dilation=dilation,
        groups=groups, padding_mode=padding_mode, padding_value=padding_value,
    )  # fmt: skip
    check_bias(func, bias, spec.out_channels)
    padded = pad_global(x, spec.padding, spec.padding_mode, spec.padding_value)
    return correlate_tiled(
        func, padded, weight, bias, spec.stride, spec.dilation, spec.groups,
        shift=tuple(lo for lo, _ in spec.padding), group_split=group_split,
        algorithm=algorithm, dtype=dtype,
    )  # fmt: skip


def conv_transpose(
    x,
    weight,
    bias=None,
    *,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    groups=1,
    output_size=None,
    algorithm="auto",
    group_split=None,
):
    """N-d transposed convolution of a dask array; lazy, equal to :func:`convzoo.conv_transpose`.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C_in, *spatial)
    weight : array_like, shape (C_in, C_out/groups, *k)
    bias : array_like, shape (C_out,), optional
    stride, padding, output_padding, dilation, groups, output_size, algorithm
        As in :func:`convzoo.conv_transpose`.
    group_split : int, optional
        As in :func:`conv`.

    Returns
    -------
    dask.array.Array, shape (N, C_out, *out)
        ``out = (n-1)*s - lo - hi + d*(k-1) + output_padding + 1``.

    Notes
    -----
    Each chunk gets ``s - 1`` zeros after every cell (a chunk of ``m`` cells becomes ``m*s``),
    the whole array is zero-padded by ``d*(k-1)`` (less the cropped ``padding``), and the
    stride-1 tiled convolution with the flipped, group-transposed kernel gives the output.

    Examples
    --------
    >>> import numpy as np, dask.array as da, convzoo
    >>> rng = np.random.default_rng(0)
    >>> x, w = rng.standard_normal((1, 4, 9, 9)), rng.standard_normal((4, 3, 4, 4))
    >>> y = conv_transpose(da.from_array(x, chunks=(1, 4, 4, 5)), w, stride=2, padding=1)
    >>> y.shape
    (1, 3, 18, 18)
    >>> bool(np.allclose(y.compute(), convzoo.conv_transpose(x, w, stride=2, padding=1)))
    True
    """
    from ._lazy import require_dask_array

    func = "convzoo.dask.conv_transpose"
    require_dask_array(func, x)
    weight, bias, dtype = _parameters(func, x, weight, bias)
    spec = make_spec(
        func, x.shape, weight.shape, stride=stride, padding=padding, dilation=dilation,
        groups=groups, transposed=True, output_padding=output_padding, output_size=output_size,
    )  # fmt: skip
    check_bias(func, bias, spec.out_channels)
    upsampled = insert_zeros(x, spec.stride)  # (N, C_in, *(n*s)); x[i] at cell i*s
    # Output cell j of the uncropped result reads upsampled cells j - d*(k-1) ... j; the
    # cropped output starts at j = lo, so it reads upsampled cells [lo - reach, lo + out).
    pads, crop = [], []
    for n, (lo, _), out, k, s, d in zip(
        spec.input_spatial, spec.padding, spec.output_spatial, spec.kernel_size, spec.stride,
        spec.dilation, strict=True,
    ):  # fmt: skip
        start, stop = lo - d * (k - 1), lo + out
        pads.append((max(-start, 0), max(stop - n * s, 0)))
        crop.append(slice(max(start, 0), max(start, 0) + stop - start))
    window = pad_global(upsampled, pads)[(slice(None), slice(None), *crop)]
    forward = transpose_weight(weight, spec.groups)  # (C_out, C_in/G, *k), flipped
    ones = (1,) * spec.ndim
    reach = tuple(d * (k - 1) for k, d in zip(spec.kernel_size, spec.dilation, strict=True))
    return correlate_tiled(
        func, window, forward, bias, ones, spec.dilation, spec.groups,
        shift=reach, group_split=group_split, algorithm=algorithm, dtype=dtype,
    )  # fmt: skip


def correlate_tiled(
    func,
    padded,
    weight,
    bias,
    stride,
    dilation,
    groups,
    *,
    shift=None,
    group_split=None,
    algorithm="auto",
    dtype=None,
    epilogue=None,
    epilogue_channels=None,
    window_op=None,
    kernel=None,
):
    """Valid (unpadded) strided correlation of an already padded dask array, tile by tile.

    Parameters
    ----------
    func : str
        Public function name for error messages.
    padded : dask.array.Array, shape (N, C_in, *L)
    weight : ndarray, shape (C_out, C_in/groups, *k)
    bias : ndarray, shape (C_out,), or None
    stride, dilation : tuple of int
    groups : int
    shift : tuple of int, optional
        Padding before the input per axis (tiles then follow the input's chunks); default 0.
    group_split : int, optional
        See :func:`conv`.
    algorithm : str
    dtype : numpy dtype, optional
        Result dtype (default: the input's).
    epilogue : callable, optional
        Applied to every output tile ``(n, C_out, *t) -> (n, C_epi, *t)`` inside the same
        task (e.g. the pointwise half of a depthwise separable layer); it sees every output
        channel, so it forces a single channel chunk.
    epilogue_channels : int, optional
        ``C_epi``; default ``C_out``.
    window_op : callable, optional
        Instead of a convolution, a per-channel windowed operation (e.g. max pooling) with
        window ``kernel`` that maps a tile's window ``(n, c, *w)`` to its output
        ``(n, c, *t)``; ``weight`` and ``bias`` are then None and channels stay as chunked.
    kernel : tuple of int, optional
        The window of ``window_op``.

    Returns
    -------
    dask.array.Array, shape (N, C_out or C_epi, *out)
    """
    from dask.array.core import Array
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    dtype = np.dtype(dtype or padded.dtype)
    c_in = padded.shape[1]
    if window_op is not None:  # per channel, like a depthwise convolution
        weight, groups = np.ones((c_in, 1, *kernel)), c_in
    c_out, kernel = weight.shape[0], weight.shape[2:]
    shift = shift or (0,) * len(kernel)
    if epilogue is not None:
        group_split = 1
    in_channels = group_chunks(func, c_in, groups, padded.chunks[1], group_split)
    padded = padded.rechunk({1: in_channels})  # whole groups per channel chunk
    out_spatial, pieces = [], []
    for length, chunks, k, s, d, lo in zip(
        padded.shape[2:], padded.chunks[2:], kernel, stride, dilation, shift, strict=True
    ):
        starts = tile_starts(chunks, length, k, s, d, lo)
        out_spatial.append(output_chunks(starts, length, k, s, d))
        pieces.append(tile_pieces(chunks, starts, out_spatial[-1], k, s, d))
    out_channels = scale_chunks(in_channels, c_in, c_out)
    if epilogue is not None:
        out_channels = (epilogue_channels or c_out,)

    token = tokenize(
        padded.name, weight, bias, stride, dilation, groups, algorithm, epilogue, window_op
    )
    name, wname, hname = (f"convzoo-{part}-{token}" for part in ("conv", "weight", "halo"))
    graph = {}
    edges = np.cumsum((0, *in_channels)) * c_out // c_in
    for c, (lo, hi) in enumerate(zip(edges, edges[1:])):
        graph[(wname, c)] = _TileParams(
            weight[lo:hi], None if bias is None else bias[lo:hi], window_op
        )
    for b, c, *tile in itertools.product(
        range(len(padded.chunks[0])), range(len(in_channels)), *map(range, map(len, out_spatial))
    ):
        per_axis = [axis_pieces[t] for axis_pieces, t in zip(pieces, tile, strict=True)]
        nested = _nested_pieces(graph, padded, (hname, b, c, *tile), (b, c), per_axis)
        tile_groups = groups * in_channels[c] // c_in
        graph[(name, b, c, *tile)] = (
            _conv_tile, nested, (wname, c), tuple(stride), tuple(dilation), tile_groups,
            algorithm, dtype, epilogue,
        )  # fmt: skip
    layer_graph = HighLevelGraph.from_collections(name, graph, dependencies=[padded])
    chunks = (padded.chunks[0], out_channels, *out_spatial)
    return Array(layer_graph, name, chunks, meta=np.empty((0,) * padded.ndim, dtype=dtype))


def _nested_pieces(graph, padded, tile_key, lead, per_axis, index=()):
    """Nested lists (one level per spatial axis) of the block pieces a tile reads.

    A whole block is referenced by its key; a partial one gets a slicing task of its own, so
    only the halo slice travels to the worker that runs the tile.
    """
    if not per_axis:
        blocks = tuple(block for block, _, _ in index)
        key = (padded.name, *lead, *blocks)
        sizes = [padded.chunks[2 + axis][block] for axis, (block, _, _) in enumerate(index)]
        if all(lo == 0 and hi == n for (_, lo, hi), n in zip(index, sizes, strict=True)):
            return key
        piece = (*tile_key, *blocks)
        slices = (slice(None), slice(None), *(slice(lo, hi) for _, lo, hi in index))
        graph[piece] = (operator.getitem, key, slices)
        return piece
    return [
        _nested_pieces(graph, padded, tile_key, lead, per_axis[1:], (*index, p))
        for p in per_axis[0]
    ]


class _TileParams:
    """What a channel chunk's tiles share: its weight slice and bias, or a window operation.

    (A plain object, not a tuple, so that Dask stores it as data instead of calling it.)
    """

    def __init__(self, weight, bias, window_op):
        self.weight, self.bias, self.window_op = weight, bias, window_op


def _conv_tile(nested, params, stride, dilation, groups, algorithm, dtype, epilogue):
    """One task: join the block pieces into the tile's window and convolve it."""
    window = np.block(nested)  # (n, c, *window) from the pieces of up to 3**D blocks
    if params.window_op is not None:  # a windowed operation instead of a convolution
        return params.window_op(window).astype(dtype, copy=False)
    y = _conv_in_memory(
        window,
        params.weight,
        params.bias,
        stride=stride,
        dilation=dilation,
        groups=groups,
        algorithm=algorithm,
    )
    if epilogue is not None:
        y = epilogue(y)
    return y.astype(dtype, copy=False)
