"""The ``Cost`` value type and the counting conventions of convzoo.

Conventions (the seed's, made exact; every rule in :mod:`convzoo.costmodel` follows them)
-------------------------------------------------------------------------------------
- **Multiplications and additions.** One output element of a convolution whose filter has
  ``K = k_1*...*k_D`` taps over ``C_g = C_in/groups`` channels costs ``C_g*K``
  multiplications and ``C_g*K - 1`` additions, plus one addition with a bias (the seed:
  "(k*k) multiplications and (k*k-1) additions" per output for a 1-channel filter). A
  linear layer is the ``K = 1`` case over its input features.
- **MACs** are the multiplications of convolution and linear layers only (bias, BatchNorm,
  pooling and activations excluded), as the papers (MobileNet "Mult-Adds", ShuffleNet
  "FLOPs", ResNet "FLOPs") and fvcore count them. **FLOPs = 2*MACs.**
- **Padding taps.** A tap that multiplies a padding cell is counted, as PyTorch, fvcore,
  thop and ptflops count it: the framework computes ``C_g*K`` products per output whatever
  the padding. ``exact=True`` counts only the taps that touch real input; this drops only
  taps on padding that holds zeros (``padding_mode='zeros'``, or ``'constant'`` with value
  0) — other modes (reflect, replicate, circular, symmetric, non-zero constant) put data in
  the padding, so those products are real work and are counted either way. With
  ``exact=True`` an output element with no real tap costs nothing (its value is the bias).
- **Transposed convolution is counted on its input grid**: every input element is
  multiplied by all ``C_out/groups * K`` weights of its group, so
  ``mults = N*C_in*prod(in)*C_out/groups*K`` — not on the output grid as several popular
  counters did. Additions are the products that land on an output cell already holding one
  (what the scatter in :func:`convzoo.engine.reference.correlate_transpose` performs), plus
  one per output element with a bias. Products landing in the cropped border (``padding``)
  are counted; ``exact=True`` keeps only those landing in the kept output.
- **Other layers**: BatchNorm (inference, folded to ``x*scale + shift``) costs one
  multiplication and one addition per element; average pooling ``K - 1`` additions and one
  multiplication (by ``1/K``) per output; max pooling ``K - 1`` comparisons per output;
  ReLU one comparison and ReLU6 two per element; a residual add one addition per element.
- **Parameters** are every learnable parameter, BatchNorm's gamma and beta included
  (PyTorch's ``sum(p.numel() for p in model.parameters())``); running statistics are
  buffers and are not counted.
- **Memory traffic** assumes every tensor is read or written exactly once (an ideal
  cache): ``bytes_read = (input elements + parameters) * itemsize``, ``bytes_written =
  output elements * itemsize``, with ``itemsize = 4`` (float32) unless given.
  ``intensity = flops / (bytes_read + bytes_written)`` (FLOPs per byte, the roofline's
  x-axis). ``activations`` counts the output elements of every layer.

References
----------
A. G. Howard et al., "MobileNets", arXiv:1704.04861, 2017 (Mult-Adds).
fvcore's flop counter (one "flop" = one fused multiply-add), github.com/facebookresearch/fvcore.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["DEFAULT_ITEMSIZE", "Cost"]

#: Bytes per tensor element used for memory traffic unless an ``itemsize`` is given.
DEFAULT_ITEMSIZE = 4

_SUMMED = (
    "mults", "adds", "macs", "comparisons", "params", "activations", "bytes_read",
    "bytes_written",
)  # fmt: skip


@dataclass(frozen=True)
class Cost:
    """Exact operation, parameter and memory counts of a layer or a whole model.

    Attributes
    ----------
    output_shape : tuple of int
        Shape of the (last) output, ``(N, C, *spatial)``.
    mults, adds : int
        Multiplications and additions performed (see the module docstring).
    macs : int
        Multiply-accumulates of convolution and linear layers (their multiplications).
    comparisons : int
        Comparisons of max pooling and ReLU/ReLU6.
    params : int
        Learnable parameters.
    activations : int
        Output elements produced.
    bytes_read, bytes_written : int
        Memory traffic with every tensor touched once.

    Notes
    -----
    ``flops = 2*macs``; ``intensity = flops / (bytes_read + bytes_written)``. Costs add up:
    ``a + b`` sums every count and keeps ``b``'s output shape (the later layer), so
    ``sum(costs)`` over a model's layers in execution order is the model's cost.

    Examples
    --------
    >>> a = Cost((1, 8, 5, 5), mults=100, adds=90, macs=100, params=10)
    >>> b = Cost((1, 8), mults=8, adds=7, macs=8, params=9)
    >>> total = sum([a, b])
    >>> total.output_shape, total.macs, total.flops, total.params
    ((1, 8), 108, 216, 19)
    """

    output_shape: tuple[int, ...]
    mults: int = 0
    adds: int = 0
    macs: int = 0
    comparisons: int = 0
    params: int = 0
    activations: int = 0
    bytes_read: int = 0
    bytes_written: int = 0

    @property
    def flops(self) -> int:
        """Floating-point operations, ``2*macs`` (one multiply and one add per MAC)."""
        return 2 * self.macs

    @property
    def bytes(self) -> int:
        """Total memory traffic, ``bytes_read + bytes_written``."""
        return self.bytes_read + self.bytes_written

    @property
    def intensity(self) -> float:
        """Arithmetic intensity: FLOPs per byte moved (0.0 when nothing moves)."""
        moved = self.bytes
        return self.flops / moved if moved else 0.0

    def __add__(self, other: Cost) -> Cost:
        if not isinstance(other, Cost):
            return NotImplemented
        summed = {name: getattr(self, name) + getattr(other, name) for name in _SUMMED}
        return Cost(other.output_shape, **summed)

    def __radd__(self, other) -> Cost:
        if other == 0:  # sum() starts from 0
            return self
        return NotImplemented

    def as_dict(self) -> dict:
        """Every field and derived count as a plain dict (for tables and JSON)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(flops=self.flops, intensity=self.intensity)
        return out
