"""Static figures: the seed's calculation comparison as bars, the MACs and parameters of
every layer of a model (both from the cost model), and the roofline of a benchmark run.

They take the cost model's own results (:func:`convzoo.compare`, :func:`convzoo.summary`)
or the CSV that ``convzoo bench`` writes, and return a matplotlib ``Figure`` (Agg canvas, no
pyplot state); save with ``fig.savefig(path)``.
"""

from __future__ import annotations

import numpy as np

from .animate import require_matplotlib

__all__ = ["comparison_bars", "layer_bars", "roofline"]


def _figure(width, height, dpi):
    Figure, FigureCanvasAgg = require_matplotlib()
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def comparison_bars(comparison, *, title=None, dpi=90):
    """Horizontal bars of multiplications per variant, labelled with the ratio.

    Parameters
    ----------
    comparison : convzoo.costmodel.Comparison
        From :func:`convzoo.compare`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import convzoo
    >>> fig = comparison_bars(convzoo.compare((1, 3, 7, 7), 128, 3))
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()][:2]
    ['standard', 'depthwise separable']
    """
    rows = list(comparison)
    fig = _figure(7.5, 0.55 * len(rows) + 1.2, dpi)
    ax = fig.add_subplot()
    values = [row.cost.mults for row in rows]
    colours = ["#6c757d", "#2171b5", "#fd8d3c", "#e6550d", "#31a354"]
    y = np.arange(len(rows))[::-1]
    ax.barh(y, values, color=colours[: len(rows)] * 2)
    ax.set_yticks(y, [row.name for row in rows])
    for yy, row, v in zip(y, rows, values, strict=True):
        ax.text(v, yy, f"  {v:,} ({float(row.ratio):.1%})", va="center", fontsize=9)
    ax.set_xlim(0, max(values) * 1.45)
    ax.set_xlabel("multiplications")
    shape = "×".join(map(str, comparison.input_shape))
    ax.set_title(title or f"One layer, five ways (input {shape})", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def layer_bars(table, *, title=None, dpi=90, top=None):
    """MACs and parameters of every convolution / linear layer of a cost table.

    Parameters
    ----------
    table : convzoo.costmodel.CostTable
        From :func:`convzoo.summary`.
    top : int, optional
        Only this many layers (in order), for long models.

    Returns
    -------
    matplotlib.figure.Figure
        Two stacked bar charts sharing the layer axis: MACs (millions) and parameters
        (thousands); depthwise layers in orange, others in blue.

    Examples
    --------
    >>> import convzoo
    >>> from convzoo.models import mobilenet_v1
    >>> fig = layer_bars(convzoo.summary(mobilenet_v1(width=0.25, resolution=128)))
    >>> len(fig.axes)
    2
    """
    rows = [r for r in table if r.cost.macs > 0]
    if top:
        rows = rows[:top]
    fig = _figure(max(7.5, 0.22 * len(rows) + 2), 5.2, dpi)
    macs_ax, params_ax = fig.subplots(2, 1, sharex=True)
    x = np.arange(len(rows))
    colours = ["#fd8d3c" if "epthwise" in r.type else "#2171b5" for r in rows]
    macs_ax.bar(x, [r.cost.macs / 1e6 for r in rows], color=colours)
    params_ax.bar(x, [r.cost.params / 1e3 for r in rows], color=colours)
    macs_ax.set_ylabel("MACs (M)")
    params_ax.set_ylabel("params (K)")
    params_ax.set_xticks(x, [r.name for r in rows], rotation=90, fontsize=7)
    total = table.total
    macs_ax.set_title(
        title or f"{total.macs / 1e6:,.1f}M MACs, {total.params / 1e6:.2f}M parameters "
        "(orange: depthwise)", fontsize=11,
    )  # fmt: skip
    for ax in (macs_ax, params_ax):
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def _floats(row, key):
    try:
        return float(row[key])
    except (KeyError, TypeError, ValueError):
        return float("nan")


def roofline(csv_path, *, peak_gflops=None, bandwidth_gbs=None, dpi=90):
    """Roofline plot of a ``convzoo bench`` CSV: attained GFLOP/s against FLOPs per byte.

    Parameters
    ----------
    csv_path : str or Path
        ``results.csv`` of ``convzoo bench`` (columns ``layer``, ``fwd_intensity``,
        ``fwd_gflops``, ``fwd_torch_gflops``, ``fwd_roof_gflops`` and the ``bwd_`` ones).
    peak_gflops, bandwidth_gbs : float, optional
        The roofs; by default inferred from the CSV's per-layer roofs
        (``roof = min(peak, intensity * bandwidth)``).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the CSV has none of the needed columns.

    Notes
    -----
    Points under the sloped roof are limited by memory bandwidth, under the flat one by
    arithmetic; the gap to the roof is what an algorithm leaves on the table.
    """
    import csv
    from pathlib import Path

    with Path(csv_path).open(newline="") as f:
        rows = list(csv.DictReader(f))
    needed = {"layer", "fwd_intensity", "fwd_gflops"}
    if not rows or not needed <= set(rows[0]):
        have = sorted(rows[0]) if rows else []
        raise ValueError(
            f"roofline: {csv_path} needs the columns {sorted(needed)} of convzoo bench; got {have}"
        )
    roofs = [(_floats(r, f"{p}_intensity"), _floats(r, f"{p}_roof_gflops"))
             for r in rows for p in ("fwd", "bwd")]  # fmt: skip
    roofs = [(i, g) for i, g in roofs if np.isfinite(i) and np.isfinite(g) and i > 0]
    peak = peak_gflops or max((g for _, g in roofs), default=np.nan)
    if bandwidth_gbs is None:
        slopes = [g / i for i, g in roofs if g < 0.999 * peak]
        bandwidth_gbs = max(slopes) if slopes else None
    fig = _figure(7.5, 5.0, dpi)
    ax = fig.add_subplot()
    intensities = [v for r in rows for p in ("fwd", "bwd")
                   if np.isfinite(v := _floats(r, f"{p}_intensity")) and v > 0]  # fmt: skip
    grid = np.logspace(np.log10(min(intensities) / 4), np.log10(max(intensities) * 4), 200)
    if np.isfinite(peak):
        line = np.full_like(grid, peak)
        if bandwidth_gbs:
            line = np.minimum(line, grid * bandwidth_gbs)
        ax.plot(grid, line, color="black", lw=2, label="roof")
    styles = [("fwd_gflops", "o", "#2171b5", "convzoo forward"),
              ("fwd_torch_gflops", "o", "#fd8d3c", "PyTorch forward"),
              ("bwd_gflops", "s", "#6baed6", "convzoo backward"),
              ("bwd_torch_gflops", "s", "#fdae6b", "PyTorch backward")]  # fmt: skip
    for key, marker, colour, label in styles:
        side = key.split("_")[0]
        points = [(_floats(r, f"{side}_intensity"), _floats(r, key)) for r in rows]
        points = [(i, g) for i, g in points if np.isfinite(i) and np.isfinite(g) and g > 0]
        if points:
            ax.scatter(*zip(*points), marker=marker, color=colour, label=label, zorder=3)
    for r in rows:
        i, g = _floats(r, "fwd_intensity"), _floats(r, "fwd_gflops")
        if np.isfinite(i) and np.isfinite(g) and g > 0:
            ax.annotate(r["layer"], (i, g), fontsize=7, xytext=(4, 2), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOPs per byte)")
    ax.set_ylabel("attained GFLOP/s")
    bw = f", {bandwidth_gbs:.1f} GB/s" if bandwidth_gbs else ""
    ax.set_title(f"Roofline: {peak:.1f} GFLOP/s{bw}", fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
