"""What every reference architecture shares: the ``Model`` container and option checks."""

from __future__ import annotations

from ..nn import BatchNorm, Conv, ReLU, ReLU6, Sequential
from ..nn.base import make_rng

__all__ = ["Model", "choose", "conv_bn", "make_rng", "positive_number"]


class Model(Sequential):
    """A reference architecture: a :class:`~convzoo.nn.Sequential` of named stages that
    knows its native input shape and its paper.

    Attributes
    ----------
    input_shape : tuple of int
        ``(1, C, H, W)`` the architecture was published for; :func:`convzoo.cost` and
        :func:`convzoo.summary` use it by default.
    name, paper : str

    Examples
    --------
    >>> from convzoo.models import mobilenet_v1
    >>> model = mobilenet_v1(width=0.25, resolution=128)
    >>> model.input_shape, model.output_shape(model.input_shape)
    ((1, 3, 128, 128), (1, 1000))
    """

    def __init__(self, layers: dict, *, input_shape, name: str, paper: str):
        super().__init__(layers)
        self.input_shape = tuple(input_shape)
        self.name = name
        self.paper = paper

    def extra_repr(self) -> str:
        return f"name={self.name!r}, input_shape={self.input_shape}"


def choose(func: str, name: str, value, valid):
    """``value`` if it is one of ``valid``, else a ValueError listing the valid ones.

    Examples
    --------
    >>> choose("resnet", "depth", 50, (18, 34, 50, 101, 152))
    50
    """
    if value not in valid:
        raise ValueError(f"{func}: {name}={value!r} is not one of {list(valid)}")
    return value


def positive_number(func: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{func}: {name} must be a positive number; got {value!r}")
    return float(value)


def conv_bn(c_in, c_out, kernel, stride=1, padding=0, *, groups=1, act="relu", rng, dtype):
    """``Sequential(conv, bn[, relu])``: a bias-free convolution, BatchNorm, activation."""
    layers = {
        "conv": Conv(
            c_in, c_out, kernel, stride, padding, groups=groups, bias=False, rng=rng, dtype=dtype
        ),  # fmt: skip
        "bn": BatchNorm(c_out, dtype=dtype),
    }
    if act is not None:
        layers["relu"] = {"relu": ReLU, "relu6": ReLU6}[act](dtype=dtype)
    return Sequential(layers)
