"""Channel shuffle (ShuffleNet, Zhang et al. 2018) and its inverse.

After a grouped convolution each output group has only seen its own input group. Shuffling
reshapes the channels into ``(groups, C/groups)``, transposes to ``(C/groups, groups)`` and
flattens, so the next grouped convolution's every group receives channels from every group.
"""

from __future__ import annotations

import numpy as np

from .._validate import positive_int

__all__ = ["channel_shuffle", "channel_unshuffle"]


def _check(func, x, groups):
    x = np.asarray(x)
    groups = positive_int(func, "groups", groups)
    if x.ndim < 2:
        raise ValueError(f"{func}: input must have shape (N, C, *spatial); got shape {x.shape}")
    if x.shape[1] % groups:
        raise ValueError(f"{func}: groups={groups} must divide channels={x.shape[1]}")
    return x, groups


def channel_shuffle(x, groups):
    """Shuffle channels across groups, as ``torch.nn.functional.channel_shuffle``.

    Parameters
    ----------
    x : array_like, shape (N, C, *spatial)
    groups : int
        Must divide ``C``.

    Returns
    -------
    ndarray, shape (N, C, *spatial)
        ``y[:, k] = x[:, (k % groups) * (C // groups) + k // groups]``.

    Notes
    -----
    A permutation of the channels: ``(N, G, C/G, ...) -> (N, C/G, G, ...)``. Its inverse is
    :func:`channel_unshuffle` (the same operation with ``C/G`` groups).

    References
    ----------
    X. Zhang, X. Zhou, M. Lin and J. Sun, "ShuffleNet: an extremely efficient convolutional
    neural network for mobile devices", CVPR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo import channel_shuffle, channel_unshuffle
    >>> x = np.arange(6.0).reshape(1, 6)
    >>> channel_shuffle(x, 2).tolist()
    [[0.0, 3.0, 1.0, 4.0, 2.0, 5.0]]
    >>> channel_unshuffle(channel_shuffle(x, 2), 2).tolist()
    [[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]]
    """
    x, groups = _check("channel_shuffle", x, groups)
    n, c, *spatial = x.shape
    y = x.reshape(n, groups, c // groups, *spatial)  # (N, G, C/G, *S)
    return y.swapaxes(1, 2).reshape(x.shape)  # (N, C/G, G, *S) -> (N, C, *S)


def channel_unshuffle(x, groups):
    """Inverse of :func:`channel_shuffle` with the same ``groups``.

    Parameters
    ----------
    x : array_like, shape (N, C, *spatial)
    groups : int
        Must divide ``C``.

    Returns
    -------
    ndarray, shape (N, C, *spatial)

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo import channel_unshuffle
    >>> channel_unshuffle(np.array([[0.0, 3.0, 1.0, 4.0, 2.0, 5.0]]), 2).tolist()
    [[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]]
    """
    x, groups = _check("channel_unshuffle", x, groups)
    n, c, *spatial = x.shape
    y = x.reshape(n, c // groups, groups, *spatial)  # (N, C/G, G, *S)
    return y.swapaxes(1, 2).reshape(x.shape)  # (N, G, C/G, *S) -> (N, C, *S)
