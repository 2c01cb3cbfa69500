"""The tour's files: animations (rendered at the end, in parallel), images and figures.

Sections ask for an asset and get back the HTML that shows it, with a relative link
(``assets/<name>``); animations are queued and rendered by :meth:`Assets.render`, which
reports progress through a callback (the library never prints).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from .html import figure

__all__ = ["Assets"]


def _render(job):
    """Worker: draw one scene to a GIF (module-level so that it pickles)."""
    from ..viz.animate import Animation

    path, scene, max_frames, fps = job
    Animation(scene, max_frames=max_frames).save(path, fps=fps)
    return str(path)


class Assets:
    """Collects the files of a tour under ``root/assets``."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.folder = self.root / "assets"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.jobs = []

    def animation(self, name, scene, caption, *, max_frames=24, fps=2.5) -> str:
        """Queue ``scene`` as ``assets/<name>.gif``; return its ``<figure>``."""
        self.jobs.append((self.folder / f"{name}.gif", scene, max_frames, fps))
        return figure(f"assets/{name}.gif", caption, alt=scene.title)

    def image(self, name, pixels, caption, *, scale=1, width=None) -> str:
        """Write a uint8 array ``(H, W)`` or ``(H, W, 3)`` as ``assets/<name>.png``
        (``scale``: nearest-neighbour zoom of the file; ``width``: display width in px)."""
        from PIL import Image

        image = Image.fromarray(pixels)
        if scale != 1:
            image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
        image.save(self.folder / f"{name}.png", optimize=True)
        return figure(f"assets/{name}.png", caption, pixels=scale > 1, width=width)

    def figure(self, name, fig, caption) -> str:
        """Save a matplotlib figure as ``assets/<name>.png``."""
        fig.savefig(self.folder / f"{name}.png", dpi=fig.dpi, bbox_inches="tight")
        return figure(f"assets/{name}.png", caption)

    def copy(self, name, source: Path, caption) -> str:
        """Copy an existing image (e.g. the benchmark's roofline) into the assets."""
        target = self.folder / name
        target.write_bytes(Path(source).read_bytes())
        return figure(f"assets/{name}", caption)

    def render(self, progress=None, jobs=None):
        """Render the queued animations, ``jobs`` processes at a time (default: all cores,
        at most 2 per the CI budget). ``progress(done, total)`` after each one."""
        total = len(self.jobs)
        workers = jobs or min(os.cpu_count() or 1, 2)
        # longest first, so that the pool finishes together
        queue = sorted(self.jobs, key=lambda job: -min(len(job[1].frames), job[2]))
        if workers <= 1 or total <= 1:
            for done, job in enumerate(queue, 1):
                _render(job)
                if progress:
                    progress(done, total)
            return
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            for done, _ in enumerate(pool.map(_render, queue), 1):
                if progress:
                    progress(done, total)
