"""Static figures from the cost model: the seed's calculation comparison as bars, and the
MACs and parameters of every layer of a model.

Both take the cost model's own results (:func:`convzoo.compare`, :func:`convzoo.summary`)
and return a matplotlib ``Figure`` (Agg canvas, no pyplot state); save with
``fig.savefig(path)``.
"""

from __future__ import annotations

import numpy as np

from .animate import require_matplotlib

__all__ = ["comparison_bars", "layer_bars"]


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
