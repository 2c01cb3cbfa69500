"""Tour sections on cheaper convolutions: spatially separable (on a photograph), depthwise
separable, grouped, and the convolution-arithmetic gallery (padding, strides, transposed,
dilated). Numbers come from the reference engine's counter and ``convzoo.output_shape``.
"""

from __future__ import annotations

import numpy as np

from ..viz.arithmetic import CONFIGURATIONS, arithmetic_scene
from ..viz.frames import conv_scene
from ..viz.layers import example_input
from ..viz.pipeline import chain_scenes
from .html import table
from .numbers import counted, depthwise_separable_numbers
from .photo import SOBEL_X, load_photo, sobel_demo, to_pixels, type_demos

__all__ = ["SECTIONS", "arithmetic_gallery", "separable_factors"]


def separable_factors(kernel):
    """Column and row factors of a rank-1 kernel, from :func:`convzoo.separate`."""
    import convzoo

    column, row = convzoo.separate(kernel)
    return np.asarray(column, float).ravel(), np.asarray(row, float).ravel()


def spatially_separable(assets):
    column, row = separable_factors(SOBEL_X)
    x = example_input((1, 1, 5, 5), 6)
    first = conv_scene(x, column.reshape(1, 1, 3, 1))
    second = conv_scene(first.output, row.reshape(1, 1, 1, 3))
    scene = chain_scenes(
        [first, second], title="Sobel x in two passes: 3×1 then 1×3",
        subtitle="5×5 → 3×5 (column pass) → 3×3 (row pass)",
        names=["after the 3×1 column", "after the 1×3 row"],
    )  # fmt: skip
    full = counted((1, 1, 5, 5), (1, 1, 3, 3))["mults"]
    two = (
        counted((1, 1, 5, 5), (1, 1, 3, 1))["mults"] + counted((1, 1, 3, 5), (1, 1, 1, 3))["mults"]
    )
    rgb = load_photo()
    gray = rgb.mean(axis=0)
    demo = sobel_demo(gray, column, row)
    images = "".join(
        [
            assets.image("photo", to_pixels(rgb), "The photograph: Grace Hopper, U.S. Navy "
                         "(public domain), 160×200.", width=240),
            assets.image("sobel_full", to_pixels(demo["full"], signed=True),
                         f"Full 3×3 Sobel x: {demo['mults_full']:,} multiplications.", width=240),
            assets.image("sobel_separable", to_pixels(demo["separable"], signed=True),
                         f"3×1 then 1×3: {demo['mults_separable']:,} multiplications; "
                         f"largest difference {demo['max_difference']:.1e}.", width=240),
        ]
    )  # fmt: skip
    body = f"""
<p>Some kernels are the outer product of a column and a row. The Sobel kernel, which
responds to vertical edges, is one: <code>convzoo.separate</code> splits it into the column
{_rounded(column)} and the row {_rounded(row)} (their outer product is the kernel;
the split of the scale between them is arbitrary). Convolving with the column and then with the
row gives exactly the same result as the 3×3 kernel, with 3 + 3 instead of 9 multiplications
per pixel. Deep networks rarely use this directly (few learned kernels are rank 1), but
Inception-style 7×1 + 1×7 pairs and classic image filters do.</p>
{
        assets.animation(
            "spatially_separable",
            scene,
            "Pass 1 (3×1 column) fills the intermediate "
            "3×5 map; pass 2 (1×3 row) reads it to fill the 3×3 output.",
        )
    }
<p>On the seed's 5×5 image: full 3×3 kernel <b>{full}</b> multiplications, two passes
<b>{two}</b> ({two / full:.0%}).</p>
<div>{images}</div>
<p>The same two passes on the photograph give the same edges (the difference is float
round-off). Other types on the same image:</p>
<div>{_type_images(assets, rgb)}</div>"""
    return "spatially-separable", "Spatially separable convolution", body


def _rounded(vector):
    return "[" + ", ".join(f"{v + 0.0:.3g}" for v in np.round(vector, 3)) + "]"


def _type_images(assets, rgb):
    parts = []
    for name, (array, signed, caption) in type_demos(rgb).items():
        if name == "checkerboard":  # zoom into a corner: the pattern is one pixel wide
            parts.append(assets.image(f"photo_{name}", to_pixels(array[:20, :20], signed),
                                      caption + " (top-left 20×20, zoomed)", scale=12,
                                      width=240))  # fmt: skip
            continue
        width = 240 if name != "downsampled" else 120
        parts.append(assets.image(f"photo_{name}", to_pixels(array, signed), caption,
                                  width=width))  # fmt: skip
    return "".join(parts)


