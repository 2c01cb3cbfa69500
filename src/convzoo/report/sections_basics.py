"""Tour sections on the basics: one channel, padding, strides, channels, 3-D, 1x1, cost.

Each function takes the :class:`~convzoo.report.assets.Assets` and returns
``(anchor, title, html)``; every number in the text is computed here, not typed in.
"""

from __future__ import annotations

import numpy as np

from .. import conv, output_shape
from ..viz.frames import conv_scene
from ..viz.layers import example_input
from .html import escape, table
from .numbers import counted, seed_stride_formula

__all__ = ["SECTIONS"]


def _ints(shape, seed):
    return example_input(shape, seed)


def overview(assets):
    from ..nn import registry

    rows = []
    for name, cls in registry().items():
        layer, shape = cls.example()
        out = layer.output_shape(shape)
        rows.append((f"<code>{name}</code>", escape(getattr(cls, "summary", "")),
                     f"{'×'.join(map(str, shape[1:]))} → {'×'.join(map(str, out[1:]))}",
                     escape(getattr(cls, "paper", ""))))  # fmt: skip
    body = f"""
<p>CNNs use many kinds of convolution: 2-D and 3-D, 1×1 and bottleneck, spatially
separable, depthwise separable, grouped and shuffled grouped, and more. This page explains
each one with convzoo itself: every animation is drawn from values that convzoo's reference
engine computes, and every count is taken from the engine or the cost model while the page
is built. The types below are convzoo's registry (<code>convzoo types</code>); each one is
animated in <a href="#types">Every type, animated</a>.</p>
{table(["type", "what it is", "example (C×spatial)", "paper"], rows)}"""
    return "overview", "The convolution types", body


def single_channel(assets):
    x = _ints((1, 1, 5, 5), 1)
    w = np.array([[0.0, 1, 2], [2, 2, 0], [0, 1, 2]])[None, None]
    scene = conv_scene(x, w, title="One channel: a 3×3 kernel over a 5×5 input")
    counts = counted(x.shape, w.shape)
    out = output_shape(x.shape, w.shape)
    body = f"""
<p>A convolution layer slides a small grid of weights — the <em>kernel</em> — over its input.
At every position it multiplies the weights with the input values under them and adds the
products; that sum is one output value. (Deep-learning libraries, convzoo included, do not
flip the kernel: strictly this is a cross-correlation.)</p>
{
        assets.animation(
            "single_channel",
            scene,
            "Every frame is one output value, computed by "
            "the reference engine; the caption spells out its sum of products.",
        )
    }
<p>A 3×3 kernel fits in a 5×5 input at {out[2]}×{out[3]} = {out[2] * out[3]} positions, so
the 25 input values give <b>{out[2] * out[3]}</b> outputs. Each output costs 9 multiplications
and 8 additions: the reference loops counted <b>{counts["mults"]}</b> multiplications and
<b>{counts["adds"]}</b> additions in total.</p>"""
    return "single", "Convolution: one channel", body


def padding(assets):
    x = _ints((1, 1, 4, 4), 2)
    w = np.ones((1, 1, 3, 3))
    scene = conv_scene(
        x, w, padding=1, padding_mode="constant", padding_value=1.0,
        title="Padding with ones: 4×4 stays 4×4",
    )  # fmt: skip
    rows = []
    for n, k in ((5, 3), (7, 3), (224, 7), (32, 5)):
        valid = output_shape((1, 1, n, n), (1, 1, k, k))[2]
        same = output_shape((1, 1, n, n), (1, 1, k, k), padding="same")[2]
        rows.append((f"{n}×{n}", f"{k}×{k}", n - k + 1, valid, same, n))
    body = f"""
<p>Without padding the kernel cannot be centred on the border cells, so every layer shrinks
its input: W×H becomes (W−w+1)×(H−h+1). Padding adds a frame of extra cells around the
input — usually zeros, but any value (or a mirror or a copy of the edge) works — so that the
output can keep the input's size. Grey cells below are padding, filled here with 1.</p>
{
        assets.animation(
            "padding",
            scene,
            "Padding 1 with value 1 (padding_mode='constant'): "
            "the grey cells take part in the sums like any other.",
        )
    }
{
        table(
            [
                "input",
                "kernel",
                "W−w+1 (seed)",
                "convzoo, no padding",
                "convzoo, 'same'",
                "W (seed)",
            ],
            rows,
        )
    }
<p class="note">The 'same' column pads (k−1)/2 cells on each side; convzoo computes it
with <code>padding="same"</code>.</p>"""
    return "padding", "Padding", body


