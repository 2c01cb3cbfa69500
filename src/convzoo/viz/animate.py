"""Animating a :class:`~convzoo.viz.frames.Scene` with matplotlib.

All grids of a scene are drawn in one axes whose unit is one cell: columns of grids from
left (input) to right (output), each cell a rectangle with its value. Input cells are blue,
padding cells grey with the fill value, inserted zeros white and dotted, output cells cyan
once computed (conv_arithmetic's colours); the kernel window is dark blue. Channel groups
get one hue each. Saving: GIF (Pillow), MP4 (ffmpeg, when on PATH), HTML (matplotlib's
JavaScript player), or one PNG/SVG per frame. In Jupyter the object displays inline.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .cells import GridArtist, label_patch, require_matplotlib, text_path
from .frames import Scene

__all__ = ["Animation", "animate", "require_matplotlib"]


def _layout(scene, title_size=0.62, top=2.1, tallest=26.0):
    """Top-left corner of every grid: columns left to right, grids stacked in a column
    (wrapping into a further sub-column past ``tallest`` cells), room for column titles."""
    columns = sorted({g.column for g in scene.grids.values()})
    titles = dict(enumerate(scene.column_titles))
    x, corners, height = 0.0, {}, 0.0
    for column in columns:
        keys = [k for k, g in scene.grids.items() if g.column == column]
        start, y, width = x, top, 0
        for key in keys:
            rows, cols = scene.grids[key].values.shape
            if y > top and y + rows > tallest:
                x, y, width = x + width + 1.0, top, 0
            corners[key] = (x, y)
            y += rows + 1.3
            width = max(width, cols)
            height = max(height, y)
        title = text_path(titles.get(column, " ")).get_extents().width * title_size
        x = max(x + max(width, 4), start + title) + 2.0
    return corners, x - 2.0, height


class Animation:
    """A scene drawn as a matplotlib animation (``.figure``, ``.animation``).

    Use :meth:`save` for files and display it in Jupyter directly (``_repr_html_``).
    ``frame_indices`` are the scene frames shown: at most ``max_frames``, evenly spread,
    the last one always included (the finished output is the final picture).

    Examples
    --------
    >>> from convzoo.viz import animate
    >>> anim = animate("conv2d_single", max_frames=3)
    >>> type(anim).__name__, len(anim.frame_indices)
    ('Animation', 3)
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """

    def __init__(self, scene: Scene, *, max_frames=48, interval=600, dpi=72, values=True):
        Figure, FigureCanvasAgg = require_matplotlib()

        self.scene = scene
        self.dpi = dpi
        count = len(scene.frames)
        # evenly spread over the scene, the last (finished) frame always included
        spread = np.round(np.linspace(0, count - 1, min(count, max_frames))).astype(int)
        self.frame_indices = sorted(set(spread.tolist()))
        from matplotlib.collections import PatchCollection

        # linked grids (a permutation) stay in one column each, so the lines do not cross grids
        tallest = float("inf") if scene.extra.get("links") else 30.0
        corners, width, height = _layout(scene, tallest=tallest)
        header, footer = 3.4, 1.6  # cells above the grids (title) and below (caption)
        title_size, sub_size = 0.78, 0.52
        width = max(
            width,
            text_path(scene.title, bold=True).get_extents().width * title_size,
            text_path(scene.subtitle or " ").get_extents().width * sub_size,
            14.0,
        )
        scale = 0.3  # inches per cell
        size = ((width + 0.8) * scale, (height + header + footer) * scale)
        self.figure = Figure(figsize=size, dpi=dpi)
        FigureCanvasAgg(self.figure)
        ax = self.figure.add_axes((0, 0, 1, 1))
        ax.set_xlim(-0.4, width + 0.4)
        ax.set_ylim(height + footer, -header)
        ax.axis("off")
        self.axes = ax
        self.artists = {
            key: GridArtist(ax, grid, *corners[key], values) for key, grid in scene.grids.items()
        }
        labels = [artist.label for artist in self.artists.values()]
        for column, title in enumerate(scene.column_titles):
            xs = [corners[k][0] for k, g in scene.grids.items() if g.column == column]
            if xs:
                labels.append(label_patch(title, min(xs), 0.75, 0.62))
        labels.append(label_patch(scene.title, 0, -2.2, title_size, bold=True))
        labels.append(label_patch(scene.subtitle or " ", 0, -1.0, sub_size))
        ax.add_collection(PatchCollection(labels, facecolors="#222222", edgecolors="none"))
        self.caption = ax.text(0, height + footer - 0.5, "", fontsize=8, family="monospace")
        self.links = self._draw_links(ax, corners)
        self.interval = interval
        self._animation = None

    @property
    def animation(self):
        """The ``matplotlib.animation.FuncAnimation`` (made on first use)."""
        if self._animation is None:
            from matplotlib.animation import FuncAnimation

            self._animation = FuncAnimation(
                self.figure, self._draw_frame, frames=len(self.frame_indices),
                interval=self.interval, blit=False, repeat=True,
            )  # fmt: skip
        return self._animation

    def _draw_links(self, ax, corners):
        """Lines between linked grids (a permutation): all in grey, the current one dark."""
        from matplotlib.collections import LineCollection

        ends = {}
        for source, target in self.scene.extra.get("links", []):
            (x0, y0), (x1, y1) = corners[source], corners[target]
            rows0, cols0 = self.scene.grids[source].values.shape
            rows1 = self.scene.grids[target].values.shape[0]
            ends[source, target] = [(x0 + cols0 + 0.2, y0 + rows0 / 2), (x1 - 0.2, y1 + rows1 / 2)]
        if not ends:
            return None
        ax.add_collection(LineCollection(list(ends.values()), colors="#c8c8c8", linewidths=1))
        current = LineCollection([], colors="#222222", linewidths=2.2)
        ax.add_collection(current)
        return ends, current

    def _draw_frame(self, i):
        """Paint frame ``i`` of ``frame_indices`` (every output up to it is filled)."""
        upto = self.frame_indices[i]
        filled = {
            key: np.zeros(a.shape, dtype=bool) for key, a in self.artists.items() if a.grid.output
        }
        for frame in self.scene.frames[: upto + 1]:
            for key, r, c in [frame.target, *frame.fills]:
                filled[key][r, c] = True
        frame = self.scene.frames[upto]
        windows = {}
        for key, r, c in frame.window:
            windows.setdefault(key, []).append((r, c))
        currents = {}
        for key, r, c in [frame.target, *frame.fills]:
            currents.setdefault(key, []).append((r, c))
        for key, artist in self.artists.items():
            current = currents.get(key, [])
            done = filled.get(key, np.zeros(artist.shape, bool))
            artist.paint(done, windows.get(key, []), current)
        caption = frame.caption if len(frame.caption) < 150 else frame.caption[:147] + "…"
        self.caption.set_text(caption)
        if self.links is not None:
            ends, current = self.links
            lit = [ends[link] for link in ends if link[1] == frame.target[0]]
            current.set_segments(lit)
        return []

    def __len__(self):
        return len(self.frame_indices)

    def save(self, path, *, fps=2, progress=None):
        """Write the animation; the format follows the suffix of ``path``.

        Parameters
        ----------
        path : str or Path
            ``.gif`` (Pillow), ``.mp4`` (needs ffmpeg), ``.html`` (JavaScript player), or
            ``.png`` / ``.svg``: one file per frame, ``stem_000.png``, ``stem_001.png``, ...
        fps : float
        progress : callable, optional
            Called as ``progress(frame_number, total_frames)`` after each frame.

        Returns
        -------
        list of Path
            The files written.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        total = len(self)
        callback = (lambda i, n: progress(i + 1, total)) if progress else None
        if suffix == ".gif":
            images = []
            for i in range(total):
                images.append(self.frame_image(i))
                if progress:
                    progress(i + 1, total)
            # one shared palette (fast octree) lets Pillow store only what changes per frame
            first = images[0].quantize(colors=96, method=2)
            images = [first] + [im.quantize(palette=first, dither=0) for im in images[1:]]
            images[0].save(
                path, save_all=True, append_images=images[1:], duration=int(1000 / fps),
                loop=0, optimize=False,
            )  # fmt: skip
            return [path]
        if suffix == ".mp4":
            from matplotlib.animation import FFMpegWriter, writers

            if not writers.is_available("ffmpeg"):
                raise ValueError(
                    f"animate: saving {path.name} needs ffmpeg on PATH (not found); "
                    "save as .gif, .html or .png frames instead"
                )
            self.animation.save(
                path, writer=FFMpegWriter(fps=fps), dpi=self.dpi, progress_callback=callback
            )
            return [path]
        if suffix == ".html":
            path.write_text(self.to_jshtml(fps=fps), encoding="utf-8")
            return [path]
        if suffix in (".png", ".svg"):
            written = []
            for i in range(total):
                self._draw_frame(i)
                target = path.with_name(f"{path.stem}_{i:03d}{suffix}")
                self.figure.savefig(target, dpi=self.dpi)
                written.append(target)
                if progress:
                    progress(i + 1, total)
            return written
        raise ValueError(
            f"animate: cannot save to {path.name!r}: the suffix must be .gif, .mp4, .html, "
            f".png or .svg (got {suffix or 'none'!r})"
        )

    def frame_image(self, i):
        """Frame ``i`` as a ``PIL.Image`` (RGB), drawn once with Agg."""
        from PIL import Image

        self._draw_frame(i)
        canvas = self.figure.canvas
        canvas.draw()
        return Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy())

    def to_jshtml(self, fps=2):
        """The animation as an HTML snippet with matplotlib's JavaScript player."""
        return self.animation.to_jshtml(fps=fps)

    def _repr_html_(self):
        return self.to_jshtml()


