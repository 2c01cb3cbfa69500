"""The Scene of any :mod:`convzoo.nn` layer, found from its ``trace``.

- one convolution leaf (conv1d/2d/3d, dilated, 1x1, depthwise, grouped, pointwise grouped,
  transposed): its window animation, channels stacked, groups coloured;
- a channel shuffle: the permutation between groups;
- a chain of convolutions and shuffles (spatially separable, depthwise separable, shuffled
  grouped, flattened): the steps in a row, each reading the map the previous one wrote;
- anything with normalisation, activations or a shortcut (bottleneck, ShuffleNet unit):
  the channel widths along the main path, with the real activations of a forward pass.

Inputs are small integers 0..3 (batch 1), so the numbers in the cells stay readable.
"""

from __future__ import annotations

import numpy as np

from .frames import Scene, conv_scene
from .pipeline import chain_scenes, shuffle_scene, widths_scene
from .transposed import transposed_scene

__all__ = ["example_input", "layer_scene"]


def example_input(input_shape, seed=0) -> np.ndarray:
    """Small integers 0..3 (readable in the cells), seeded, as float64."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 4, size=tuple(input_shape)).astype(float)


def _is_conv(leaf):
    return hasattr(leaf, "spec") and getattr(leaf, "weight", None) is not None


def _is_shuffle(leaf):
    return type(leaf).__name__ == "ChannelShuffle"


def _leaf_scene(leaf, x, title=None):
    if _is_shuffle(leaf):
        return shuffle_scene(x, leaf.groups, title=title)
    spec = leaf.spec(x.shape)
    weight = np.asarray(leaf.weight, dtype=float)
    bias = None if getattr(leaf, "bias", None) is None else np.asarray(leaf.bias, float)
    common = dict(stride=spec.stride, padding=spec.padding, dilation=spec.dilation,
                  groups=spec.groups, title=title)  # fmt: skip
    if spec.transposed:
        return transposed_scene(x, weight, bias, output_padding=spec.output_padding, **common)
    return conv_scene(
        x, weight, bias, padding_mode=spec.padding_mode, padding_value=spec.padding_value,
        **common,
    )  # fmt: skip


def _describe(entry):
    leaf = entry.layer
    if _is_shuffle(leaf):
        return f"{entry.path or 'shuffle'}: shuffle, {leaf.groups} groups"
    spec = leaf.spec(entry.input_shape)
    k = "×".join(map(str, spec.kernel_size))
    text = f"{entry.path or type(leaf).__name__}: {k}"
    if spec.groups > 1:
        text += f", groups {spec.groups}"
    return text + f" → {spec.out_channels} ch"


def layer_scene(layer, input_shape=None, x=None) -> Scene:
    """The Scene of ``layer`` on a batch-1 input of ``input_shape`` (default: its example).

    Parameters
    ----------
    layer : convzoo.nn.Layer
    input_shape : tuple of int, optional
        ``(N, C, *spatial)``; ``N`` is replaced by 1.
    x : ndarray, optional
        The input (default: :func:`example_input`).

    Returns
    -------
    Scene
        ``extra["layer_output"]`` is ``layer.forward(x)``.

    Examples
    --------
    >>> from convzoo.nn import registry
    >>> scene = layer_scene(*registry()["depthwise_separable"].example())
    >>> scene.column_titles[1:]
    ('depthwise: 3×3, groups 3 → 3 ch', 'pointwise: 1×1 → 4 ch')
    """
    if input_shape is None:
        input_shape = type(layer).example()[1]
    shape = (1, *tuple(input_shape)[1:])
    x = example_input(shape) if x is None else np.asarray(x, dtype=float)
    layer.eval()
    entries = layer.trace(shape)
    name = type(layer).__name__
    summary = getattr(type(layer), "summary", "")
    if all(_is_conv(e.layer) or _is_shuffle(e.layer) for e in entries) and all(
        a.output_shape == b.input_shape for a, b in zip(entries, entries[1:])
    ):
        scenes, t = [], x
        for entry in entries:
            scene = _leaf_scene(entry.layer, t, title=f"{name}: {summary}")
            scenes.append(scene)
            t = scene.output
        if len(scenes) == 1:
            scene = scenes[0]
        else:
            scene = chain_scenes(
                scenes, title=f"{name}: {summary}",
                subtitle=" → ".join(_describe(e) for e in entries),
                names=[_describe(e) for e in entries],
            )  # fmt: skip
    else:
        scene = _widths(layer, entries, x, name, summary)
    scene.extra["layer_output"] = layer.forward(x)
    return scene


def _widths(layer, entries, x, name, summary):
    """Channel widths along the main path (branches and merges folded into the output)."""
    stages, t, pending = [("input", x)], x, []
    for entry in entries:
        leaf = entry.layer
        branch = entry.path.split(".")[0] in ("downsample", "shortcut")
        if type(leaf).__name__ in ("Add", "Concat"):
            break
        if branch:
            continue
        if (_is_conv(leaf) or _is_shuffle(leaf)) and pending:
            stages.append(("+".join(pending), t))
            pending = []
        t = leaf.forward(t)
        pending.append(entry.path or type(leaf).__name__)
    if pending:
        stages.append(("+".join(pending), t))
    stages.append(("output (with shortcut)", layer.forward(x)))
    widths = " → ".join(str(np.shape(s)[1]) for _, s in stages)
    return widths_scene(stages, title=f"{name}: {summary}",
                        subtitle=f"channel widths {widths}; cells: channel means")  # fmt: skip
