"""From what a user names (a configuration, a layer type, a layer) to the Scene to animate.

Layers come from :mod:`convzoo.nn` (imported lazily) and are drawn by
:func:`convzoo.viz.layers.layer_scene` with their own weights.
"""

from __future__ import annotations

from .arithmetic import CONFIGURATIONS, arithmetic_scene
from .frames import Scene
from .layers import example_input, layer_scene

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
            if input_shape is not None:
                raise ValueError(
                    f"animate: {what!r} is a conv_arithmetic configuration with fixed sizes; "
                    f"input_shape={tuple(input_shape)} applies to layer types only"
                )
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
    return layer_scene(what, input_shape)
