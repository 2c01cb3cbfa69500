"""Cost rules of the non-convolution layers, from shapes alone.

Shared by the zoo layers (:func:`convzoo.cost`) and PyTorch modules
(:func:`convzoo.profile`), so both count a layer the same way. The conventions are those of
:mod:`convzoo.costmodel.types`; the convolution rule is
:func:`convzoo.costmodel.conv.cost_of_spec`.
"""

from __future__ import annotations

from math import ceil, floor, prod

from .types import DEFAULT_ITEMSIZE, Cost

__all__ = [
    "linear_cost",
    "batchnorm_cost",
    "activation_cost",
    "pool_cost",
    "adaptive_pool_cost",
    "add_cost",
    "movement_cost",
    "free_cost",
]


def _traffic(in_elements: int, params: int, out_elements: int, itemsize: int) -> dict:
    return {
        "bytes_read": (in_elements + params) * itemsize,
        "bytes_written": out_elements * itemsize,
    }


def linear_cost(input_shape, out_features: int, *, bias: bool = True,
                itemsize: int = DEFAULT_ITEMSIZE) -> Cost:  # fmt: skip
    """Fully connected layer over the last axis of ``input_shape`` ``(..., in_features)``.

    Each output element: ``in_features`` multiplications, ``in_features - 1`` additions (+1
    with bias).

    Examples
    --------
    >>> c = linear_cost((1, 1024), 1000)
    >>> c.output_shape, c.macs, c.adds, c.params
    ((1, 1000), 1024000, 1024000, 1025000)
    """
    *lead, in_features = input_shape
    outputs = prod(lead) * out_features
    params = in_features * out_features + (out_features if bias else 0)
    return Cost(
        (*lead, out_features),
        mults=outputs * in_features,
        adds=outputs * (in_features - 1 + int(bias)),
        macs=outputs * in_features,
        params=params,
        activations=outputs,
        **_traffic(prod(input_shape), params, outputs, itemsize),
    )


def batchnorm_cost(shape, *, affine: bool = True, itemsize: int = DEFAULT_ITEMSIZE) -> Cost:
    """Inference BatchNorm folded to ``x*scale + shift``: one mult and one add per element.

    ``params = 2*C`` (gamma, beta) when ``affine``; running statistics are buffers.

    Examples
    --------
    >>> c = batchnorm_cost((1, 32, 112, 112))
    >>> c.mults, c.adds, c.macs, c.params
    (401408, 401408, 0, 64)
    """
    numel = prod(shape)
    params = 2 * shape[1] if affine else 0
    return Cost(
        tuple(shape), mults=numel, adds=numel, params=params, activations=numel,
        **_traffic(numel, params, numel, itemsize),
    )  # fmt: skip


def activation_cost(shape, *, comparisons_per_element: int = 1,
                    itemsize: int = DEFAULT_ITEMSIZE) -> Cost:  # fmt: skip
    """Elementwise activation: ReLU is 1 comparison per element, ReLU6 2 (clamp both ends).

    Examples
    --------
    >>> activation_cost((1, 8, 4, 4), comparisons_per_element=2).comparisons
    256
    """
    numel = prod(shape)
    return Cost(
        tuple(shape), comparisons=numel * comparisons_per_element, activations=numel,
        **_traffic(numel, 0, numel, itemsize),
    )  # fmt: skip


def pool_cost(input_shape, output_shape, window: int, *, kind: str,
              itemsize: int = DEFAULT_ITEMSIZE) -> Cost:  # fmt: skip
    """Max or average pooling with ``window`` cells per output element.

    Max: ``window - 1`` comparisons per output. Average: ``window - 1`` additions and one
    multiplication by ``1/window`` per output. Padding cells are counted, as for
    convolutions.

    Examples
    --------
    >>> pool_cost((1, 1, 4, 4), (1, 1, 2, 2), 4, kind="avg").adds
    12
    """
    outputs = prod(output_shape)
    if kind == "max":
        ops = {"comparisons": outputs * (window - 1)}
    elif kind == "avg":
        ops = {"adds": outputs * (window - 1), "mults": outputs}
    else:
        raise ValueError(f"pool_cost: kind must be 'max' or 'avg'; got {kind!r}")
    return Cost(
        tuple(output_shape), activations=outputs,
        **ops, **_traffic(prod(input_shape), 0, outputs, itemsize),
    )  # fmt: skip


def adaptive_pool_cost(input_shape, output_shape, *, kind: str,
                       itemsize: int = DEFAULT_ITEMSIZE) -> Cost:  # fmt: skip
    """Adaptive (e.g. global) pooling: PyTorch's windows ``[floor(i*n/o), ceil((i+1)*n/o))``.

    Counted exactly per output cell; a global average pool over ``H*W`` costs ``H*W - 1``
    additions and one multiplication per channel.

    Examples
    --------
    >>> c = adaptive_pool_cost((1, 1024, 7, 7), (1, 1024, 1, 1), kind="avg")
    >>> c.adds, c.mults
    (49152, 1024)
    """
    sizes = []
    for n, o in zip(input_shape[2:], output_shape[2:], strict=True):
        sizes.append([ceil((i + 1) * n / o) - floor(i * n / o) for i in range(o)])
    windows = 1
    for per_dim in sizes:  # sum over output cells of the window size, dimension by dimension
        windows *= sum(per_dim)
    outputs = prod(output_shape)
    per_channel = prod(output_shape[:2])
    reduce = per_channel * windows - outputs
    if kind not in ("max", "avg"):
        raise ValueError(f"adaptive_pool_cost: kind must be 'max' or 'avg'; got {kind!r}")
    ops = {"comparisons": reduce} if kind == "max" else {"adds": reduce, "mults": outputs}
    return Cost(
        tuple(output_shape), activations=outputs,
        **ops, **_traffic(prod(input_shape), 0, outputs, itemsize),
    )  # fmt: skip


def add_cost(input_shapes, output_shape, *, itemsize: int = DEFAULT_ITEMSIZE) -> Cost:
    """Elementwise sum of ``len(input_shapes)`` tensors (a residual merge).

    Examples
    --------
    >>> add_cost([(1, 4, 2, 2), (1, 4, 2, 2)], (1, 4, 2, 2)).adds
    16
    """
    outputs = prod(output_shape)
    read = sum(prod(s) for s in input_shapes)
    return Cost(
        tuple(output_shape), adds=outputs * (len(input_shapes) - 1), activations=outputs,
        **_traffic(read, 0, outputs, itemsize),
    )  # fmt: skip


def movement_cost(input_shapes, output_shape, *, itemsize: int = DEFAULT_ITEMSIZE) -> Cost:
    """A layer that only moves data (channel shuffle, concat): no arithmetic, one copy.

    Examples
    --------
    >>> movement_cost([(1, 4, 2, 2)], (1, 4, 2, 2)).bytes
    128
    """
    outputs = prod(output_shape)
    read = sum(prod(s) for s in input_shapes)
    return Cost(tuple(output_shape), activations=outputs, **_traffic(read, 0, outputs, itemsize))


def free_cost(output_shape) -> Cost:
    """A view or an identity (Flatten, Dropout at inference): nothing computed or moved.

    Examples
    --------
    >>> free_cost((1, 8)).bytes
    0
    """
    return Cost(tuple(output_shape))
