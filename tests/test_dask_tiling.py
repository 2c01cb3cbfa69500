"""Properties of the halo arithmetic (pure integers): tiles cover every output exactly once."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from convzoo.dask.tiling import halo, output_chunks, tile_pieces, tile_starts


@st.composite
def axes(draw):
    k, s, d = (draw(st.integers(1, 5)) for _ in range(3))
    length = draw(st.integers(d * (k - 1) + 1, 60))
    cuts = sorted(draw(st.sets(st.integers(1, length - 1), max_size=8))) if length > 1 else []
    chunks = tuple(b - a for a, b in zip([0, *cuts], [*cuts, length]))
    shift = draw(st.integers(0, d * (k - 1)))
    return chunks, length, k, s, d, shift


@settings(max_examples=300, deadline=None)
@given(axes())
def test_tiles_cover_every_output_once_and_read_exactly_their_windows(axis):
    chunks, length, k, s, d, shift = axis
    starts = tile_starts(chunks, length, k, s, d, shift)
    outs = output_chunks(starts, length, k, s, d)
    assert sum(outs) == (length - d * (k - 1) - 1) // s + 1  # every output, once
    assert all(o > 0 for o in outs) and all(a % s == 0 for a in starts)
    assert all(b - a >= max(halo(k, s, d), 1) for a, b in zip(starts, starts[1:]))
    bounds = [0]
    for c in chunks:
        bounds.append(bounds[-1] + c)
    for start, out, pieces in zip(starts, outs, tile_pieces(chunks, starts, outs, k, s, d)):
        cells = [bounds[b] + i for b, lo, hi in pieces for i in range(lo, hi)]
        assert cells == list(range(start, start + (out - 1) * s + d * (k - 1) + 1))
