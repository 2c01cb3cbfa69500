"""cost() and summary() on every registered zoo type and every leaf rule."""

from collections import Counter
from math import prod

import numpy as np
import pytest

import convzoo
from convzoo import cost, cost_of_spec, pad, summary
from convzoo.costmodel import Cost, leaf_cost
from convzoo.engine.reference import correlate, correlate_transpose
from convzoo.nn import (
    Add,
    AvgPool,
    BatchNorm,
    ChannelShuffle,
    Concat,
    Conv,
    ConvTranspose,
    Dropout,
    Flatten,
    GlobalAvgPool,
    Linear,
    MaxPool,
    Pointwise,
    ReLU,
    ReLU6,
    Residual,
    Sequential,
    TraceEntry,
    registry,
)


def reference_counts(entry):
    """Multiplications and additions the reference loops perform for a conv leaf."""
    layer = entry.layer
    spec = layer.spec(entry.input_shape)
    x = np.random.default_rng(0).standard_normal(entry.input_shape)
    counted = Counter()
    if spec.transposed:
        correlate_transpose(x, layer.weight, spec.stride, spec.dilation, spec.groups,
                            spec.padded_spatial, counted)  # fmt: skip
    else:
        xp = pad(x, spec.padding, spec.padding_mode, spec.padding_value)
        correlate(xp, layer.weight, spec.stride, spec.dilation, spec.groups, counted)
    bias_adds = prod(spec.output_shape) if layer.bias is not None else 0
    return counted["mults"], counted["adds"] + bias_adds


@pytest.mark.parametrize("key", sorted(registry()))
def test_every_registered_type_counts_like_the_reference(key):
    layer, shape = registry()[key].example()
    table = summary(layer, shape)
    total = table.total
    y = layer(np.random.default_rng(1).standard_normal(shape))
    assert total.output_shape == y.shape == layer.output_shape(shape)
    assert total.params == sum(p.size for p in layer.params.values())
    assert total == cost(layer, shape) == cost(layer)  # the example's shape is the default
    macs = 0
    for entry in layer.trace(shape):
        if isinstance(entry.layer, Conv | ConvTranspose):
            mults, adds = reference_counts(entry)
            leaf = leaf_cost(entry)
            assert (leaf.mults, leaf.macs) == (mults, mults)
            act = getattr(entry.layer, "activation", None)
            assert leaf.adds == adds and (leaf.comparisons > 0) == bool(act)
            macs += mults
    assert total.macs == macs and total.flops == 2 * macs
    assert macs > 0 or key == "channel_shuffle"


def test_exact_through_layers():
    layer = Conv(2, 3, 3, padding=1, bias=False, rng=0)
    spec = layer.spec((1, 2, 6, 6))
    assert cost(layer, (1, 2, 6, 6), exact=True) == cost_of_spec(spec, exact=True)
    assert cost(layer, (1, 2, 6, 6), exact=True).macs < cost(layer, (1, 2, 6, 6)).macs


def test_transposed_layer_counted_on_the_input_grid():
    up = ConvTranspose(4, 2, 3, stride=2, padding=1, output_padding=1, bias=False, rng=0)
    c = cost(up, (1, 4, 5, 5))
    assert c.output_shape == (1, 2, 10, 10)
    assert c.macs == 4 * 5 * 5 * 2 * 9


def entry(layer, in_shape, operands=None):
    operands = operands or (in_shape,)
    out = layer.merge_shape(*operands) if hasattr(layer, "merge_shape") else None
    out = out or layer.output_shape(in_shape)
    return TraceEntry("x", layer, in_shape, out, tuple(operands))


def test_leaf_rules():
    x = (2, 4, 6, 6)
    numel = prod(x)
    lin = leaf_cost(entry(Linear(10, 3), (2, 10)))
    assert (lin.mults, lin.adds, lin.params, lin.output_shape) == (60, 60, 33, (2, 3))
    bn = leaf_cost(entry(BatchNorm(4), x))
    assert (bn.mults, bn.adds, bn.macs, bn.params) == (numel, numel, 0, 8)
    assert leaf_cost(entry(ReLU(), x)).comparisons == numel
    assert leaf_cost(entry(ReLU6(), x)).comparisons == 2 * numel
    mp = leaf_cost(entry(MaxPool(2), x))
    assert mp.comparisons == 2 * 4 * 3 * 3 * 3 and mp.output_shape == (2, 4, 3, 3)
    ap = leaf_cost(entry(AvgPool(3, 1, 1), x))
    assert (ap.adds, ap.mults) == (numel * 8, numel)
    gap = leaf_cost(entry(GlobalAvgPool(), x))
    assert (gap.adds, gap.mults, gap.output_shape) == (8 * 35, 8, (2, 4, 1, 1))
    shuffle = leaf_cost(entry(ChannelShuffle(2), x))
    assert shuffle.mults == shuffle.adds == 0 and shuffle.bytes == 2 * numel * 4
    add = leaf_cost(entry(Add(), x, (x, x)))
    assert add.adds == numel and add.bytes_read == 2 * numel * 4
    cat = leaf_cost(entry(Concat(), x, (x, x)))
    assert cat.output_shape == (2, 8, 6, 6) and cat.adds == 0
    assert leaf_cost(entry(Flatten(), x)) == Cost((2, 144))
    assert leaf_cost(entry(Dropout(0.5), x)) == Cost(x)
    fused = leaf_cost(entry(Pointwise(4, 4, activation="relu6", rng=0), x))
    assert fused.comparisons == 2 * numel


def test_residual_counts_its_add():
    block = Residual(Conv(2, 2, 3, padding=1, bias=False, rng=0), activation="relu")
    table = summary(block, (1, 2, 4, 4))
    assert [row.type for row in table] == ["Conv", "Add", "ReLU"]
    assert table[1].cost.adds == 32 and table[2].cost.comparisons == 32


def test_summary_table():
    model = Sequential(Conv(3, 8, 3, rng=0), ReLU(), Flatten(), Linear(8 * 25, 10, rng=0))
    table = summary(model, (1, 3, 7, 7))
    assert [row.name for row in table] == ["0", "1", "2", "3"]
    assert [row.type for row in table] == ["Conv", "ReLU", "Flatten", "Linear"]
    assert sum(table.shares()) == pytest.approx(1.0)
    assert table.total.macs == 8 * 25 * 27 + 200 * 10
    text = table.to_markdown()
    assert "| 0 | Conv | 1×8×5×5 | 224 | 5,400 | 73.0% |" in text
    assert "**total**" in text and "**2,234**" in text


def test_unknown_leaf_type():
    class Gelu(ReLU.__mro__[1]):  # a Layer subclass without a cost rule
        def output_shape(self, input_shape):
            return tuple(input_shape)

    with pytest.raises(TypeError, match="cost: no cost rule for leaf layer Gelu at 'x'"):
        leaf_cost(TraceEntry("x", Gelu(), (1, 2), (1, 2)))


def test_layer_shape_that_does_not_fit():
    with pytest.raises(ValueError, match=r"cost: input shape \(1, 3, 2, 2\) does not fit Conv: "):
        convzoo.cost(Conv(3, 4, 5, rng=0), (1, 3, 2, 2))


def test_default_shape_that_does_not_fit_says_to_pass_one():
    with pytest.raises(ValueError, match=r"\(the default shape of Conv.example\(\); pass input_"):
        convzoo.cost(Conv(16, 4, 3, rng=0))
