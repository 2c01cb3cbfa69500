"""The configurations of *A guide to convolution arithmetic for deep learning*, recomputed.

Dumoulin and Visin's animations (github.com/vdumoulin/conv_arithmetic) are the standard
pictures of padding, strides, transposition and dilation; the most-reported confusion about
them is which map is the input and which the output (blue = input, cyan = output). Here each
configuration is a :class:`~convzoo.viz.frames.Scene` computed by the reference engine, with
both maps labelled by name and size. The 15 animations of that repository: 7 convolutions,
their 7 transposes (each maps the convolution's output size back to its input size), and
dilation.

References
----------
V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
arXiv:1603.07285 (2016), relationships 1-14 and figures 2.1-5.1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..shapes import conv_length, transposed_length
from .frames import Scene, conv_scene
from .transposed import transposed_scene

__all__ = ["Configuration", "CONFIGURATIONS", "arithmetic_scene"]


@dataclass(frozen=True)
class Configuration:
    """One square configuration: input ``i``, kernel ``k``, stride ``s``, padding ``p``."""

    name: str
    title: str
    i: int
    k: int
    s: int = 1
    p: int = 0
    d: int = 1
    transposed: bool = False
    output_padding: int = 0

    @property
    def o(self) -> int:
        """Output size: the seed's formula, or its transpose."""
        if self.transposed:
            return transposed_length(
                self.i, self.k, self.s, self.d, self.p, self.p, self.output_padding
            )
        return conv_length(self.i, self.k, self.s, self.d, self.p, self.p)


_FORWARD = [
    ("no_padding_no_strides", "No padding, no strides", 4, 3, 1, 0),
    ("arbitrary_padding_no_strides", "Arbitrary padding, no strides", 5, 4, 1, 2),
    ("same_padding_no_strides", "Half (same) padding, no strides", 5, 3, 1, 1),
    ("full_padding_no_strides", "Full padding, no strides", 5, 3, 1, 2),
    ("no_padding_strides", "No padding, strides", 5, 3, 2, 0),
    ("padding_strides", "Padding, strides", 5, 3, 2, 1),
    ("padding_strides_odd", "Padding, strides (odd)", 6, 3, 2, 1),
]


def _configurations():
    table = {}
    for name, title, i, k, s, p in _FORWARD:
        table[name] = Configuration(name, title, i, k, s, p)
    for name, title, i, k, s, p in _FORWARD:
        o = conv_length(i, k, s, 1, p, p)
        op = i - ((o - 1) * s - 2 * p + k)  # the transpose maps o back to i
        table[name + "_transposed"] = Configuration(
            name + "_transposed", title + ", transposed", o, k, s, p, 1, True, op
        )
    table["dilation"] = Configuration("dilation", "Dilation 2, no padding, no strides", 7, 3, d=2)
    return table


#: name -> :class:`Configuration`, in the order of the conv_arithmetic README.
CONFIGURATIONS = _configurations()

_KERNEL3 = np.array([[0.0, 1, 2], [2, 2, 0], [0, 1, 2]])  # the guide's figure 2.1 kernel


def _data(config):
    rng = np.random.default_rng(sum(map(ord, config.name)))
    x = rng.integers(0, 4, size=(1, 1, config.i, config.i)).astype(float)
    if config.k == 3:
        w = _KERNEL3[None, None]
    else:
        w = rng.integers(0, 3, size=(1, 1, config.k, config.k)).astype(float)
    return x, w


def arithmetic_scene(name: str) -> Scene:
    """The :class:`Scene` of one named configuration (a key of :data:`CONFIGURATIONS`).

    Parameters
    ----------
    name : str

    Returns
    -------
    Scene

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones).

    Examples
    --------
    >>> scene = arithmetic_scene("padding_strides_odd")
    >>> scene.output.shape
    (1, 1, 3, 3)
    >>> arithmetic_scene("padding_strides_odd_transposed").output.shape
    (1, 1, 6, 6)
    """
    if name not in CONFIGURATIONS:
        raise ValueError(
            f"arithmetic_scene: name={name!r} is not a configuration; "
            f"choose one of {list(CONFIGURATIONS)}"
        )
    config = CONFIGURATIONS[name]
    x, w = _data(config)
    label = f"{config.title}: input {config.i}×{config.i} → output {config.o}×{config.o}"
    if config.transposed:
        return transposed_scene(
            x, w, stride=config.s, padding=config.p, output_padding=config.output_padding,
            dilation=config.d, title=label,
        )  # fmt: skip
    return conv_scene(x, w, stride=config.s, padding=config.p, dilation=config.d, title=label)
