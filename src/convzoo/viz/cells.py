"""Drawing one grid of cells: colours, numbers as glyph outlines, and per-frame repainting.

Numbers are drawn as text outlines (``TextPath``) gathered in one collection per grid, so a
frame repaints a few collections instead of laying out hundreds of text objects; this keeps
the tour's animations fast. Colours follow conv_arithmetic: blue input, cyan output, grey
padding, dotted white inserted zeros; one hue per channel group.
"""

from __future__ import annotations

import numpy as np

from .frames import INSERTED, PAD, REAL

__all__ = [
    "CELL_COLOURS", "GROUP_DARK", "GROUP_HUES", "GridArtist", "label_patch", "require_matplotlib",
    "text_path",
]  # fmt: skip

CELL_COLOURS = {
    "input": "#9ecae1",
    "window": "#2171b5",
    "pad": "#e6e6e6",
    "inserted": "#ffffff",
    "empty": "#ffffff",
    "output": "#a8e6e2",
    "current": "#1a9a92",
}
GROUP_HUES = ["#6baed6", "#fd8d3c", "#74c476", "#9e9ac8", "#f768a1", "#bcbddc", "#fdd0a2"]
GROUP_DARK = ["#08519c", "#a63603", "#006d2c", "#54278f", "#ae017e", "#3f007d", "#7f2704"]
MAX_TEXT_CELLS = 15  # grids wider or taller than this are drawn without numbers


def require_matplotlib():
    """Import matplotlib's Agg figure machinery (and check Pillow), or raise naming the extra."""
    try:
        import PIL  # noqa: F401 - GIF frames and the tour's images are written with Pillow
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:  # pragma: no cover - matplotlib is in the test extra
        raise ImportError(
            "convzoo.viz needs matplotlib and pillow: pip install convzoo[viz]"
        ) from error
    return Figure, FigureCanvasAgg


def _fmt(value: float) -> str:
    if not np.isfinite(value):
        return str(value)
    if abs(value - round(value)) < 1e-9 and abs(value) < 1e4:
        return str(int(round(value)))
    return f"{value:.2g}" if abs(value) < 10 else f"{value:.0f}"


_PATHS = {}


def text_path(text, bold=False):
    """The outline of ``text`` at size 1 (cached: cell numbers repeat a lot)."""
    if (text, bold) not in _PATHS:
        from matplotlib.font_manager import FontProperties
        from matplotlib.textpath import TextPath

        font = FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
        _PATHS[text, bold] = TextPath((0, 0), text, size=1.0, prop=font)
    return _PATHS[text, bold]


def label_patch(text, x, y, size, bold=False):
    """A left-aligned text outline with its baseline at (x, y), in data units (y down)."""
    from matplotlib.patches import PathPatch
    from matplotlib.transforms import Affine2D

    move = Affine2D().scale(size, -size).translate(x, y)
    return PathPatch(move.transform_path(text_path(text, bold)))


def _glyphs(strings, x0, y0, cols):
    """One PathPatch per cell number, centred in its cell (data units, y pointing down)."""
    from matplotlib.patches import PathPatch
    from matplotlib.transforms import Affine2D

    patches = []
    for i, text in enumerate(strings):
        r, c = divmod(i, cols)
        path = text_path(text)
        box = path.get_extents()
        scale = min(0.42, 0.8 / max(box.width, 1e-9))
        move = (
            Affine2D()
            .translate(-box.x0 - box.width / 2, -box.y0 - box.height / 2)
            .scale(scale, -scale)
            .translate(x0 + c + 0.5, y0 + r + 0.5)
        )
        patches.append(PathPatch(move.transform_path(path)))
    return patches


def _heat_colours(values):
    """Hex colours of a light orange ramp, one per cell (for counts such as overlaps)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    top = max(float(values.max()), 1.0)
    ramp = colormaps["Oranges"]
    return [[to_hex(ramp(0.1 + 0.6 * v / top)) for v in row] for row in values]


class GridArtist:
    """The patches and texts of one grid, placed with its top-left cell at (x0, y0)."""

    def __init__(self, ax, grid, x0, y0, show_values):
        from matplotlib.collections import PatchCollection
        from matplotlib.patches import Rectangle

        self.grid = grid
        rows, cols = grid.values.shape
        self.shape = (rows, cols)
        hue = GROUP_HUES[grid.group % len(GROUP_HUES)] if grid.group is not None else None
        base, styles, edges = [], [], []
        heat = _heat_colours(grid.values) if grid.heat else None
        for r in range(rows):
            for c in range(cols):
                kind = grid.kind[r, c]
                if heat is not None:
                    base.append(heat[r][c])
                elif kind == PAD:
                    base.append(CELL_COLOURS["pad"])
                elif grid.output:
                    base.append(CELL_COLOURS["empty"])
                elif kind == INSERTED:
                    base.append(CELL_COLOURS["inserted"])
                else:
                    base.append(hue or CELL_COLOURS["input"])
                styles.append("dotted" if kind == INSERTED else "solid")
                edges.append("#9a9a9a" if kind in (PAD, INSERTED) else "#3d5a73")
        self.base = np.array(base, dtype=object)
        self.hue = hue
        self.dark = GROUP_DARK[grid.group % len(GROUP_DARK)] if grid.group is not None else None
        patches = [Rectangle((x0 + c, y0 + r), 1, 1) for r in range(rows) for c in range(cols)]
        self.collection = PatchCollection(
            patches, facecolors=list(self.base), edgecolors=edges, linestyles=styles,
            linewidths=0.8,
        )  # fmt: skip
        ax.add_collection(self.collection)
        self.texts = None
        if show_values and rows <= MAX_TEXT_CELLS and cols <= MAX_TEXT_CELLS:
            strings = [_fmt(v) for v in grid.values.ravel()]
            self.texts = PatchCollection(
                _glyphs(strings, x0, y0, cols), facecolors=self._text_colours(set(), None),
                edgecolors="none", zorder=3,
            )  # fmt: skip
            ax.add_collection(self.texts)
        self.label = label_patch(grid.label, x0, y0 - 0.3, 0.48)

    def _text_colours(self, dark, shown):
        """RGBA per cell number: white on the window, grey on padding, hidden if not shown."""
        kinds = self.grid.kind.ravel()
        colours = np.zeros((kinds.size, 4))
        colours[:, 3] = 1.0
        colours[kinds != REAL, :3] = 0.45
        for i in dark:
            colours[i, :3] = 1.0
        if shown is not None:
            colours[~shown, 3] = 0.0
        return colours

    def paint(self, filled, window, current):
        """Set colours: ``filled`` (rows, cols) bool, ``window`` / ``current`` cell lists."""
        rows, cols = self.shape
        faces = self.base.copy()
        real = self.grid.kind.ravel() == REAL
        if self.grid.output:
            colour = self.hue or CELL_COLOURS["output"]
            faces[filled.ravel() & real] = colour
        for r, c in window:
            faces[r * cols + c] = self.dark or CELL_COLOURS["window"]
        for r, c in current:
            faces[r * cols + c] = self.dark or CELL_COLOURS["current"]
        self.collection.set_facecolor(list(faces))
        if self.texts is not None:
            dark = {r * cols + c for r, c in [*window, *current]}
            shown = (filled.ravel() | ~real) if self.grid.output else None
            self.texts.set_facecolor(self._text_colours(dark, shown))
