"""Exact cost model: shapes, multiplications, additions, MACs, FLOPs, parameters, traffic.

Conventions are written once, in :mod:`convzoo.costmodel.types`. Single convolutions are
counted from a :class:`~convzoo.ConvSpec` (:func:`cost_of_spec`); :func:`compare` is the
seed's calculation comparison; :func:`cost` and :func:`summary` count zoo layers and models
(:mod:`convzoo.models`); :func:`profile` counts PyTorch modules with the same rules.
"""

from .compare import Comparison, Variant, compare
from .conv import cost_of_spec, landing_counts, real_taps
from .layers import cost, leaf_cost, summary
from .profile import profile
from .table import CostTable, LayerCost, human
from .types import DEFAULT_ITEMSIZE, Cost

__all__ = [
    "DEFAULT_ITEMSIZE",
    "Comparison",
    "Cost",
    "CostTable",
    "LayerCost",
    "Variant",
    "compare",
    "cost",
    "cost_of_spec",
    "human",
    "landing_counts",
    "leaf_cost",
    "profile",
    "real_taps",
    "summary",
]
