"""Count any ``torch.nn.Module`` with convzoo's conventions, using forward hooks.

One forward pass on zeros records every leaf module's input and output shapes; each module
is then counted by the same rules as the zoo layers (:mod:`convzoo.costmodel.conv`,
:mod:`convzoo.costmodel.rules`): grouped, depthwise, dilated and padded convolutions, and
transposed convolutions counted on their input grid (where fvcore, thop and ptflops
disagree).
"""

from __future__ import annotations

from math import prod

from ..spec import make_spec
from .conv import cost_of_spec
from .rules import (
    activation_cost,
    adaptive_pool_cost,
    batchnorm_cost,
    free_cost,
    linear_cost,
    movement_cost,
    pool_cost,
)
from .table import CostTable, LayerCost
from .types import DEFAULT_ITEMSIZE, Cost

__all__ = ["profile"]


def _import_torch():
    try:
        import torch
    except ImportError as error:  # pragma: no cover - torch is installed in CI
        raise ImportError(
            "profile: PyTorch is needed to profile a torch module: pip install convzoo[torch]"
        ) from error
    return torch


def profile(module, input_shape, *, exact: bool = False,
            itemsize: int = DEFAULT_ITEMSIZE) -> CostTable:  # fmt: skip
    """Per-layer cost of a PyTorch module, counted like the zoo layers.

    Parameters
    ----------
    module : torch.nn.Module
    input_shape : tuple of int, shape (N, C, *spatial)
        Shape of the input the module is run on (zeros of its parameters' dtype, once, in
        eval mode, without gradients; the module's train/eval mode is restored afterwards).
    exact, itemsize
        As in :func:`convzoo.costmodel.conv.cost_of_spec`.

    Returns
    -------
    CostTable
        One row per call of a leaf module, named by its ``named_modules()`` path. Leaf
        modules without a rule keep their parameters and output size but no operations,
        and are listed in ``notes``; arithmetic written in ``forward`` code (a residual
        ``+``, ``torch.cat``) is not seen by hooks and not counted.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 128, 3), torch.nn.ReLU())
    >>> table = profile(net, (1, 3, 7, 7))
    >>> [(row.name, row.type, row.cost.macs) for row in table]
    [('0', 'Conv2d', 86400), ('1', 'ReLU', 0)]
    >>> table.total.params
    3584
    """
    torch = _import_torch()
    shape = tuple(int(n) for n in input_shape)
    records, hooks = [], []
    names = {m: name for name, m in module.named_modules()}

    def hook(mod, inputs, output):
        in_shapes = [tuple(t.shape) for t in inputs if isinstance(t, torch.Tensor)]
        out = output if isinstance(output, torch.Tensor) else output[0]
        records.append((names[mod], mod, in_shapes, tuple(out.shape)))

    for m in names:
        if next(m.children(), None) is None:
            hooks.append(m.register_forward_hook(hook))
    modes = {m: m.training for m in names}
    try:
        module.eval()
        with torch.no_grad():
            dtype = next((p.dtype for p in module.parameters()), torch.get_default_dtype())
            module(torch.zeros(shape, dtype=dtype))
    except RuntimeError as error:
        where = f" (after {records[-1][0]!r})" if records else ""
        raise ValueError(
            f"profile: input shape {shape} does not fit {type(module).__name__}{where}: {error}"
        ) from error
    finally:
        for h in hooks:
            h.remove()
        for m, training in modes.items():
            m.train(training)
    rows, notes, seen = [], [], {}
    for name, mod, in_shapes, out_shape in records:
        seen[name] = seen.get(name, 0) + 1
        label = name if seen[name] == 1 else f"{name}#{seen[name]}"
        cost = _module_cost(torch, mod, in_shapes, out_shape, exact, itemsize)
        if cost is None:
            params = sum(p.numel() for p in mod.parameters())
            cost = Cost(out_shape, params=params, activations=prod(out_shape))
            notes.append(f"{label} ({type(mod).__name__}): no cost rule; only params counted")
        rows.append(LayerCost(label, type(mod).__name__, cost))
    return CostTable(shape, tuple(rows), tuple(notes))


def _module_cost(torch, mod, in_shapes, out_shape, exact, itemsize):
    nn = torch.nn
    opts = {"itemsize": itemsize}
    in_shape = in_shapes[0] if in_shapes else out_shape
    if isinstance(mod, nn.modules.conv._ConvNd):
        transposed = isinstance(mod, nn.modules.conv._ConvTransposeNd)
        keywords = {"stride": mod.stride, "dilation": mod.dilation, "groups": mod.groups}
        if transposed:
            keywords.update(padding=mod.padding, transposed=True, output_size=out_shape[2:])
        else:
            keywords.update(padding=mod.padding, padding_mode=mod.padding_mode)
        spec = make_spec("profile", in_shape, tuple(mod.weight.shape), **keywords)
        return cost_of_spec(spec, bias=mod.bias is not None, exact=exact, **opts)
    if isinstance(mod, nn.Linear):
        return linear_cost(in_shape, mod.out_features, bias=mod.bias is not None, **opts)
    if isinstance(mod, nn.modules.batchnorm._BatchNorm):
        return batchnorm_cost(out_shape, affine=mod.affine, **opts)
    if isinstance(mod, nn.ReLU6 | nn.Hardtanh):
        return activation_cost(out_shape, comparisons_per_element=2, **opts)
    if isinstance(mod, nn.ReLU | nn.LeakyReLU):
        return activation_cost(out_shape, comparisons_per_element=1, **opts)
    for base, kind in (("MaxPool", "max"), ("AvgPool", "avg")):
        if type(mod).__name__.startswith(base):
            window = prod(_tuple(mod.kernel_size, len(out_shape) - 2))
            return pool_cost(in_shape, out_shape, window, kind=kind, **opts)
        if type(mod).__name__.startswith("Adaptive" + base):
            return adaptive_pool_cost(in_shape, out_shape, kind=kind, **opts)
    if isinstance(mod, nn.ChannelShuffle):
        return movement_cost(in_shapes, out_shape, **opts)
    if isinstance(mod, nn.Flatten | nn.Identity | nn.Dropout | nn.Unflatten):
        return free_cost(out_shape)
    return None


def _tuple(value, ndim):
    return tuple(value) if isinstance(value, tuple | list) else (value,) * ndim
