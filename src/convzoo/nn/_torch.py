"""PyTorch interop helpers: lazy import, state conversion, the few modules torch lacks.

torch has no residual, concat or fused conv+activation module; the classes built here are
plain ``torch.nn.Module`` s whose submodule names match the convzoo layers' children, so
state_dict keys are identical in both directions.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["require_torch", "tensor_state", "array_state", "module_dtype", "torch_classes"]


def require_torch():
    """Import torch, or raise an ImportError naming the extra to install."""
    try:
        import torch
    except ImportError as error:  # pragma: no cover - torch is installed in CI
        raise ImportError(
            "convzoo.nn: PyTorch interop needs torch: pip install convzoo[torch]"
        ) from error
    return torch


def tensor_state(state: dict) -> dict:
    torch = require_torch()
    return {k: torch.from_numpy(np.array(v, copy=True)) for k, v in state.items()}


def array_state(module) -> dict:
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


def module_dtype(module):
    for p in module.parameters():
        return np.dtype(str(p.dtype).removeprefix("torch."))
    return np.dtype(np.float64)


@functools.cache
def torch_classes():
    """The torch modules convzoo needs beyond ``torch.nn`` (built on first use)."""
    torch = require_torch()
    nn = torch.nn

    class Residual(nn.Module):
        """``activation(merge(body(x), shortcut(x)))``; body children may be inlined."""

        def __init__(self, body, shortcut, activation, merge="add"):
            super().__init__()
            self.body_names = [name for name, _ in body]
            for name, module in body:
                self.add_module(name, module)
            self.shortcut_name = shortcut[0] if shortcut else None
            if shortcut:
                self.add_module(*shortcut)
            self.activation_name = activation[0] if activation else None
            if activation:
                self.add_module(*activation)
            self.merge = merge

        def forward(self, x):
            y = x
            for name in self.body_names:
                y = getattr(self, name)(y)
            s = getattr(self, self.shortcut_name)(x) if self.shortcut_name else x
            out = y + s if self.merge == "add" else torch.cat([s, y], dim=1)
            return getattr(self, self.activation_name)(out) if self.activation_name else out

    class Concat(nn.Module):
        """Channel concatenation of the branches' outputs (or of the given inputs)."""

        def __init__(self, *branches):
            super().__init__()
            for i, branch in enumerate(branches):
                self.add_module(str(i), branch)

        def forward(self, *xs):
            if len(self._modules) == 0:
                return torch.cat(xs, dim=1)
            return torch.cat([m(xs[0]) for m in self._modules.values()], dim=1)

    class Add(nn.Module):
        """Elementwise sum of the inputs (the merge of a residual connection)."""

        def forward(self, *xs):
            return functools.reduce(lambda a, b: a + b, xs)

    def conv_act(conv_cls):
        class ConvAct(conv_cls):
            """A convolution followed by a fused activation (same keys as the conv)."""

            def __init__(self, *args, activation="relu", **kwargs):
                super().__init__(*args, **kwargs)
                self.activation = activation

            def forward(self, x):
                y = super().forward(x)
                return torch.relu(y) if self.activation == "relu" else torch.clamp(y, 0, 6)

        ConvAct.__name__ = f"{conv_cls.__name__}Act"
        return ConvAct

    return {
        "Residual": Residual,
        "Concat": Concat,
        "Add": Add,
        "ConvAct": {n: conv_act(getattr(nn, f"Conv{n}d")) for n in (1, 2, 3)},
    }


def layer_from_torch(module):
    """The convzoo layer for a supported ``torch.nn.Module`` (recursively), with its weights.

    Raises
    ------
    TypeError
        For a module type convzoo has no layer for.

    Examples
    --------
    >>> import torch
    >>> from convzoo import nn
    >>> torch_model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU()).double()
    >>> layer = nn.from_torch(torch_model)
    >>> type(layer).__name__, layer.output_shape((1, 3, 8, 8))
    ('Sequential', (1, 8, 6, 6))
    """
    from . import (
        activation,
        containers,
        conv,
        linear,
        norm,
        pointwise,
        pool,
        residual,
        shuffle,
        transposed,
    )

    torch = require_torch()
    nn = torch.nn
    extra = torch_classes()
    table = [
        (tuple(extra["ConvAct"].values()), pointwise.Pointwise),
        ((nn.Conv1d, nn.Conv2d, nn.Conv3d), conv.Conv),
        ((nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d), transposed.ConvTranspose),
        ((nn.Linear,), linear.Linear),
        ((nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d), norm.BatchNorm),
        ((nn.ReLU6,), activation.ReLU6),
        ((nn.ReLU,), activation.ReLU),
        ((nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d), pool.MaxPool),
        ((nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d), pool.AvgPool),
        ((nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d), pool.GlobalAvgPool),
        ((nn.Flatten,), containers.Flatten),
        ((nn.Dropout,), containers.Dropout),
        ((nn.ChannelShuffle,), shuffle.ChannelShuffle),
        ((nn.Sequential,), containers.Sequential),
        ((extra["Residual"],), residual.Residual),
        ((extra["Concat"],), containers.Concat),
        ((extra["Add"],), containers.Add),
    ]
    for types, cls in table:
        if isinstance(module, types):
            return cls.from_torch(module)
    raise TypeError(f"convzoo.nn.from_torch: no convzoo layer for torch module {module!r}")