def depthwise_separable(assets):
    numbers = depthwise_separable_numbers(7, 7, 3, 3, 128)
    x = example_input((1, 3, 5, 5), 7)
    kernels = np.array([[0.0, 1, 0], [1, 2, 1], [0, 1, 0]])[None, None].repeat(3, 0)
    depthwise = conv_scene(x, kernels, groups=3)
    mix = np.array([[1.0, 0, 1], [0, 1, 1], [1, 1, 0], [1, -1, 0]]).reshape(4, 3, 1, 1)
    pointwise = conv_scene(depthwise.output, mix)
    scene = chain_scenes(
        [depthwise, pointwise],
        title="Depthwise separable: 3 kernels of 3×3×1, then 4 filters 1×1×3",
        subtitle="5×5×3 → 3×3×3 (one kernel per channel) → 3×3×4 (1×1)",
        names=["depthwise 3×3 (groups = 3)", "pointwise 1×1, 4 filters"],
    )
    rows = []
    for filters, k in ((128, 3), (64, 3), (256, 3), (512, 3), (512, 5), (1024, 7)):
        ratio = 1 / filters + 1 / k**2
        rows.append((filters, f"{k}×{k}", f"{ratio:.4f}", f"{1 / ratio:.1f}×", f"{k * k}×"))
    body = f"""
<p>MobileNet and Xception split a standard convolution into two cheap steps. First a
<em>depthwise</em> convolution: one k×k kernel per input channel, each seeing only its own
channel, the D maps stacked. Then a <em>pointwise</em> (1×1) convolution mixes the channels,
with as many 1×1×D filters as output channels wanted.</p>
{
        assets.animation(
            "depthwise_separable",
            scene,
            "Step 1 gives each channel its own kernel "
            "(the window stays inside one channel); step 2 mixes channels with 1×1 "
            "filters.",
            max_frames=24,
        )
    }
<p>The seed's example: a 7×7×3 input and 128 filters of 3×3×3 give a 5×5×128 output.</p>
{
        table(
            ["way", "multiplications (engine)", "formula"],
            [
                ("standard: 128 × (3·3·3) × (5·5)", numbers["standard"], numbers["formula"]),
                ("depthwise: 3 × (3·3·1) × (5·5)", numbers["depthwise"], 3 * 9 * 25),
                ("pointwise: 128 × (1·1·3) × (5·5)", numbers["pointwise"], 128 * 3 * 25),
                ("separable total", numbers["separable"], (9 + 128) * 3 * 25),
            ],
        )
    }
<p>So <span class="big">{numbers["standard"]:,} vs {numbers["separable"]:,}</span>
multiplications: the separable version needs {float(numbers["ratio"]):.1%} of the work. The
ratio is exactly 1/N<sub>c</sub> + 1/h² = 1/128 + 1/9 = {numbers["ratio_formula"]}
= {float(numbers["ratio_formula"]):.4f} (engine: {numbers["ratio"]}). When N<sub>c</sub> is
much larger than h it tends to 1/h²: a 5×5 standard convolution does about 25 times the
multiplications.</p>
{table(["N_c", "kernel", "1/N_c + 1/h²", "saving", "limit h²"], rows)}"""
    return "depthwise-separable", "Depthwise separable convolution", body


def grouped(assets):
    x = example_input((1, 4, 4, 4), 8)
    w = example_input((4, 2, 3, 3), 9) - 1.0
    scene = conv_scene(x, w, groups=2,
                       title="Grouped convolution: 4 → 4 channels in 2 groups")  # fmt: skip
    rows = []
    for g in (1, 2, 4, 8):
        c = counted((1, 8, 6, 6), (8, 8 // g, 3, 3), groups=g)["mults"]
        rows.append((g, f"8×{8 // g}×3×3", c, f"1/{g}" if g > 1 else "1"))
    base = rows[0][2]
    body = f"""
<p>AlexNet (2012) split its filters into groups so that two GPUs could each run one half:
each group of filters sees only its own slice of the input channels, and the groups' outputs
are concatenated. Colours mark the groups below: the orange filters read only the orange
channels.</p>
{
        assets.animation(
            "grouped",
            scene,
            "Two groups: output channels 0–1 read input channels "
            "0–1, output channels 2–3 read input channels 2–3.",
            max_frames=24,
        )
    }
<p>Each filter is g times thinner, so with g groups a layer costs
h·w·D<sub>in</sub>·D<sub>out</sub>/g instead of h·w·D<sub>in</sub>·D<sub>out</sub>
— and has 1/g of the parameters. Counted by the engine on a 6×6×8 input with 8 filters of 3×3:</p>
{table(["groups g", "weight", "multiplications", "of standard"], rows)}
<p class="note">Check: {base:,} / g = {", ".join(f"{base // g:,}" for g in (2, 4, 8))}.</p>"""
    return "grouped", "Grouped convolution", body


def arithmetic_gallery(assets):
    figures = []
    for name, config in CONFIGURATIONS.items():
        scene = arithmetic_scene(name)
        figures.append(assets.animation(
            f"arith_{name}", scene,
            f"<b>{config.title}</b>: input {config.i}×{config.i} (blue), output "
            f"{config.o}×{config.o} (cyan); k={config.k}, s={config.s}, p={config.p}"
            + (f", d={config.d}" if config.d > 1 else "")
            + (f", output_padding={config.output_padding}" if config.output_padding else ""),
            max_frames=16,
        ))  # fmt: skip
    body = f"""
<p>Dumoulin and Visin's <em>guide to convolution arithmetic</em> drew the standard pictures
of padding, strides, transposition and dilation. Here are the same 15 configurations,
recomputed by convzoo. The input is on the left and the output on the right of every
picture, each labelled with its size. A <em>transposed</em> convolution (used to upsample)
maps the output size of its convolution back to its input size; it is drawn as the
equivalent stride-1 convolution of the input with zeros inserted between its cells (dotted)
— the third panel counts how many kernel taps land on each output cell, the origin of the
checkerboard artefacts of strided upsampling. <em>Dilation</em> spreads the kernel's taps
apart to see a wider area with the same number of weights.</p>
<div class="gallery">{"".join(figures)}</div>"""
    return "arithmetic", "Padding, strides, transposed and dilated: the gallery", body


SECTIONS = [spatially_separable, depthwise_separable, grouped]
