"""Tour sections: shuffled grouped and pointwise grouped convolutions, every registered type
animated, MobileNet and ShuffleNet from the cost model, and the benchmark (when run).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from ..viz.layers import example_input, layer_scene
from ..viz.pipeline import shuffle_scene
from .html import escape, table
from .numbers import counted
from .sections_efficient import arithmetic_gallery

__all__ = ["SECTIONS", "find_benchmarks", "markdown_blocks"]


def shuffled_grouped(assets):
    from .. import channel_shuffle

    x = example_input((1, 6, 2, 2), 10)
    scene = shuffle_scene(x, 3, title="Channel shuffle: 6 channels in 3 groups")
    order = channel_shuffle(np.arange(6.0).reshape(1, 6), 3)[0].astype(int).tolist()
    body = f"""
<p>Stacking grouped convolutions has a flaw: a channel only ever meets channels of its own
group, so the groups become separate narrow networks. ShuffleNet (2017) fixes this for free
with a <em>channel shuffle</em> between them: reshape the C channels into g groups × C/g,
transpose, flatten. Every group of the next layer then gets one channel from each group of
the previous one. It is a permutation — no multiplications at all.</p>
{
        assets.animation(
            "shuffle",
            scene,
            "Colours mark the group a channel came from: after the "
            "shuffle each run of 3 channels holds one channel of every group.",
        )
    }
<p>With 6 channels and 3 groups the new order is {order}
(<code>convzoo.channel_shuffle</code>); <code>channel_unshuffle</code> undoes it.</p>"""
    return "shuffled-grouped", "Shuffled grouped convolution", body


def pointwise_grouped(assets):
    from ..nn import registry

    layer, shape = registry()["pointwise_grouped"].example()
    scene = layer_scene(layer, shape)
    rows = []
    for c, g in ((240, 1), (240, 3), (240, 8), (480, 3)):
        mults = counted((1, c, 4, 4), (c, c // g, 1, 1), groups=g)["mults"]
        rows.append((f"{c} → {c}", g, mults, f"{mults / (c * c * 16):.3f}"))
    body = f"""
<p>In a ShuffleNet unit the 3×3 convolution is depthwise and therefore cheap; the 1×1
convolutions around it carry almost all the cost. So ShuffleNet groups the 1×1
convolutions too — <em>pointwise group convolutions</em> — and relies on the shuffle to mix
the groups.</p>
{
        assets.animation(
            "pointwise_grouped",
            scene,
            "A 1×1 convolution in 3 groups: each output "
            "pixel mixes only the channels of its own group.",
        )
    }
{table(["1×1 layer on 4×4", "groups", "multiplications (engine)", "of ungrouped"], rows)}"""
    return "pointwise-grouped", "Pointwise grouped convolution", body


def every_type(assets):
    from ..nn import registry

    figures = []
    for name, cls in registry().items():
        layer, shape = cls.example()
        scene = layer_scene(layer, shape)
        out = layer.output_shape(shape)
        caption = (
            f"<b>{escape(name)}</b> — {escape(getattr(cls, 'summary', ''))}. Input "
            f"{'×'.join(map(str, shape[1:]))} → output {'×'.join(map(str, out[1:]))}."
        )
        figures.append(assets.animation(f"type_{name}", scene, caption, max_frames=14))
    body = f"""
<p>Every type registered in <code>convzoo.nn.registry()</code>, each animated from its own
<code>example()</code> layer with its own weights (channels stacked, depth slices side by
side, colours per group). Types with normalisation and shortcuts (bottleneck, ShuffleNet
unit) are shown by their channel widths.</p>
<div class="gallery">{"".join(figures)}</div>"""
    return "types", "Every type, animated", body


def models(assets):
    import convzoo
    from convzoo.models import mobilenet_v1, shufflenet_v1

    from ..viz.figures import comparison_bars, layer_bars

    mobilenet = convzoo.summary(mobilenet_v1())
    grid = []
    for width in (1.0, 0.75, 0.5, 0.25):
        cells = [f"α = {width}"]
        for res in (224, 192, 160, 128):
            total = convzoo.summary(mobilenet_v1(width=width, resolution=res)).total
            cells.append(f"{total.macs / 1e6:,.0f}M / {total.params / 1e6:.2f}M")
        grid.append(cells)
    full = convzoo.summary(mobilenet_v1(separable=False)).total
    shuffle_rows = []
    for g in (1, 2, 3, 4, 8):
        total = convzoo.summary(shufflenet_v1(groups=g)).total
        shuffle_rows.append((g, round(total.macs / 1e6, 1), round(total.params / 1e6, 2)))
    seed = convzoo.compare((1, 3, 7, 7), 128, 3)
    bars = comparison_bars(convzoo.compare((1, 64, 16, 16), 128, 3, groups=4),
                           title="64→128 channels, 3×3, 16×16 input")  # fmt: skip
    body = f"""
