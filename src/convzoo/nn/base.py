"""The layer base class: forward, backward, parameters and PyTorch-named state.

Every layer of :mod:`convzoo.nn` is a :class:`Layer`. Leaves (convolutions, norms, pools,
activations, merges) compute; composites hold named children, exactly like a
``torch.nn.Module`` tree, so the parameter and state keys are PyTorch's state_dict keys.
The design follows micrograd (forward and backward side by side) and PyTorch's module API.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

__all__ = ["Layer", "TraceEntry", "make_rng", "shape_error"]


def make_rng(rng) -> np.random.Generator:
    """A NumPy Generator from ``None`` (seed 0), an int seed or a Generator.

    Examples
    --------
    >>> float(make_rng(None).random()) == float(make_rng(0).random())
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(0 if rng is None else rng)


@contextlib.contextmanager
def shape_error(layer, input_shape):
    """Re-raise a shape ValueError with the layer's input shape (and weight shape) appended."""
    try:
        yield
    except ValueError as error:
        weight = getattr(layer, "weight", None)
        extra = "" if weight is None else f", weight shape {weight.shape}"
        raise ValueError(f"{error} [input shape {tuple(input_shape)}{extra}]") from error


@dataclass(frozen=True)
class TraceEntry:
    """One leaf operation of a layer tree, with its shapes (nothing is computed).

    Attributes
    ----------
    path : str
        Dotted name of the leaf in the tree (``"0.depthwise"``); ``""`` for the layer itself.
    layer : Layer
        The leaf (a merge entry holds an :class:`~convzoo.nn.Add` or
        :class:`~convzoo.nn.Concat`).
    input_shape, output_shape : tuple of int
        For a merge, ``input_shape`` is the first operand's shape.
    input_shapes : tuple of tuple of int
        Every operand's shape (one entry except for merges).

    Examples
    --------
    >>> from convzoo import nn
    >>> layer = nn.DepthwiseSeparable(4, 8, 3, padding=1)
    >>> [(e.path, e.output_shape) for e in layer.trace((1, 4, 6, 6))]
    [('depthwise', (1, 4, 6, 6)), ('pointwise', (1, 8, 6, 6))]
    """

    path: str
    layer: Layer
    input_shape: tuple
    output_shape: tuple
    input_shapes: tuple = ()

    def prefixed(self, name: str) -> TraceEntry:
        path = name if not self.path else f"{name}.{self.path}" if name else self.path
        return TraceEntry(path, self.layer, self.input_shape, self.output_shape, self.input_shapes)


