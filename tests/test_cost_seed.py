"""The seed's worked numbers ("Cost of Convolution", "Calculation comparison"), and compare()."""

from fractions import Fraction

import numpy as np
import pytest

import convzoo
from convzoo import compare, cost_of_spec, make_spec
from convzoo.costmodel import Cost


def test_single_channel_5x5_by_3x3():
    cost = cost_of_spec(make_spec("conv", (1, 1, 5, 5), (1, 1, 3, 3)))
    outputs = 3 * 3
    assert cost.output_shape == (1, 1, 3, 3)
    assert cost.mults == outputs * 9 and cost.adds == outputs * 8
    with_bias = cost_of_spec(make_spec("conv", (1, 1, 5, 5), (1, 1, 3, 3)), bias=True)
    assert with_bias.adds == outputs * 9


def test_depthwise_separable_86400_vs_10275():
    table = compare((1, 3, 7, 7), 128, 3)
    standard, separable = table["standard"].cost, table["depthwise separable"].cost
    assert standard.mults == 86_400 == 128 * (3 * 3 * 3) * (5 * 5)
    depthwise = cost_of_spec(make_spec("conv", (1, 3, 7, 7), (3, 1, 3, 3), groups=3))
    pointwise = cost_of_spec(make_spec("conv", (1, 3, 5, 5), (128, 3, 1, 1)))
    assert (depthwise.mults, pointwise.mults) == (675, 9_600)
    assert separable.mults == 10_275 == depthwise.mults + pointwise.mults
    assert round(float(table["depthwise separable"].ratio), 2) == 0.12


@pytest.mark.parametrize(("channels", "h", "n_c", "size"), [(3, 3, 128, 7), (8, 5, 16, 9),
                                                          (4, 7, 32, 12)])  # fmt: skip
def test_separable_ratio_is_one_over_nc_plus_one_over_h2(channels, h, n_c, size):
    ratio = compare((1, channels, size, size), n_c, h)["depthwise separable"].ratio
    assert ratio == Fraction(1, n_c) + Fraction(1, h * h)


@pytest.mark.parametrize("groups", [2, 4, 8])
def test_grouped_is_one_over_g(groups):
    table = compare((2, 16, 9, 9), 32, 3, padding=1, stride=2, groups=groups)
    assert table["grouped"].ratio == Fraction(1, groups)
    assert table["grouped"].cost.params * groups == table["standard"].cost.params
    shuffled = table["shuffled grouped"].cost
    assert shuffled.mults == table["grouped"].cost.mults
    assert shuffled.bytes > table["grouped"].cost.bytes  # the shuffle is one more copy


def test_sobel_spatially_separable_81_vs_72():
    table = compare((1, 1, 5, 5), 1, 3)
    assert table["standard"].cost.mults == 81
    assert table["spatially separable"].cost.mults == 72  # 3x1 on 5x5 (45) + 1x3 on 3x5 (27)
    assert table["spatially separable"].cost.params == 6
    assert table["spatially separable"].cost.output_shape == (1, 1, 3, 3)


def test_compare_variants_have_the_standard_output_shape_in_3d():
    table = compare((1, 4, 6, 7, 8), 8, (3, 2, 3), stride=(1, 2, 2), padding="same")
    assert len(table) == 5
    assert {row.cost.output_shape for row in table} == {(1, 8, 6, 4, 4)}
    markdown = table.to_markdown()
    assert markdown.count("\n") == 6 and "| standard |" in markdown


def test_compare_without_common_groups_leaves_grouped_rows_out_with_a_note():
    table = compare((1, 3, 7, 7), 128, 3)
    assert "grouped" not in [row.name for row in table]
    assert "no groups > 1 divide both 3 and 128" in table.notes[0]


def test_compare_bad_groups():
    with pytest.raises(ValueError, match="compare: groups=3 must divide in_channels=16"):
        compare((1, 16, 8, 8), 32, 3, groups=3)


def test_compare_bad_shape():
    with pytest.raises(ValueError, match=r"compare: in_shape must be \(N, C_in, \*spatial\)"):
        compare((16, 8), 32, 3)


def test_compare_unknown_variant():
    with pytest.raises(KeyError, match="no variant 'winograd'"):
        compare((1, 1, 5, 5), 1, 3)["winograd"]


def test_exact_padding_counts_fewer_taps_and_mode_matters():
    spec = make_spec("conv", (1, 2, 8, 8), (4, 2, 3, 3), padding="same")
    framework, exact = cost_of_spec(spec), cost_of_spec(spec, exact=True)
    # a border row/column loses 3 of 9 taps, a corner 5 of 9
    lost = 2 * 4 * (4 * 6 * 3 + 4 * 5)
    assert framework.mults - exact.mults == lost
    reflect = make_spec("conv", (1, 2, 8, 8), (4, 2, 3, 3), padding=1, padding_mode="reflect")
    assert cost_of_spec(reflect, exact=True).mults == framework.mults


def test_cost_sums_and_intensity():
    a = cost_of_spec(make_spec("conv", (1, 3, 7, 7), (3, 1, 3, 3), groups=3))
    b = cost_of_spec(make_spec("conv", (1, 3, 5, 5), (128, 3, 1, 1)))
    total = a + b
    assert total.output_shape == b.output_shape
    assert total.mults == a.mults + b.mults and total.params == a.params + b.params
    assert sum([a, b]) == total
    assert total.flops == 2 * total.macs
    assert total.intensity == pytest.approx(total.flops / (total.bytes_read + total.bytes_written))
    assert Cost((1,)).intensity == 0.0
    assert b.bytes_read == (3 * 25 + 128 * 3) * 4 and b.bytes_written == 128 * 25 * 4


def test_cost_of_spec_agrees_with_engine_output_shape():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 4, 9, 9)), rng.standard_normal((6, 2, 3, 3))
    spec = make_spec("conv", x.shape, w.shape, stride=2, padding="same", dilation=2, groups=2)
    assert (
        cost_of_spec(spec).output_shape
        == convzoo.conv(x, w, stride=2, padding="same", dilation=2, groups=2).shape
    )
