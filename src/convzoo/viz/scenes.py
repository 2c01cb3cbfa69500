"""From what a user names (a configuration, a layer type, a layer) to the Scene to animate.

Layers come from :mod:`convzoo.nn` (imported lazily): a convolution layer is animated with
its own weights on a small seeded input with values 0..3, through its own spec.
"""

from __future__ import annotations

import numpy as np

from .arithmetic import CONFIGURATIONS, arithmetic_scene
from .frames import Scene, conv_scene, transposed_scene

__all__ = ["available", "scene_for", "example_input"]


def _registry():
    try:
        from .. import nn
    except ImportError:
        return {}
    return nn.registry()


def available() -> list[str]:
    """Every name :func:`scene_for` accepts: registered layer types, then configurations.

    Examples
    --------
    >>> "padding_strides_odd_transposed" in available()
    True
    """
    return [*_registry(), *CONFIGURATIONS]


def example_input(input_shape, seed=0) -> np.ndarray:
    """Small integers 0..3 (readable in the cells), seeded, as float64."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 4, size=tuple(input_shape)).astype(float)


def layer_scene(layer, input_shape, x=None) -> Scene:
    """Scene of a convolution layer (``Conv`` / ``ConvTranspose`` of the layer contract)."""
    x = example_input(input_shape) if x is None else x
    spec = layer.spec(tuple(input_shape))
    weight = np.asarray(layer.weight, dtype=float)
    bias = None if getattr(layer, "bias", None) is None else np.asarray(layer.bias, float)
    name = type(layer).__name__
    if spec.transposed:
        return transposed_scene(
            x, weight, bias, stride=spec.stride, padding=spec.padding,
            output_padding=spec.output_padding, dilation=spec.dilation, groups=spec.groups,
            title=f"{name}: transposed convolution",
        )  # fmt: skip
    return conv_scene(
        x, weight, bias, stride=spec.stride, padding=spec.padding, dilation=spec.dilation,
        groups=spec.groups, padding_mode=spec.padding_mode, padding_value=spec.padding_value,
        title=f"{name}: convolution",
    )  # fmt: skip


def scene_for(what, input_shape=None) -> Scene:
    """The Scene for a configuration name, a registered type name or a layer.

    Raises
    ------
    ValueError
        For a name that is neither (listing the valid ones) or a layer that cannot be drawn.

    Examples
    --------
    >>> scene_for("dilation").output.shape
    (1, 1, 3, 3)
    """
    if isinstance(what, str):
        if what in CONFIGURATIONS:
            return arithmetic_scene(what)
        registry = _registry()
        if what not in registry:
            raise ValueError(f"animate: unknown type {what!r}; choose one of {available()}")
        layer, example_shape = registry[what].example()
        return scene_for(layer, input_shape or example_shape)
    if input_shape is None:
        if not hasattr(type(what), "example"):
            raise TypeError(
                "animate: expected a name, a Scene or a convzoo.nn layer; "
                f"got {type(what).__name__}"
            )
        input_shape = type(what).example()[1]
    if hasattr(what, "spec") and hasattr(what, "weight"):
        return layer_scene(what, input_shape)
    raise ValueError(f"animate: cannot draw a {type(what).__name__} layer")