class Layer:
    """Base class of every layer.

    Subclasses list their own parameter names in ``_param_names`` (attributes holding an
    array or ``None``) and buffer names in ``_buffer_names``; composites override
    :meth:`children`. ``forward`` caches what ``backward`` needs; ``backward`` returns the
    input gradient and stores parameter gradients (see :attr:`grads`).

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import Conv, ReLU, Sequential
    >>> model = Sequential(Conv(1, 2, 3, rng=0), ReLU())
    >>> list(model.state_dict())
    ['0.weight', '0.bias']
    >>> y = model(np.ones((1, 1, 4, 4)))
    >>> model.backward(np.ones_like(y)).shape, model.grads["0.weight"].shape
    ((1, 1, 4, 4), (2, 1, 3, 3))
    >>> [(e.path, e.input_shape, e.output_shape) for e in model.trace((1, 1, 4, 4))]
    [('0', (1, 1, 4, 4), (1, 2, 2, 2)), ('1', (1, 2, 2, 2), (1, 2, 2, 2))]
    """

    summary: str = ""
    paper: str = ""
    _param_names: tuple[str, ...] = ()
    _buffer_names: tuple[str, ...] = ()
    dtype = np.float64

    def __init__(self):
        self.training = False
        self._grads: dict[str, np.ndarray] = {}

    # ---- computation -------------------------------------------------------------------
    def forward(self, x):  # pragma: no cover - every subclass overrides
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, grad_output):  # pragma: no cover - every subclass overrides
        raise NotImplementedError(f"{type(self).__name__}.backward")

    def __call__(self, *xs):
        return self.forward(*xs)

    def output_shape(self, input_shape) -> tuple:
        """Shape of the output for an input of ``input_shape`` (pure)."""
        raise NotImplementedError(f"{type(self).__name__}.output_shape")  # pragma: no cover

    def _cached(self, name):
        value = getattr(self, name, None)
        if value is None:
            raise ValueError(f"{type(self).__name__}.backward: call forward first")
        return value

    # ---- tree --------------------------------------------------------------------------
    def children(self) -> dict[str, Layer]:
        """Named sub-layers in execution order (PyTorch submodule names)."""
        return {}

    def named_leaves(self, prefix=""):
        kids = self.children()
        if not kids:
            yield prefix, self
        for name, child in kids.items():
            yield from child.named_leaves(f"{prefix}.{name}" if prefix else name)

    def trace(self, input_shape) -> list[TraceEntry]:
        """Leaf layers in execution order with their input and output shapes."""
        shape = tuple(input_shape)
        return [TraceEntry("", self, shape, self.output_shape(shape), (shape,))]

    def train(self, mode: bool = True) -> Layer:
        """Set training mode (BatchNorm uses batch statistics, Dropout drops) recursively."""
        self.training = bool(mode)
        for child in self.children().values():
            child.train(mode)
        return self

    def eval(self) -> Layer:
        """Set evaluation mode (the default) recursively."""
        return self.train(False)

    # ---- parameters and state ----------------------------------------------------------
    def _walk(self, names_attr):
        for name in getattr(self, names_attr):
            value = getattr(self, name)
            if value is not None:
                yield name, value
        for cname, child in self.children().items():
            for key, value in child._walk(names_attr):
                yield f"{cname}.{key}", value

    @property
    def params(self) -> dict[str, np.ndarray]:
        """Learnable parameters of this layer and its children (live arrays, PyTorch keys)."""
        return dict(self._walk("_param_names"))

    @property
    def buffers(self) -> dict[str, np.ndarray]:
        """Non-learnable state such as BatchNorm running statistics (PyTorch keys)."""
        return dict(self._walk("_buffer_names"))

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """Gradients of :attr:`params` from the last :meth:`backward` (zeros before)."""
        out = {}
        for name in self._param_names:
            value = getattr(self, name)
            if value is not None:
                out[name] = self._grads.get(name, np.zeros_like(value))
        for cname, child in self.children().items():
            out.update({f"{cname}.{k}": v for k, v in child.grads.items()})
        return out

    def zero_grad(self) -> None:
        self._grads = {}
        for child in self.children().values():
            child.zero_grad()

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of parameters and buffers under the equivalent PyTorch module's keys."""
        state = {}
        for name in (*self._param_names, *self._buffer_names):
            value = getattr(self, name)
            if value is not None:
                state[name] = np.array(value, copy=True)
        for cname, child in self.children().items():
            state.update({f"{cname}.{k}": v for k, v in child.state_dict().items()})
        return state

    def load_state_dict(self, state) -> Layer:
        """Load parameters and buffers, checking every key and shape first.

        Raises
        ------
        ValueError
            Naming every missing, unexpected and mis-shaped key at once.
        """
        own = self.state_dict()
        given = {k: np.asarray(v) for k, v in state.items()}
        missing = [k for k in own if k not in given]
        extra = [k for k in given if k not in own]
        shaped = [
            f"{k}: expected {own[k].shape}, got {given[k].shape}"
            for k in own
            if k in given and given[k].shape != own[k].shape
        ]
        if missing or extra or shaped:
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if extra:
                parts.append(f"unexpected keys {extra}")
            if shaped:
                parts.append(f"mis-shaped keys [{'; '.join(shaped)}]")
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: state does not match: " + ", ".join(parts)
            )
        for key, value in given.items():
            *path, name = key.split(".")
            owner = self
            for part in path:
                owner = owner.children()[part]
            setattr(owner, name, np.array(value, dtype=own[key].dtype, copy=True))
        return self

    # ---- PyTorch interop ---------------------------------------------------------------
    def _torch_module(self):  # pragma: no cover - every subclass overrides
        raise NotImplementedError(f"{type(self).__name__}.to_torch")

    def to_torch(self):
        """The equivalent ``torch.nn.Module``, with the same weights, buffers and mode."""
        from ._torch import require_torch, tensor_state

        torch = require_torch()
        module = self._torch_module()
        dtype = next(iter(self.params.values()), np.zeros(0, self.dtype)).dtype
        module.to(
            {np.float32: torch.float32, np.float16: torch.float16}.get(dtype.type, torch.float64)
        )
        module.load_state_dict(tensor_state(self.state_dict()), strict=True)
        return module.train(self.training)

    @classmethod
    def _kwargs_from_torch(cls, module) -> dict:  # pragma: no cover - subclasses override
        raise NotImplementedError(f"{cls.__name__}.from_torch")

    @classmethod
    def from_torch(cls, module):
        """Build the layer equivalent to a ``torch.nn.Module`` and copy its weights."""
        from ._torch import array_state, module_dtype

        layer = cls(**cls._kwargs_from_torch(module), dtype=module_dtype(module))
        layer.load_state_dict(array_state(module))
        return layer.train(module.training)

    # ---- examples and printing ---------------------------------------------------------
    @classmethod
    def example(cls):
        """A small seeded instance and an input shape of a few pixels."""
        raise NotImplementedError(f"{cls.__name__}.example")  # pragma: no cover

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        kids = self.children()
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not kids:
            return head + ")"
        lines = [head]
        for name, child in kids.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"
