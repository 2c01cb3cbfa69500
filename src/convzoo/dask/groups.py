"""Group-parallel channels: each group of a grouped convolution as an independent task.

Krizhevsky et al. split AlexNet's filters into two groups so that "each group can be
handled by a different GPU" (ImageNet Classification with Deep Convolutional Neural
Networks, NIPS 2012). On Dask the same split is a chunking of the channel axis on group
boundaries: a channel chunk that holds whole groups needs no other chunk, so it is its own
task (and can live on its own worker). ShuffleNet's channel shuffle (Zhang et al., CVPR
2018) that lets information cross groups between layers is then a reorder of the channel
axis, i.e. a rechunk, not a computation.
"""

from __future__ import annotations

import numpy as np

__all__ = ["group_chunks", "scale_chunks", "shuffle_permutation", "channel_shuffle"]


def group_chunks(func: str, channels: int, groups: int, chunks, group_split=None):
    """Channel chunk sizes that fall on group boundaries.

    Parameters
    ----------
    func : str
        Public function name for error messages.
    channels : int
        Input channels ``C_in`` (divisible by ``groups``, checked by the caller's spec).
    groups : int
    chunks : tuple of int
        The input's current channel chunks.
    group_split : int, optional
        Number of channel tasks wanted; must divide ``groups`` (each task takes
        ``groups / group_split`` whole groups). ``None`` keeps every current chunk boundary
        that falls on a group boundary and merges across the others.

    Returns
    -------
    tuple of int

    Examples
    --------
    AlexNet's split: 96 channels in 2 groups, two tasks of 48 channels:

    >>> group_chunks("conv", 96, 2, (96,), group_split=2)
    (48, 48)
    >>> group_chunks("conv", 8, 4, (3, 3, 2))   # boundaries 3 and 6 are not on groups of 2
    (6, 2)
    """
    size = channels // groups
    if group_split is not None:
        if isinstance(group_split, bool) or not isinstance(group_split, int | np.integer):
            raise TypeError(f"{func}: group_split must be an int; got {group_split!r}")
        if group_split < 1 or groups % group_split:
            divisors = [q for q in range(1, groups + 1) if groups % q == 0]
            raise ValueError(
                f"{func}: group_split={group_split} must divide groups={groups} so that each "
                f"channel task holds whole groups; use one of {divisors}"
            )
        return (channels // int(group_split),) * int(group_split)
    bounds = np.cumsum(chunks)[:-1]
    kept = [int(b) for b in bounds if b % size == 0]
    edges = [0, *kept, channels]
    return tuple(b - a for a, b in zip(edges, edges[1:]))


def scale_chunks(chunks, c_in: int, c_out: int) -> tuple[int, ...]:
    """Output channel chunks matching group-aligned input chunks (``c_out/c_in`` per channel).

    Examples
    --------
    >>> scale_chunks((6, 2), 8, 12)
    (9, 3)
    """
    return tuple(c * c_out // c_in for c in chunks)


def shuffle_permutation(channels: int, groups: int) -> np.ndarray:
    """Source channel of each output channel of a channel shuffle.

    Output channel ``i*G + g`` is input channel ``g*(C/G) + i``: reshape to ``(G, C/G)``,
    transpose, flatten (Zhang et al. 2018, section 3.1).

    Examples
    --------
    >>> shuffle_permutation(6, 2).tolist()
    [0, 3, 1, 4, 2, 5]
    """
    if groups < 1 or channels % groups:
        raise ValueError(
            f"convzoo.dask.channel_shuffle: groups={groups} must divide channels={channels}"
        )
    return np.arange(channels).reshape(groups, channels // groups).T.ravel()


def channel_shuffle(x, groups: int):
    """Channel shuffle of a dask array ``(N, C, *spatial)``: a reorder of the channel axis.

    Parameters
    ----------
    x : dask.array.Array, shape (N, C, *spatial)
    groups : int
        Must divide ``C``.

    Returns
    -------
    dask.array.Array, shape (N, C, *spatial)
        Lazy; each output channel chunk gathers its channels from the input chunks.

    Examples
    --------
    >>> import dask.array as da
    >>> x = da.arange(6.0, chunks=3).reshape(1, 6, 1)
    >>> channel_shuffle(x, 2).compute().ravel().tolist()
    [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    """
    from ._lazy import require_dask_array

    require_dask_array("convzoo.dask.channel_shuffle", x)
    if x.ndim < 2:
        raise ValueError(
            f"convzoo.dask.channel_shuffle: input must have shape (N, C, *spatial); got "
            f"shape {x.shape}"
        )
    perm = shuffle_permutation(x.shape[1], groups)
    return x[:, perm]  # (N, C, *S): channel i*G + g <- g*(C/G) + i
