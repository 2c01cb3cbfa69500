"""convzoo.profile counts torch modules with the same rules as cost_of_spec."""

from collections import Counter
from math import prod

import numpy as np
import pytest

from convzoo import cost_of_spec, make_spec, profile
from convzoo.costmodel.rules import linear_cost
from convzoo.engine.reference import correlate_transpose

torch = pytest.importorskip("torch")
nn = torch.nn


def test_profile_small_cnn_matches_specs():
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU6(),
        nn.Conv2d(8, 8, 3, padding="same", dilation=2, groups=8),  # depthwise, dilated
        nn.Conv2d(8, 16, 1, groups=4),  # pointwise grouped
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(16, 10),
    )
    net.train()
    table = profile(net, (2, 3, 16, 16))
    assert net.training and net[1].training  # mode restored
    assert [row.type for row in table] == [type(m).__name__ for m in net]
    expected = [
        cost_of_spec(make_spec("c", (2, 3, 16, 16), (8, 3, 3, 3), stride=2, padding=1)),
        None,
        None,
        cost_of_spec(
            make_spec("c", (2, 8, 8, 8), (8, 1, 3, 3), padding="same", dilation=2, groups=8),
            bias=True,
        ),  # fmt: skip
        cost_of_spec(make_spec("c", (2, 8, 8, 8), (16, 2, 1, 1), groups=4), bias=True),
    ]
    for row, cost in zip(table, expected):
        if cost is not None:
            assert row.cost == cost
    assert table[1].cost.params == 16 and table[1].cost.mults == 2 * 8 * 8 * 8
    assert table[2].cost.comparisons == 2 * 2 * 8 * 8 * 8
    assert table[6].cost.comparisons == 2 * 16 * 4 * 4 * 3
    assert (table[7].cost.adds, table[7].cost.mults) == (2 * 16 * 15, 2 * 16)
    assert table[-1].cost == linear_cost((2, 16), 10)
    assert table.total.params == sum(p.numel() for p in net.parameters())
    assert table.total.macs == sum(table[i].cost.macs for i in (0, 3, 4, 10))
    assert table.total.output_shape == (2, 10)
    assert not table.notes


def test_profile_transposed_stride_2_is_counted_on_the_input_grid():
    up = nn.ConvTranspose2d(4, 6, kernel_size=3, stride=2, padding=1, output_padding=1)
    net = nn.Sequential(up)
    table = profile(net, (1, 4, 5, 5))
    cost = table[0].cost
    assert cost.output_shape == (1, 6, 10, 10)
    input_grid = 1 * 4 * 5 * 5 * 6 * 9  # every input element times every weight of its group
    output_grid = 1 * 6 * 10 * 10 * 4 * 9  # what output-grid counters report: 4x too many
    assert cost.macs == input_grid and output_grid == 4 * input_grid
    # additions: those the reference scatter really performs, plus one bias add per output
    counted = Counter()
    weight = up.weight.detach().numpy().astype(np.float64)
    correlate_transpose(np.ones((1, 4, 5, 5)), weight, (2, 2), (1, 1), 1, (12, 12), counted)
    assert (cost.mults, cost.adds) == (counted["mults"], counted["adds"] + 6 * 10 * 10)
    assert cost.params == 4 * 6 * 9 + 6


@pytest.mark.parametrize("dims", [1, 3])
def test_profile_1d_and_3d_grouped_transposed(dims):
    conv = getattr(nn, f"Conv{dims}d")(4, 6, 3, stride=2, padding=1, groups=2)
    deconv = getattr(nn, f"ConvTranspose{dims}d")(6, 4, 2, stride=2, groups=2, bias=False)
    shape = (1, 4) + (6,) * dims
    table = profile(nn.Sequential(conv, deconv), shape)
    first = make_spec("c", shape, tuple(conv.weight.shape), stride=2, padding=1, groups=2)
    second = make_spec("t", first.output_shape, tuple(deconv.weight.shape), stride=2, groups=2,
                       transposed=True)  # fmt: skip
    assert table[0].cost == cost_of_spec(first, bias=True)
    assert table[1].cost == cost_of_spec(second)
    assert table[1].cost.macs == prod(first.output_shape) * 2 * 2**dims


def test_profile_exact_and_reuse_and_unknown_modules():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 3, padding=1, bias=False)
            self.act = nn.GELU()

        def forward(self, x):
            return self.act(self.conv(self.conv(x)))

    table = profile(Net(), (1, 2, 4, 4), exact=True)
    assert [row.name for row in table] == ["conv", "conv#2", "act"]
    spec = make_spec("c", (1, 2, 4, 4), (2, 2, 3, 3), padding=1)
    assert table[0].cost == table[1].cost == cost_of_spec(spec, exact=True)
    assert "act (GELU): no cost rule" in table.notes[0]
    assert "no cost rule" in table.to_markdown()


def test_profile_bad_shape_names_the_layer():
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(5, 8, 3))
    with pytest.raises(ValueError, match=r"profile: input shape \(1, 3, 8, 8\) does not fit "
                       r"Sequential \(after '0'\): .*channels"):  # fmt: skip
        profile(net, (1, 3, 8, 8))
