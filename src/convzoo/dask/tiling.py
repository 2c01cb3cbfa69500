"""Halo arithmetic: which input cells each output tile of a tiled convolution reads.

A convolution with kernel size ``k``, stride ``s`` and dilation ``d`` reads, for output cell
``j``, the padded input cells ``j*s ... j*s + d*(k-1)``: a window of ``span = d*(k-1) + 1``
cells (its receptive field). Cut the padded axis into tiles whose starts are multiples of
``s`` ("stride-aligned"); the outputs whose windows *start* in tile ``i`` form output tile
``i``, and they read tile ``i`` plus ``halo = span - s`` cells after it (nothing extra when
``span <= s``). Tiles start at the input's own chunk boundaries (rounded up to the stride),
so in the coordinates of the unpadded input a tile reads ``lo`` cells before its chunk and
``d*(k-1) - lo`` after: an asymmetric halo whenever the padding is, e.g. ``'same'`` padding
of an even kernel.

Tiles shorter than the halo are merged with the tile before (chunks smaller than the halo
are thus regrouped, never rejected), so a tile never reads more than its own length again.
Each tile reads the pieces of the blocks it overlaps; only those slices move between
workers. This is the overlap ("ghost cell") decomposition of stencil codes, as in Dask's
``map_overlap`` (Rocklin, "Dask: Parallel Computation with Blocked algorithms and Task
Scheduling", SciPy 2015).
"""

from __future__ import annotations

import itertools

__all__ = ["halo", "tile_starts", "output_chunks", "tile_pieces"]


def halo(k: int, s: int = 1, d: int = 1) -> int:
    """Cells a stride-aligned tile reads beyond its own end: ``max(d*(k-1) + 1 - s, 0)``.

    Examples
    --------
    >>> halo(3), halo(4), halo(3, s=2), halo(3, d=2), halo(2, s=2)
    (2, 3, 1, 4, 0)
    """
    return max(d * (k - 1) + 1 - s, 0)


def out_length(length: int, k: int, s: int = 1, d: int = 1) -> int:
    """Outputs of a valid convolution of a padded axis: ``(L - d*(k-1) - 1)//s + 1``."""
    return (length - d * (k - 1) - 1) // s + 1


def tile_starts(chunks, length: int, k: int, s: int = 1, d: int = 1, shift: int = 0):
    """Stride-aligned tile starts (padded coordinates) following the input's chunks.

    Parameters
    ----------
    chunks : tuple of int
        Chunk sizes of the padded axis (summing to ``length``).
    length : int
        Length of the padded axis.
    k, s, d : int
        Kernel size, stride and dilation.
    shift : int
        Padding before the input (``lo``): chunk boundary ``b`` of the padded axis proposes
        the tile start ``b - shift``, so output tiles line up with the input's chunks.

    Returns
    -------
    tuple of int
        Starts, first 0; each a multiple of ``s``, each tile at least ``max(halo, 1)`` long
        (except the last), each starting at least one output.

    Examples
    --------
    'same' padding of a 3-tap kernel on chunks (8, 8): border chunks of 1, tiles at 0 and 8;
    stride 2 moves a boundary at 5 to 6; chunks of 1 cell are merged up to the halo of 2:

    >>> tile_starts((1, 8, 8, 1), 18, 3, shift=1)
    (0, 8)
    >>> tile_starts((5, 5), 10, 3, s=2)
    (0, 6)
    >>> tile_starts((1,) * 6, 6, 3)
    (0, 2)
    """
    smallest = max(halo(k, s, d), 1)
    last_start = (out_length(length, k, s, d) - 1) * s
    starts = [0]
    for edge in itertools.accumulate(chunks[:-1]):
        aligned = -(-(edge - shift) // s) * s
        if aligned - starts[-1] >= smallest and aligned <= last_start:
            starts.append(aligned)
    return tuple(starts)


def output_chunks(starts, length: int, k: int, s: int = 1, d: int = 1) -> tuple[int, ...]:
    """Output tile sizes: the outputs ``j`` with ``j*s`` in each tile.

    Examples
    --------
    >>> output_chunks((0, 6), 10, 3, s=2)
    (3, 1)
    """
    ends = [*(a // s for a in starts[1:]), out_length(length, k, s, d)]
    return tuple(b - a // s for a, b in zip(starts, ends))


def tile_pieces(chunks, starts, out_chunks, k: int, s: int = 1, d: int = 1):
    """For each output tile, the input blocks it reads and the slice of each.

    Parameters
    ----------
    chunks : tuple of int
        The padded axis' chunk sizes.
    starts, out_chunks : tuple of int
        From :func:`tile_starts` and :func:`output_chunks`.

    Returns
    -------
    list of list of (int, int, int)
        Per output tile: ``(block, lo, hi)`` — cells ``lo:hi`` of block ``block`` — in
        order; their concatenation is the tile's window of ``(out - 1)*s + d*(k-1) + 1``
        cells.

    Examples
    --------
    'same' padding of a 3-tap kernel on chunks (8, 8) (border chunks of 1): the second
    tile reads the last cell of the first chunk as its left halo, and the right border:

    >>> tile_pieces((1, 8, 8, 1), (0, 8), (8, 8), 3)
    [[(0, 0, 1), (1, 0, 8), (2, 0, 1)], [(1, 7, 8), (2, 0, 8), (3, 0, 1)]]
    """
    bounds = list(itertools.accumulate(chunks, initial=0))
    span = d * (k - 1) + 1
    tiles = []
    for start, out in zip(starts, out_chunks):
        stop = start + (out - 1) * s + span
        pieces = []
        for block, (a, b) in enumerate(zip(bounds, bounds[1:])):
            if a < stop and b > start:
                pieces.append((block, max(start, a) - a, min(stop, b) - a))
        tiles.append(pieces)
    return tiles