def animate(what, input_shape=None, *, max_frames=48, interval=600, dpi=72, values=True):
    """Animate a convolution computed by the reference engine.

    Parameters
    ----------
    what : str, Scene or convzoo.nn.Layer
        A conv_arithmetic configuration name (see
        :data:`convzoo.viz.arithmetic.CONFIGURATIONS`), a registered layer type name
        (``convzoo.nn.registry()``), a layer instance, or a prepared
        :class:`~convzoo.viz.frames.Scene`.
    input_shape : tuple of int, optional
        ``(N, C, *spatial)`` for a layer (default: the layer type's ``example()`` shape).
    max_frames : int
        At most this many frames (the last is always the finished output).
    interval : int
        Milliseconds between frames in the interactive/HTML player.
    dpi : int
    values : bool
        Print the numbers in the cells (grids up to 15x15).

    Returns
    -------
    Animation

    Examples
    --------
    >>> anim = animate("padding_strides")
    >>> len(anim), anim.scene.output.shape
    (9, (1, 1, 3, 3))
    """
    from .scenes import scene_for

    scene = what if isinstance(what, Scene) else scene_for(what, input_shape)
    if max_frames < 1:
        raise ValueError(f"animate: max_frames must be >= 1; got {max_frames}")
    return Animation(scene, max_frames=max_frames, interval=interval, dpi=dpi, values=values)
