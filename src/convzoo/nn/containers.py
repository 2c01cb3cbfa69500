"""Containers and shape-only layers: Sequential, Residual, Concat, Add, Flatten, Dropout.

``Residual`` is the shortcut connection of He et al. 2016 (``out = body(x) + shortcut(x)``)
and, with ``merge="concat"``, ShuffleNet's stride-2 merge; ``Concat`` runs parallel
branches (Inception, Szegedy et al. 2015) and concatenates their channels.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from .activation import make_activation
from .base import Layer, TraceEntry, make_rng

__all__ = ["Sequential", "Residual", "Concat", "Add", "Flatten", "Dropout"]


def _child_shape(owner, name, child, shape):
    try:
        return child.output_shape(shape)
    except ValueError as error:
        raise ValueError(
            f"{type(owner).__name__}: layer '{name}' ({type(child).__name__}) cannot take input "
            f"shape {tuple(shape)}: {error}"
        ) from error


class Sequential(Layer):
    """Layers applied in order, ``torch.nn.Sequential``.

    Parameters
    ----------
    *layers : Layer, or one dict of name -> Layer
        Children are named ``"0", "1", ...`` or by the dict's keys.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import Conv, ReLU, Sequential
    >>> model = Sequential(Conv(1, 2, 3, rng=0), ReLU())
    >>> model
    Sequential(
      (0): Conv(1, 2, kernel_size=(3, 3), stride=(1, 1))
      (1): ReLU()
    )
    >>> [(e.path, e.output_shape) for e in model.trace((1, 1, 5, 5))]
    [('0', (1, 2, 3, 3)), ('1', (1, 2, 3, 3))]
    """

    def __init__(self, *layers):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], dict):
            named = dict(layers[0])
        else:
            named = {str(i): layer for i, layer in enumerate(layers)}
        for name, layer in named.items():
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"{type(self).__name__}: child '{name}' must be a convzoo.nn.Layer; "
                    f"got {type(layer).__name__}"
                )
        self._layers = named

    def children(self):
        return dict(self._layers)

    def __getitem__(self, key):
        return list(self._layers.values())[key] if isinstance(key, int) else self._layers[key]

    def __len__(self):
        return len(self._layers)

    def __getattr__(self, name):
        layers = self.__dict__.get("_layers", {})
        if name in layers:
            return layers[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def forward(self, x):
        for layer in self._layers.values():
            x = layer(x)
        return x

    def backward(self, grad_output):
        for layer in reversed(self._layers.values()):
            grad_output = layer.backward(grad_output)
        return grad_output

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        for name, layer in self._layers.items():
            shape = _child_shape(self, name, layer, shape)
        return shape

    def trace(self, input_shape):
        entries, shape = [], tuple(input_shape)
        for name, layer in self._layers.items():
            _child_shape(self, name, layer, shape)
            sub = layer.trace(shape)
            entries += [e.prefixed(name) for e in sub]
            shape = layer.output_shape(shape)
        return entries

    def _torch_module(self):
        from ._torch import require_torch

        torch = require_torch()
        return torch.nn.Sequential(
            OrderedDict((name, layer._torch_module()) for name, layer in self._layers.items())
        )

    @classmethod
    def from_torch(cls, module):
        if cls is not Sequential:
            return Layer.from_torch.__func__(cls, module)
        from ._torch import layer_from_torch

        layers = {name: layer_from_torch(child) for name, child in module.named_children()}
        return cls(layers).train(module.training)

    @classmethod
    def example(cls):
        from .activation import ReLU
        from .conv import Conv

        return cls(Conv(2, 3, 3, padding=1, rng=0), ReLU()), (2, 2, 4, 4)


class Add(Layer):
    """Elementwise sum of its inputs: the merge of a residual connection.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import Add
    >>> Add()(np.ones(2), np.ones(2)).tolist()
    [2.0, 2.0]
    """

    def __init__(self, *, dtype=np.float64):
        super().__init__()
        self.dtype = np.dtype(dtype)
        self._count = None

    def merge_shape(self, *shapes):
        shapes = [tuple(s) for s in shapes]
        if any(s != shapes[0] for s in shapes):
            raise ValueError(f"Add: operands must have equal shapes; got {shapes}")
        return shapes[0]

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def forward(self, *xs):
        self.merge_shape(*(np.shape(x) for x in xs))
        self._count = len(xs)
        return sum(xs[1:], start=np.asarray(xs[0]))

    def backward(self, grad_output):
        return (grad_output,) * self._cached("_count")

    def _torch_module(self):
        from ._torch import torch_classes

        return torch_classes()["Add"]()

    @classmethod
    def from_torch(cls, module):
        return cls().train(module.training)


class Concat(Layer):
    """Channel concatenation: of parallel branches applied to one input, or of its inputs.

    Parameters
    ----------
    *branches : Layer
        Children ``"0", "1", ...``; with none, ``Concat()(a, b)`` concatenates ``a`` and
        ``b`` (the merge inside ShuffleNet's stride-2 unit).

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import Concat, Conv, MaxPool
    >>> block = Concat(Conv(2, 3, 1, rng=0), MaxPool(3, 1, 1))
    >>> block.output_shape((1, 2, 4, 4))
    (1, 5, 4, 4)
    >>> [e.path for e in block.trace((1, 2, 4, 4))]
    ['0', '1', '']
    """

    def __init__(self, *branches, dtype=np.float64):
        super().__init__()
        self.dtype = np.dtype(dtype)
        self._branches = {str(i): b for i, b in enumerate(branches)}
        self._sizes = None

    def children(self):
        return dict(self._branches)

    def merge_shape(self, *shapes):
        shapes = [tuple(s) for s in shapes]
        rest = {(s[:1], s[2:]) for s in shapes}
        if len(rest) != 1 or any(len(s) < 2 for s in shapes):
            raise ValueError(
                f"Concat: operands must agree in every axis but channels; got {shapes}"
            )
        first = shapes[0]
        return (first[0], sum(s[1] for s in shapes), *first[2:])

    def output_shape(self, input_shape):
        if not self._branches:
            return tuple(input_shape)
        shapes = [_child_shape(self, n, b, input_shape) for n, b in self._branches.items()]
        return self.merge_shape(*shapes)

    def trace(self, input_shape):
        if not self._branches:
            return super().trace(input_shape)
        entries = []
        for name, branch in self._branches.items():
            _child_shape(self, name, branch, input_shape)
            entries += [e.prefixed(name) for e in branch.trace(input_shape)]
        shapes = tuple(b.output_shape(input_shape) for b in self._branches.values())
        return [*entries, TraceEntry("", self, shapes[0], self.merge_shape(*shapes), shapes)]

    def forward(self, *xs):
        if self._branches:
            (x,) = xs
            xs = [branch(x) for branch in self._branches.values()]
        self.merge_shape(*(np.shape(x) for x in xs))
        self._sizes = [np.shape(x)[1] for x in xs]
        return np.concatenate(xs, axis=1)

    def backward(self, grad_output):
        sizes = self._cached("_sizes")
        parts = np.split(grad_output, np.cumsum(sizes)[:-1], axis=1)
        if not self._branches:
            return tuple(parts)
        grads = [b.backward(g) for b, g in zip(self._branches.values(), parts, strict=True)]
        return sum(grads[1:], start=grads[0])

    def _torch_module(self):
        from ._torch import torch_classes

        return torch_classes()["Concat"](*(b._torch_module() for b in self._branches.values()))

    @classmethod
    def from_torch(cls, module):
        from ._torch import layer_from_torch

        return cls(*(layer_from_torch(m) for m in module.children())).train(module.training)

    @classmethod
    def example(cls):
        from .conv import Conv
        from .pool import MaxPool

        return cls(Conv(2, 3, 1, rng=0), MaxPool(3, 1, 1)), (2, 2, 4, 4)


class Residual(Layer):
    """Shortcut connection: ``activation(body(x) + shortcut(x))`` (He et al. 2016).

    Parameters
    ----------
    body : Layer, or dict of name -> Layer (inlined: its children become this layer's)
    shortcut : Layer, optional
        None is the identity.
    activation : Layer, 'relu', 'relu6' or None
        Applied after the merge.
    merge : {'add', 'concat'}
        ``'concat'`` puts the shortcut's channels first (ShuffleNet's stride-2 unit).
    names : tuple of 3 str
        Child names of body (``""`` to inline it), shortcut and activation.

    Notes
    -----
    The backward sends the merged gradient to both paths and adds the two input gradients.
    ``trace`` lists the body, the shortcut, then the merge (an :class:`Add` or
    :class:`Concat` entry), then the activation.

    References
    ----------
    K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image recognition",
    CVPR 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import Conv, Residual
    >>> block = Residual(Conv(2, 2, 3, padding=1, rng=0), activation="relu")
    >>> [e.path for e in block.trace((1, 2, 4, 4))]
    ['body', 'add', 'activation']
    """

    def __init__(
        self,
        body,
        shortcut=None,
        activation=None,
        *,
        merge="add",
        names=("body", "shortcut", "activation"),
        dtype=np.float64,
    ):
        super().__init__()
        if merge not in ("add", "concat"):
            raise ValueError(f"Residual: merge must be 'add' or 'concat'; got {merge!r}")
        self.dtype = np.dtype(dtype)
        self.body = Sequential(body) if isinstance(body, dict) else body
        if names[0] == "" and not isinstance(self.body, Sequential):
            raise ValueError("Residual: an inlined body (names[0]='') must be a Sequential")
        self.shortcut = shortcut
        if isinstance(activation, str | None):
            activation = make_activation("Residual", activation, dtype)
        self.activation = activation
        self.merge = merge
        self.merge_layer = Add(dtype=dtype) if merge == "add" else Concat(dtype=dtype)
        self.names = tuple(names)
        self._x = None

    def children(self):
        body, short, act = self.names
        kids = dict(self.body.children()) if body == "" else {body: self.body}
        if self.shortcut is not None:
            kids[short] = self.shortcut
        if self.activation is not None:
            kids[act] = self.activation
        return kids

    def _operands(self, y, s):
        return (y, s) if self.merge == "add" else (s, y)

    def forward(self, x):
        y = self.body(x)
        s = self.shortcut(x) if self.shortcut is not None else x
        out = self.merge_layer(*self._operands(y, s))
        return self.activation(out) if self.activation is not None else out

    def backward(self, grad_output):
        g = self.activation.backward(grad_output) if self.activation is not None else grad_output
        g_body, g_short = self._operands(*self.merge_layer.backward(g))
        gx = self.body.backward(g_body)
        return gx + (self.shortcut.backward(g_short) if self.shortcut is not None else g_short)

    def _shapes(self, input_shape):
        shape = tuple(input_shape)
        y = _child_shape(self, self.names[0] or "body", self.body, shape)
        s = shape
        if self.shortcut is not None:
            s = _child_shape(self, self.names[1], self.shortcut, shape)
        operands = self._operands(y, s)
        try:
            merged = self.merge_layer.merge_shape(*operands)
        except ValueError as error:
            raise ValueError(
                f"{type(self).__name__}: body output {y} and shortcut output {s} cannot be "
                f"merged ({self.merge}) for input shape {shape}: {error}"
            ) from error
        return operands, merged

    def output_shape(self, input_shape):
        return self._shapes(input_shape)[1]

    def trace(self, input_shape):
        shape = tuple(input_shape)
        operands, merged = self._shapes(shape)
        body, short, act = self.names
        entries = [e.prefixed(body) for e in self.body.trace(shape)]
        if self.shortcut is not None:
            entries += [e.prefixed(short) for e in self.shortcut.trace(shape)]
        entries.append(TraceEntry(self.merge, self.merge_layer, operands[0], merged, operands))
        if self.activation is not None:
            entries += [e.prefixed(act) for e in self.activation.trace(merged)]
        return entries

    def extra_repr(self):
        return "" if self.merge == "add" else "merge='concat'"

    def _torch_module(self):
        from ._torch import torch_classes

        body, short, act = self.names
        if body == "":
            body_modules = [(n, c._torch_module()) for n, c in self.body.children().items()]
        else:
            body_modules = [(body, self.body._torch_module())]
        shortcut = (short, self.shortcut._torch_module()) if self.shortcut is not None else None
        activation = (act, self.activation._torch_module()) if self.activation else None
        return torch_classes()["Residual"](body_modules, shortcut, activation, self.merge)

    @classmethod
    def from_torch(cls, module):
        if cls is not Residual:
            return Layer.from_torch.__func__(cls, module)
        from ._torch import layer_from_torch

        names = module.body_names
        if names == ["body"]:
            body, body_name = layer_from_torch(module.body), "body"
        else:
            body = {n: layer_from_torch(getattr(module, n)) for n in names}
            body_name = ""
        short, act = module.shortcut_name, module.activation_name
        layer = cls(
            body,
            layer_from_torch(getattr(module, short)) if short else None,
            layer_from_torch(getattr(module, act)) if act else None,
            merge=module.merge,
            names=(body_name, short or "shortcut", act or "activation"),
        )
        return layer.train(module.training)

    @classmethod
    def example(cls):
        from .conv import Conv

        return cls(Conv(2, 2, 3, padding=1, rng=0), activation="relu"), (2, 2, 4, 4)


class Flatten(Layer):
    """Flatten axes ``start_dim..end_dim`` into one, ``torch.nn.Flatten``.

    Examples
    --------
    >>> from convzoo.nn import Flatten
    >>> Flatten().output_shape((2, 3, 4, 4))
    (2, 48)
    """

    def __init__(self, start_dim=1, end_dim=-1, *, dtype=np.float64):
        super().__init__()
        self.start_dim, self.end_dim, self.dtype = start_dim, end_dim, np.dtype(dtype)
        self._shape = None

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        start, end = self.start_dim % len(shape), self.end_dim % len(shape)
        return (*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :])

    def forward(self, x):
        self._shape = np.shape(x)
        return np.reshape(x, self.output_shape(self._shape))

    def backward(self, grad_output):
        return np.reshape(grad_output, self._cached("_shape"))

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

    def _torch_module(self):
        from ._torch import require_torch

        return require_torch().nn.Flatten(self.start_dim, self.end_dim)

    @classmethod
    def from_torch(cls, m):
        return cls(m.start_dim, m.end_dim).train(m.training)


class Dropout(Layer):
    """Dropout (Srivastava et al. 2014): identity in eval mode; in train mode each value is
    zeroed with probability ``p`` and the rest scaled by ``1/(1-p)`` (mask from ``rng``).

    Examples
    --------
    >>> import numpy as np
    >>> from convzoo.nn import Dropout
    >>> Dropout(0.5)(np.ones(3)).tolist()     # eval mode by default
    [1.0, 1.0, 1.0]
    """

    def __init__(self, p=0.5, *, rng=None, dtype=np.float64):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be in [0, 1); got {p}")
        self.p, self.dtype, self.rng = float(p), np.dtype(dtype), make_rng(rng)
        self._scale = None

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def forward(self, x):
        x = np.asarray(x)
        if not self.training or self.p == 0:
            self._scale = 1.0
            return x
        self._scale = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
        return x * self._scale

    def backward(self, grad_output):
        return grad_output * self._cached("_scale")

    def extra_repr(self):
        return f"p={self.p}"

    def _torch_module(self):
        from ._torch import require_torch

        return require_torch().nn.Dropout(self.p)

    @classmethod
    def from_torch(cls, m):
        return cls(m.p).train(m.training)
