"""Cost of zoo layers and whole models: sum the leaf rules over ``layer.trace(shape)``.

Nothing runs: :meth:`convzoo.nn.Layer.trace` lists every leaf with its input and output
shapes, and each leaf is counted by its rule (:func:`leaf_cost`), with the conventions of
:mod:`convzoo.costmodel.types`.
"""

from __future__ import annotations

from math import prod

from .conv import cost_of_spec
from .rules import (
    activation_cost,
    add_cost,
    batchnorm_cost,
    free_cost,
    linear_cost,
    movement_cost,
    pool_cost,
)
from .table import CostTable, LayerCost
from .types import DEFAULT_ITEMSIZE, Cost

__all__ = ["cost", "summary", "leaf_cost", "native_input_shape"]


def leaf_cost(entry, *, exact: bool = False, itemsize: int = DEFAULT_ITEMSIZE) -> Cost:
    """Cost of one :class:`~convzoo.nn.TraceEntry` (a leaf layer with its shapes).

    Raises
    ------
    TypeError
        For a leaf layer type without a cost rule.

    Examples
    --------
    >>> from convzoo.nn import BatchNorm
    >>> [entry] = BatchNorm(8).trace((1, 8, 4, 4))
    >>> c = leaf_cost(entry)
    >>> c.mults, c.adds, c.macs, c.params
    (128, 128, 0, 16)
    """
    from .. import nn

    layer, in_shape, out_shape = entry.layer, entry.input_shape, entry.output_shape
    opts = {"itemsize": itemsize}
    operands = entry.input_shapes or (in_shape,)
    if isinstance(layer, nn.Conv | nn.ConvTranspose):
        spec = layer.spec(in_shape)
        total = cost_of_spec(spec, bias=layer.bias is not None, exact=exact, **opts)
        fused = getattr(layer, "activation", None)  # Pointwise's optional fused nonlinearity
        if isinstance(fused, str):
            per = {"relu": 1, "relu6": 2}[fused]
            total += activation_cost(out_shape, comparisons_per_element=per, **opts)
        return total
    if isinstance(layer, nn.Linear):
        return linear_cost(in_shape, layer.out_features, bias=layer.bias is not None, **opts)
    if isinstance(layer, nn.BatchNorm):
        return batchnorm_cost(out_shape, **opts)
    if isinstance(layer, nn.ReLU6):
        return activation_cost(out_shape, comparisons_per_element=2, **opts)
    if isinstance(layer, nn.ReLU):
        return activation_cost(out_shape, comparisons_per_element=1, **opts)
    if isinstance(layer, nn.MaxPool | nn.AvgPool):
        kind = "max" if isinstance(layer, nn.MaxPool) else "avg"
        return pool_cost(in_shape, out_shape, prod(layer.kernel_size), kind=kind, **opts)
    if isinstance(layer, nn.GlobalAvgPool):
        channels, window = prod(in_shape[:2]), prod(in_shape[2:])
        return Cost(
            tuple(out_shape), adds=channels * (window - 1), mults=channels,
            activations=prod(out_shape), bytes_read=prod(in_shape) * itemsize,
            bytes_written=prod(out_shape) * itemsize,
        )  # fmt: skip
    if isinstance(layer, nn.Add):
        return add_cost(operands, out_shape, **opts)
    if isinstance(layer, nn.ChannelShuffle | nn.Concat):
        return movement_cost(operands, out_shape, **opts)
    if isinstance(layer, nn.Flatten | nn.Dropout):
        return free_cost(out_shape)
    raise TypeError(
        f"cost: no cost rule for leaf layer {type(layer).__name__} at "
        f"{entry.path or '(top)'!r}; rules exist for Conv, ConvTranspose, Linear, BatchNorm, "
        "ReLU, ReLU6, MaxPool, AvgPool, GlobalAvgPool, Flatten, Dropout, ChannelShuffle, Add, "
        "Concat"
    )


def native_input_shape(func: str, layer, input_shape=None) -> tuple[int, ...]:
    """``input_shape``, else the model's ``input_shape`` attribute, else its ``example()``'s.

    Examples
    --------
    >>> from convzoo.nn import Conv
    >>> native_input_shape("cost", Conv(3, 8, 3)), native_input_shape("cost", None, (1, 2, 3))
    ((2, 3, 5, 5), (1, 2, 3))
    """
    if input_shape is not None:
        return tuple(int(n) for n in input_shape)
    native = getattr(layer, "input_shape", None)
    if native is not None and not callable(native):
        return tuple(native)
    try:
        return tuple(type(layer).example()[1])
    except NotImplementedError as error:
        raise ValueError(
            f"{func}: {type(layer).__name__} has no native input shape; pass input_shape"
        ) from error


def _trace(func, layer, shape, given):
    try:
        return layer.trace(shape)
    except ValueError as error:
        label = getattr(layer, "name", None) or type(layer).__name__
        hint = "" if given else f" (the default shape of {label}.example(); pass input_shape)"
        raise ValueError(
            f"{func}: input shape {shape}{hint} does not fit {label}: {error}"
        ) from error


def cost(layer, input_shape=None, *, exact: bool = False,
         itemsize: int = DEFAULT_ITEMSIZE) -> Cost:  # fmt: skip
    """Exact cost of a zoo layer or model on an input of ``input_shape`` (nothing runs).

    Parameters
    ----------
    layer : convzoo.nn.Layer
        Any leaf or composite layer, or a model of :mod:`convzoo.models`.
    input_shape : tuple of int, optional
        ``(N, C, *spatial)``; by default the model's native ``input_shape`` (or the shape
        of the layer type's ``example()``).
    exact, itemsize
        As in :func:`convzoo.costmodel.conv.cost_of_spec`.

    Returns
    -------
    Cost
        The sum of the leaf costs over ``layer.trace(input_shape)``.

    Raises
    ------
    ValueError
        If the shape does not fit the layer (the message names the layer and the shapes).

    Examples
    --------
    >>> from convzoo.nn import Conv, ReLU, Sequential
    >>> c = cost(Sequential(Conv(3, 128, 3, bias=False), ReLU()), (1, 3, 7, 7))
    >>> c.output_shape, c.macs, c.params, c.comparisons
    ((1, 128, 5, 5), 86400, 3456, 3200)
    """
    return summary(layer, input_shape, exact=exact, itemsize=itemsize).total


def summary(model, input_shape=None, *, exact: bool = False,
            itemsize: int = DEFAULT_ITEMSIZE) -> CostTable:  # fmt: skip
    """Per-layer cost table of a zoo model: name, type, output shape, params, MACs, share.

    Same arguments as :func:`cost`. The library returns the table; ``to_markdown()``
    renders it (the CLI prints it).

    Examples
    --------
    >>> from convzoo.nn import Conv, Linear, Flatten, Sequential
    >>> table = summary(Sequential(Conv(1, 4, 3), Flatten(), Linear(36, 10)), (1, 1, 5, 5))
    >>> [(row.name, row.type, row.cost.macs) for row in table]
    [('0', 'Conv', 324), ('1', 'Flatten', 0), ('2', 'Linear', 360)]
    >>> table.total.params
    410
    """
    shape = native_input_shape("summary", model, input_shape)
    rows = []
    given = input_shape is not None or getattr(model, "input_shape", None) is not None
    for entry in _trace("cost", model, shape, given):
        row_cost = leaf_cost(entry, exact=exact, itemsize=itemsize)
        rows.append(LayerCost(entry.path, type(entry.layer).__name__, row_cost))
    return CostTable(shape, tuple(rows))
