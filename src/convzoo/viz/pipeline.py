"""Scenes of several steps: chained convolutions, the channel shuffle, channel widths.

- :func:`chain_scenes`: convolutions in a row (spatially separable: column then row;
  depthwise separable: depthwise then 1x1; flattened: 1x1 then column then row). Each
  intermediate map fills during one pass and is read, padded if the next pass pads, by the
  next.
- :func:`shuffle_scene`: ShuffleNet's channel shuffle as a permutation between groups; the
  colour of a channel is the group it came from, so the output shows the interleaving.
- :func:`widths_scene`: the channel widths of a block (bottleneck, ShuffleNet unit): every
  tensor on the main path as one column of cells, one per channel, holding that channel's
  mean activation.

References
----------
X. Zhang et al., "ShuffleNet", arXiv:1707.01083 (channel shuffle).
K. He et al., "Deep residual learning for image recognition", arXiv:1512.03385 (bottleneck).
"""

from __future__ import annotations

import numpy as np

from .. import channel_shuffle
from .frames import REAL, Frame, Grid, Scene, add_volume_grids

__all__ = ["chain_scenes", "shuffle_scene", "widths_scene"]


def _stage_key(stage, key):
    return (f"s{stage}", *key[1:])


def chain_scenes(scenes, *, title, subtitle="", names=None) -> Scene:
    """Steps in a row: scene ``i``'s output is scene ``i+1``'s input.

    Parameters
    ----------
    scenes : list of Scene
        Each from :func:`~convzoo.viz.frames.conv_scene` or :func:`shuffle_scene`; the
        input of step ``i+1`` (before its padding) must be the output of step ``i``.
    title, subtitle : str
    names : list of str, optional
        Column titles of the intermediate and final maps.

    Returns
    -------
    Scene
        Columns ``s0`` (input), ``s1``, ..., ``sK``; frames of all steps in order, each
        ``index`` prefixed by its step number; ``extra["outputs"]`` the step outputs.

    Raises
    ------
    ValueError
        If a step's input grids do not match the previous step's output.
    """
    grids, frames, links = {}, [], []
    for key, grid in scenes[0].grids.items():
        if key[0] == "in":
            grids[_stage_key(0, key)] = grid
    for step, scene in enumerate(scenes):
        nxt = scenes[step + 1] if step + 1 < len(scenes) else None
        offset = (0,) * 3
        if nxt is None:
            for key, grid in scene.grids.items():
                if key[0] != "in":
                    grid.column = step + 1 + (key[0] == "overlap")
                    grids[_stage_key(step + 1, key) if key[0] == "out" else key] = grid
        else:
            spec = nxt.extra.get("spec")
            if spec is not None:
                lo = [p[0] for p in spec.padding]
                offset = (0,) * (3 - len(lo)) + tuple(lo) if len(lo) < 3 else tuple(lo)
            for key, grid in nxt.grids.items():
                if key[0] != "in":
                    continue
                twin = ("out", *key[1:])
                grid.output, grid.column = True, step + 1
                grid.group = scene.grids[twin].group if twin in scene.grids else grid.group
                grid.label = grid.label.replace("input", "map")
                grids[_stage_key(step + 1, key)] = grid
            _check_twins(scene, nxt, offset)
        for source, target in scene.extra.get("links", []):  # a shuffle step: unpadded maps
            links.append((_stage_key(step, source), _stage_key(step + 1, target)))
        for frame in scene.frames:
            key, r, c = frame.target
            frame.target = _moved(step + 1, key, r, c, offset)
            frame.fills = [_moved(step + 1, k, r_, c_, offset) for k, r_, c_ in frame.fills]
            frame.window = [(_stage_key(step, k), r_, c_) for k, r_, c_ in frame.window]
            frame.index = (step, *frame.index)
            frames.append(frame)
    titles = [scenes[0].column_titles[0]]
    for step, scene in enumerate(scenes):
        titles.append(names[step] if names else scene.column_titles[1])
    return Scene(
        title=title,
        grids=grids,
        frames=frames,
        subtitle=subtitle,
        column_titles=tuple(titles),
        output=scenes[-1].output,
        extra={"outputs": [s.output for s in scenes], "links": links},
    )


def _moved(stage, key, r, c, offset):
    dz, dr, dc = offset
    moved = _stage_key(stage, key)
    if len(key) == 3:  # (stage, channel, depth)
        moved = (moved[0], moved[1], key[2] + dz)
    return moved, r + dr, c + dc


def _check_twins(scene, nxt, offset):
    for key, grid in scene.grids.items():
        if key[0] != "out":
            continue
        moved, r0, c0 = _moved(0, ("in", *key[1:]), 0, 0, offset)
        target = ("in", *moved[1:])
        rows, cols = grid.values.shape
        view = nxt.grids.get(target)
        if view is None or view.values.shape[0] < r0 + rows or view.values.shape[1] < c0 + cols:
            raise ValueError(
                f"chain_scenes: step output grid {key} {grid.values.shape} does not fit the "
                f"next step's input"
            )
        if not np.allclose(view.values[r0 : r0 + rows, c0 : c0 + cols], grid.values):
            raise ValueError(f"chain_scenes: the next step does not read output grid {key}")