def striding(assets):
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.arange(4.0).reshape(1, 1, 2, 2)
    scene = conv_scene(x, w, padding=1, stride=(3, 2),
                       title="Strides 3 (rows) and 2 (columns), padding 1")  # fmt: skip
    y = conv(x, w, padding=1, stride=(3, 2))
    rows = []
    for n, k, p, s in ((5, 3, 0, 2), (5, 3, 2, 2), (6, 3, 2, 2), (224, 7, 6, 2), (7, 3, 0, 3)):
        lib = output_shape((1, 1, n, n), (1, 1, k, k), stride=s, padding=p // 2)[2]
        rows.append((n, k, p, s, seed_stride_formula(n, k, p, s), lib))
    same_rows = []
    for n, s in ((5, 2), (6, 2), (224, 2), (7, 3)):
        lib = output_shape((1, 1, n, n), (1, 1, 3, 3), stride=s, padding="same")[2]
        same_rows.append((n, s, (n + s - 1) // s, lib, (n - 3 + s) // s,
                          output_shape((1, 1, n, n), (1, 1, 3, 3), stride=s)[2]))  # fmt: skip
    body = f"""
<p>The stride is the step of the window: with stride s only every s-th position is kept, so
the output shrinks by about s in that direction. Rows and columns may use different strides.
The seed's formula for input n, kernel k, total padding p and stride s is
⌊(n − k + p + s)/s⌋; convzoo's <code>output_shape</code> uses the same rule, written
⌊(n + p − k)/s⌋ + 1.</p>
{
        assets.animation(
            "stride",
            scene,
            "The textbook example (strides 3 and 2, padding 1): "
            f"output {y[0, 0].astype(int).tolist()}.",
        )
    }
{table(["n", "k", "p (total)", "s", "seed ⌊(n−k+p+s)/s⌋", "convzoo.output_shape"], rows)}
<p>With 'same' padding the seed gives (W+S−1)/S, without padding (W−w+S)/S (3×3 kernel):</p>
{table(["W", "S", "(W+S−1)/S", "convzoo 'same'", "(W−w+S)/S", "convzoo no padding"], same_rows)}"""
    return "stride", "Striding", body


def multi_channel(assets):
    x = _ints((1, 3, 5, 5), 3)
    w = np.array([[0.0, 1, 0], [1, 1, 1], [0, 1, 0]])[None, None].repeat(3, 1) * np.array(
        [1.0, 0, -1]
    ).reshape(1, 3, 1, 1)
    scene = conv_scene(x, w, title="5×5×3 input, one 3×3×3 filter → 3×3×1 output")
    counts = counted(x.shape, w.shape)
    body = f"""
<p>With several input channels the filter has the same depth as the input: a 3×3×3 filter
for an RGB-like 5×5×3 input. Each of its three 3×3 <em>kernels</em> slides over its own
channel, and the three results are added into a single channel. So a <em>filter</em> is the
stack of kernels that makes one output channel; for a one-channel input the two words mean
the same thing. The filter moves only across height and width — that is why this is still
called a 2-D convolution, even though the filter is 3-D.</p>
{
        assets.animation(
            "multi_channel",
            scene,
            "The window covers the same 3×3 cells in all three "
            "channels; the 27 products add into one output cell.",
        )
    }
<p>Per output: 27 multiplications, 26 additions; total counted by the engine for the 3×3
output: <b>{counts["mults"]}</b> multiplications. With N<sub>c</sub> filters the output has
N<sub>c</sub> channels.</p>"""
    return "multichannel", "2-D convolution, several channels", body


def conv3d(assets):
    x = _ints((1, 1, 4, 4, 4), 4)
    w = np.ones((1, 1, 2, 2, 2))
    scene = conv_scene(x, w, title="3-D convolution: 4×4×4 volume, 2×2×2 kernel → 3×3×3")
    body = f"""
<p>When the kernel is smaller than the input in all three directions, it can move in all
three, and the outputs fill a 3-D grid: a 3-D convolution. Volumes (CT scans, video as
frames × height × width) are its natural input. Below, each row of grids is one depth slice
(z); the window covers two slices at a time.</p>
{assets.animation("conv3d", scene, "Depth slices z0…z3 of the input, z0…z2 of the output.")}
<p>Output size follows the same formula per dimension:
{output_shape(x.shape, w.shape)[2:]} here.</p>"""
    return "conv3d", "3-D convolution", body


def pointwise(assets):
    x = _ints((1, 3, 4, 4), 5)
    w = np.array([1.0, 2.0, -1.0]).reshape(1, 3, 1, 1)
    scene = conv_scene(x, w, title="1×1 convolution: 4×4×3 → 4×4×1")
    body = f"""
<p>A 1×1×D filter looks at one pixel at a time and mixes its D channels into one number:
H×W×D becomes H×W×1, and N such filters give H×W×N. It was proposed in
Network-in-Network (2013) and made popular by Inception (2014) for three reasons: it reduces
the number of channels cheaply before an expensive layer (a <em>bottleneck</em>), it gives a
low-dimensional embedding of the channels, and a non-linearity after it adds depth at almost
no cost.</p>
{
        assets.animation(
            "pointwise",
            scene,
            "Each output pixel is a weighted sum of the 3 channel "
            "values at the same pixel (weights 1, 2, −1).",
        )
    }"""
    return "pointwise", "1×1 convolution", body


def cost(assets):
    rows = []
    for h_in, depth, k, filters in ((5, 1, 3, 1), (7, 3, 3, 128), (12, 8, 3, 16), (9, 4, 5, 8)):
        c = counted((1, depth, h_in, h_in), (filters, depth, k, k))
        formula = filters * k * k * depth * (h_in - k + 1) ** 2
        rows.append((f"{h_in}×{h_in}×{depth}", f"{filters} × {k}×{k}×{depth}", formula,
                     c["mults"], c["adds"]))  # fmt: skip
    body = f"""
<p>What a convolution costs depends on the input size (i×i×D), the kernel size (k×k×D),
the stride s and the padding p. They fix the output size o = ⌊(i + 2p − k)/s⌋ + 1; each of the
o×o outputs costs k·k·D multiplications and k·k·D − 1 additions. For N<sub>c</sub> filters
of size h×h×D over an H×W×D input (stride 1, no padding) that is
N<sub>c</sub>·h·h·D·(H−h+1)·(W−h+1) multiplications.</p>
{
        table(
            [
                "input",
                "filters",
                "formula: multiplications",
                "engine: multiplications",
                "engine: additions",
            ],
            rows,
        )
    }
<p class="note">The engine column comes from the reference loops' own counter
(<code>convzoo.engine.reference.correlate(..., counter=...)</code>).</p>"""
    return "cost", "The cost of a convolution", body


SECTIONS = [overview, single_channel, padding, striding, multi_channel, conv3d, pointwise, cost]