<p>The cost model (<code>convzoo.summary</code>) counts real models built from the zoo's
layers, without running them. MobileNet v1 (1.0, 224×224):
<span class="big">{mobilenet.total.macs:,}</span> multiply-accumulates and
{mobilenet.total.params:,} parameters; the same network with standard convolutions needs
{full.macs:,} MACs ({mobilenet.total.macs / full.macs:.1%}).</p>
{
        assets.figure(
            "mobilenet_layers",
            layer_bars(mobilenet),
            "MobileNet v1 layer by layer: the "
            "1×1 (pointwise) layers carry most MACs and parameters; depthwise layers "
            "(orange) are cheap.",
        )
    }
<p>Width multiplier α × resolution (MACs / parameters):</p>
{table(["", "224", "192", "160", "128"], grid)}
<p>ShuffleNet v1 (1×, 224×224) for each number of groups g — more groups make the 1×1
layers cheaper, which ShuffleNet spends on wider layers at about the same cost:</p>
{table(["groups g", "MMACs", "params (M)"], shuffle_rows)}
<p>The seed's comparison, for any layer (<code>convzoo compare</code>):</p>
{
        table(
            ["variant", "steps", "multiplications", "of standard"],
            [(r.name, r.steps, r.cost.mults, f"{float(r.ratio):.1%}") for r in seed],
        )
    }
{
        assets.figure(
            "compare_bars",
            bars,
            "A layer built five ways: multiplications and ratio to "
            "the standard convolution (grouped: g = 4).",
        )
    }"""
    return "models", "MobileNet and ShuffleNet: the cost model", body


def find_benchmarks(explicit=None):
    """The benchmark results folder: ``explicit``, ``./benchmarks/results`` or the checkout's."""
    candidates = [explicit] if explicit else [
        Path.cwd() / "benchmarks" / "results",
        Path(__file__).resolve().parents[3] / "benchmarks" / "results",
    ]  # fmt: skip
    for folder in candidates:
        if folder and Path(folder).is_dir() and any(Path(folder).glob("*.csv")):
            return Path(folder)
    return None


def markdown_blocks(text: str) -> str:
    r"""The benchmark's Markdown report as HTML: pipe tables and paragraphs (``**bold**``).

    Examples
    --------
    >>> print(markdown_blocks("| a | b |\n|---|---|\n| 1 | 2 |\n\nmean **0.9x**"))
    <table><tr><th>a</th><th>b</th></tr>
    <tr><td>1</td><td>2</td></tr>
    </table>
    <p>mean <b>0.9x</b></p>
    """
    html, rows = [], []

    def inline(cell):
        return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escape(cell.strip()))

    def flush():
        if rows:
            head = "".join(f"<th>{inline(c)}</th>" for c in rows[0])
            body = [
                "<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in rows[1:]
            ]
            html.append(f"<table><tr>{head}</tr>\n" + "\n".join(body) + "\n</table>")
            rows.clear()

    for line in text.splitlines():
        line = line.strip()
        if line.startswith("|"):
            cells = line.strip("|").split("|")
            if not all(set(c.strip()) <= set("-:") for c in cells):
                rows.append(cells)
            continue
        flush()
        if line and not line.startswith("#"):
            html.append(f"<p>{inline(line)}</p>")
    flush()
    return "\n".join(html)


def benchmark(assets):
    folder = find_benchmarks(getattr(assets, "benchmarks", None))
    if folder is None:
        body = """
<p>No benchmark results were found (<code>benchmarks/results/*.csv</code>). Run
<code>convzoo bench --out benchmarks/results</code> and build the tour again to include the
table and the roofline.</p>"""
        return "benchmark", "Benchmark", body
    try:
        where = folder.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        where = folder
    parts = [f"<p>convzoo against PyTorch on the machine that ran <code>convzoo bench</code>, "
             f"from <code>{escape(str(where))}</code>:</p>"]  # fmt: skip
    report = folder / "results.md"
    if report.is_file():
        parts.append(markdown_blocks(report.read_text(encoding="utf-8")))
    else:
        csv_path = sorted(folder.glob("*.csv"))[-1]
        with csv_path.open(newline="") as f:
            rows = list(csv.reader(f))
        parts.append(table(rows[0], [[escape(c) for c in row] for row in rows[1:60]]))
    from ..viz.figures import roofline

    csv_path = folder / "results.csv"
    try:
        figure = roofline(csv_path if csv_path.is_file() else sorted(folder.glob("*.csv"))[-1])
    except ValueError:  # not convzoo bench's columns: show the run's own pictures
        for png in sorted(folder.glob("*.png"))[:3]:
            parts.append(assets.copy(png.name, png, f"{escape(png.stem)} (from the benchmark)"))
    else:
        parts.append(
            assets.figure(
                "roofline",
                figure,
                "Roofline of the run, drawn from its "
                "CSV: attained GFLOP/s of convzoo and PyTorch against "
                "arithmetic intensity, under the measured roofs.",
            )
        )
    return "benchmark", "Benchmark", "\n".join(parts)


SECTIONS = [shuffled_grouped, pointwise_grouped, arithmetic_gallery, every_type, models, benchmark]
