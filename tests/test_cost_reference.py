"""The cost model's counts equal the operations the reference loops really perform.

Framework counts (``exact=False``) are compared with the reference engine's ``counter``;
exact counts with a run of the same reference loops on a 0/1 mask of the real input cells
(all-ones weights), whose output is, per element, the number of taps touching real input.
"""

from collections import Counter
from math import prod

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convzoo import cost_of_spec, make_spec, pad
from convzoo.engine.reference import correlate, correlate_transpose

MODES = ["zeros", "zeros", "constant", "reflect", "replicate", "circular", "symmetric"]


def _padding_form(rng, ndim, kernel, transposed):
    form = rng.integers(6 if not transposed else 5)
    if form == 0:
        return int(rng.integers(0, 3))
    if form == 1:
        return tuple(int(rng.integers(0, 3)) for _ in range(ndim))
    if form == 2:
        return tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in range(ndim))
    if form == 3:
        return "same"
    if form == 4:
        return "valid"
    return "full"


def _forward_config(seed):
    rng = np.random.default_rng(seed)
    ndim = int(rng.integers(1, 4))
    groups = int(rng.choice([1, 1, 2, 3]))
    kernel = tuple(int(rng.integers(1, 4 if ndim < 3 else 3)) for _ in range(ndim))
    stride = tuple(int(rng.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(int(rng.integers(1, 3)) for _ in range(ndim))
    size = {1: 9, 2: 6, 3: 4}[ndim]
    x_shape = (int(rng.integers(1, 3)), groups * int(rng.integers(1, 3)))
    x_shape += tuple(int(rng.integers(size - 2, size + 1)) for _ in range(ndim))
    w_shape = (groups * int(rng.integers(1, 3)), x_shape[1] // groups, *kernel)
    mode = str(rng.choice(MODES))
    value = 0.0 if rng.random() < 0.5 else 1.5
    keywords = dict(
        stride=stride, dilation=dilation, groups=groups,
        padding=_padding_form(rng, ndim, kernel, False), padding_mode=mode,
        padding_value=value if mode == "constant" else 0.0,
    )  # fmt: skip
    try:
        return make_spec("conv", x_shape, w_shape, **keywords)
    except ValueError:  # an invalid draw (e.g. reflect padding >= size): draw the next one
        return _forward_config(seed + 10_000)


def _transposed_config(seed):
    rng = np.random.default_rng(seed)
    ndim = int(rng.integers(1, 4))
    groups = int(rng.choice([1, 1, 2]))
    kernel = tuple(int(rng.integers(1, 4 if ndim < 3 else 3)) for _ in range(ndim))
    stride = tuple(int(rng.integers(1, 4)) for _ in range(ndim))
    dilation = tuple(int(rng.integers(1, 3)) for _ in range(ndim))
    size = {1: 5, 2: 3, 3: 2}[ndim]
    x_shape = (int(rng.integers(1, 3)), groups * int(rng.integers(1, 3)))
    x_shape += tuple(int(rng.integers(size - 1, size + 1)) for _ in range(ndim))
    w_shape = (x_shape[1], int(rng.integers(1, 3)), *kernel)
    output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
    keywords = dict(
        stride=stride, dilation=dilation, groups=groups, transposed=True,
        padding=_padding_form(rng, ndim, kernel, True), output_padding=output_padding,
    )  # fmt: skip
    try:
        return make_spec("conv_transpose", x_shape, w_shape, **keywords)
    except ValueError:
        return _transposed_config(seed + 10_000)


@pytest.mark.parametrize("seed", range(80))
def test_forward_counts_equal_reference(seed):
    check_forward(_forward_config(seed), seed)


@st.composite
def conv_specs(draw):
    """Any valid 1-D or 2-D forward convolution with at most a few hundred products."""
    ndim = draw(st.integers(1, 2))
    groups = draw(st.sampled_from([1, 2, 3]))
    ints = st.integers
    x_shape = (draw(ints(1, 2)), groups * draw(ints(1, 2)))
    x_shape += tuple(draw(ints(1, 8 if ndim == 1 else 5)) for _ in range(ndim))
    w_shape = (groups * draw(ints(1, 2)), x_shape[1] // groups)
    w_shape += tuple(draw(ints(1, 3)) for _ in range(ndim))
    pads = tuple((draw(ints(0, 3)), draw(ints(0, 3))) for _ in range(ndim))
    padding = draw(st.sampled_from([pads, "same", "valid", "full"]))
    keywords = dict(
        stride=tuple(draw(ints(1, 3)) for _ in range(ndim)),
        dilation=tuple(draw(ints(1, 2)) for _ in range(ndim)), groups=groups, padding=padding,
    )  # fmt: skip
    try:
        return make_spec("conv", x_shape, w_shape, **keywords)
    except ValueError:
        assume(False)


@settings(max_examples=60, deadline=None)
@given(conv_specs(), st.integers(0, 2**16))
def test_property_cost_is_the_reference_count(spec, seed):
    check_forward(spec, seed)


def check_forward(spec, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(spec.input_shape)
    w = rng.standard_normal(spec.weight_shape)
    xp = pad(x, spec.padding, spec.padding_mode, spec.padding_value)
    counted = Counter()
    y = correlate(xp, w, spec.stride, spec.dilation, spec.groups, counted)
    cost = cost_of_spec(spec)
    assert cost.output_shape == y.shape
    assert (cost.mults, cost.adds) == (counted["mults"], counted["adds"])
    assert cost.macs == cost.mults and cost.flops == 2 * cost.mults
    with_bias = cost_of_spec(spec, bias=True)
    assert with_bias.adds - cost.adds == y.size
    assert with_bias.params - cost.params == spec.out_channels == with_bias.params - w.size

    # exact: taps on real input, from the reference run on a mask of the real cells
    mask = pad(np.ones(spec.input_shape), spec.padding, "zeros")
    zero_pad = spec.padding_mode == "zeros" or (
        spec.padding_mode == "constant" and spec.padding_value == 0.0
    )
    if not zero_pad:  # data in the padding: every product is real work
        mask = np.ones_like(mask)
    taps = correlate(mask, np.ones(spec.weight_shape), spec.stride, spec.dilation, spec.groups)
    taps = taps.astype(int)
    for bias in (False, True):
        exact = cost_of_spec(spec, bias=bias, exact=True)
        assert exact.mults == taps.sum()
        assert exact.adds == np.maximum(taps - 1, 0).sum() + bias * (taps > 0).sum()


@pytest.mark.parametrize("seed", range(80))
def test_transposed_counts_equal_reference(seed):
    spec = _transposed_config(seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(spec.input_shape)
    w = rng.standard_normal(spec.weight_shape)
    counted = Counter()
    full = correlate_transpose(
        x, w, spec.stride, spec.dilation, spec.groups, spec.padded_spatial, counted
    )
    crop = tuple(slice(lo, n - hi) for (lo, hi), n in zip(spec.padding, full.shape[2:]))
    assert full[(..., *crop)].shape == spec.output_shape
    cost = cost_of_spec(spec)
    assert (cost.mults, cost.adds) == (counted["mults"], counted["adds"])
    # counted on the input grid
    c_in, c_out_per_group = spec.weight_shape[:2]
    kernel = prod(spec.kernel_size)
    assert cost.mults == spec.batch * c_in * prod(spec.input_spatial) * c_out_per_group * kernel
    with_bias = cost_of_spec(spec, bias=True)
    assert with_bias.adds - cost.adds == prod(spec.output_shape)

    landed = correlate_transpose(
        np.ones(spec.input_shape), np.ones(spec.weight_shape), spec.stride, spec.dilation,
        spec.groups, spec.padded_spatial,
    )[(..., *crop)].astype(int)  # fmt: skip
    for bias in (False, True):
        exact = cost_of_spec(spec, bias=bias, exact=True)
        assert exact.mults == landed.sum()
        assert exact.adds == np.maximum(landed - 1, 0).sum() + bias * (landed > 0).sum()


def test_configs_cover_every_case():
    forward = [_forward_config(seed) for seed in range(80)]
    transposed = [_transposed_config(seed) for seed in range(80)]
    assert {s.ndim for s in forward} == {s.ndim for s in transposed} == {1, 2, 3}
    assert {s.groups for s in forward} >= {1, 2, 3}
    assert {s.padding_mode for s in forward} == set(MODES)
    assert any(max(s.stride) > 1 for s in transposed) and any(max(s.dilation) > 1 for s in forward)
    assert any(sum(map(sum, s.padding)) for s in forward)
    assert any(sum(map(sum, s.padding)) for s in transposed)
    assert any(sum(s.output_padding) for s in transposed)