def shuffle_scene(x, groups, *, title=None) -> Scene:
    """Channel shuffle of ``x`` (N, C, *spatial) as a permutation, one frame per channel.

    Examples
    --------
    >>> scene = shuffle_scene(np.arange(6.0).reshape(1, 6, 1, 1), 3)
    >>> [f.value for f in scene.frames]
    [0.0, 2.0, 4.0, 1.0, 3.0, 5.0]
    """
    x = np.asarray(x, dtype=float)
    y = channel_shuffle(x, groups)
    channels = x.shape[1]
    source = channel_shuffle(np.arange(channels, dtype=float).reshape(1, channels), groups)
    source = source[0].astype(int)  # output channel j copies input channel source[j]
    per_group = channels // groups
    grids = {}
    real = np.full(x.shape[2:], REAL)
    add_volume_grids(grids, "in", x[0], real, 0, name="input", groups=groups)
    add_volume_grids(grids, "out", y[0], real, 1, name="output", groups=groups, output=True)
    for key, grid in grids.items():
        if key[0] == "out":
            grid.group = source[key[1]] // per_group  # colour of the group it came from
    frames = []
    ndim = x.ndim - 2
    for j, i in enumerate(source):
        cells_in = [k for k in grids if k[0] == "in" and k[1] == i]
        cells_out = [k for k in grids if k[0] == "out" and k[1] == j]
        window = [(k, r, c) for k in cells_in for r, c in np.ndindex(grids[k].values.shape)]
        fills = [(k, r, c) for k in cells_out for r, c in np.ndindex(grids[k].values.shape)]
        first = (0, j, *(0,) * ndim)
        frames.append(
            Frame(
                target=fills[0], value=float(y[first]), index=first, window=window,
                terms=[(float(x[(0, int(i), *(0,) * ndim)]), 1.0)], fills=fills[1:],
                caption=f"output channel {j} <- input channel {i} (group {i // per_group}, "
                f"member {i % per_group})",
            )
        )  # fmt: skip
    return Scene(
        title=title or f"Channel shuffle: {channels} channels, {groups} groups",
        grids=grids,
        frames=frames,
        subtitle="(N, g, C/g, H, W) -> transpose groups and members -> (N, C, H, W); "
        "colours: the group each channel came from",
        column_titles=("input channels", "shuffled"),
        output=y,
        extra={
            "source": source,
            "links": [
                (("in", int(i), *k[2:]), k) for k in grids if k[0] == "out" for i in [source[k[1]]]
            ],
        },
    )


def widths_scene(stages, *, title, subtitle="") -> Scene:
    """Channel widths along a block: ``stages`` is a list of ``(label, tensor)``.

    Each tensor (N, C, *spatial) becomes one column of C cells holding the channel means of
    batch item 0; frame ``i`` computes stage ``i+1`` from stage ``i``.

    Examples
    --------
    >>> scene = widths_scene([("in", np.ones((1, 4, 2, 2))), ("out", np.zeros((1, 2, 2, 2)))],
    ...                      title="4 -> 2")
    >>> scene.grids[("s1",)].values.shape, scene.frames[0].value
    ((2, 1), 0.0)
    """
    grids, frames = {}, []
    for i, (label, tensor) in enumerate(stages):
        t = np.asarray(tensor, dtype=float)
        means = t[0].reshape(t.shape[1], -1).mean(axis=1)[:, None]  # (C, 1)
        shape = "×".join(map(str, t.shape[2:]))
        grids[(f"s{i}",)] = Grid(
            f"{t.shape[1]} ch, {shape}", means, np.full(means.shape, REAL), i, output=i > 0
        )
        if i:
            fills = [((f"s{i}",), r, 0) for r in range(means.shape[0])]
            prev = grids[(f"s{i - 1}",)].values
            frames.append(
                Frame(
                    target=fills[0], value=float(means[0, 0]), index=(i, 0), fills=fills[1:],
                    window=[((f"s{i - 1}",), r, 0) for r in range(prev.shape[0])],
                    caption=f"{label}: {prev.shape[0]} -> {means.shape[0]} channels",
                )
            )  # fmt: skip
    return Scene(
        title=title,
        grids=grids,
        frames=frames,
        subtitle=subtitle or "one cell per channel (its mean activation)",
        column_titles=tuple(label for label, _ in stages),
        output=np.asarray(stages[-1][1]),
        extra={"means": [grids[(f"s{i}",)].values[:, 0] for i in range(len(stages))]},
    )
