"""Residual (shortcut) connection, He et al. 2016: ``activation(body(x) + shortcut(x))``.

With ``merge="concat"`` it is ShuffleNet's stride-2 merge (shortcut channels first). The
merge is a leaf of its own (:class:`~convzoo.nn.Add` or :class:`~convzoo.nn.Concat`) so
``trace`` and the cost model see it.
"""

from __future__ import annotations

import numpy as np

from .activation import make_activation
from .base import Layer, TraceEntry
from .containers import Add, Concat, Sequential, child_shape

__all__ = ["Residual"]


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
        rng=None,
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

    def __getattr__(self, name):
        if name.startswith("_") or "names" not in self.__dict__:
            raise AttributeError(name)
        kids = self.children()
        if name in kids:
            return kids[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

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
        y = child_shape(self, self.names[0] or "body", self.body, shape)
        s = shape
        if self.shortcut is not None:
            s = child_shape(self, self.names[1], self.shortcut, shape)
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
