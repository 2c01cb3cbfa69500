"""The registry of convolution types: name -> layer class.

The CLI (``convzoo types``), the tour, the cost model's comparisons and the visualiser
enumerate this mapping, so a type registered once shows up everywhere. Each class carries
``summary`` (one line) and ``paper``, and ``example()`` gives a small instance.
"""

from __future__ import annotations

from .bottleneck import Bottleneck
from .conv import Conv, Conv1d, Conv3d, Dilated, SingleChannelConv
from .depthwise import Depthwise, DepthwiseSeparable
from .flattened import Flattened
from .grouped import Grouped, PointwiseGrouped, ShuffledGrouped
from .pointwise import Pointwise
from .separable import SpatiallySeparable
from .shuffle import ChannelShuffle, ShuffleUnit
from .transposed import Transposed

__all__ = ["register", "registry"]

_REGISTRY: dict[str, type] = {}


def register(name: str, cls: type, *, table: dict | None = None) -> type:
    """Add ``cls`` under ``name``; a name can be registered once.

    Raises
    ------
    ValueError
        If ``name`` is already registered.

    Examples
    --------
    >>> from convzoo.nn.registry import register
    >>> register("conv2d", object, table={"conv2d": int})
    Traceback (most recent call last):
    ...
    ValueError: register: type name 'conv2d' is already registered (to int)
    """
    table = _REGISTRY if table is None else table
    if name in table:
        raise ValueError(
            f"register: type name {name!r} is already registered (to {table[name].__name__})"
        )
    table[name] = cls
    return cls


for _name, _cls in [
    ("conv2d_single", SingleChannelConv),
    ("conv2d", Conv),
    ("conv1d", Conv1d),
    ("conv3d", Conv3d),
    ("dilated", Dilated),
    ("pointwise", Pointwise),
    ("bottleneck", Bottleneck),
    ("spatially_separable", SpatiallySeparable),
    ("depthwise", Depthwise),
    ("depthwise_separable", DepthwiseSeparable),
    ("grouped", Grouped),
    ("channel_shuffle", ChannelShuffle),
    ("shuffled_grouped", ShuffledGrouped),
    ("pointwise_grouped", PointwiseGrouped),
    ("shuffle_unit", ShuffleUnit),
    ("transposed", Transposed),
    ("flattened", Flattened),
]:
    register(_name, _cls)


def registry() -> dict[str, type]:
    """Every convolution type: registry key -> layer class (a copy, in the seed's order).

    Examples
    --------
    >>> from convzoo.nn import registry
    >>> list(registry())[:4]
    ['conv2d_single', 'conv2d', 'conv1d', 'conv3d']
    >>> registry()["depthwise_separable"].__name__
    'DepthwiseSeparable'
    """
    return dict(_REGISTRY)
