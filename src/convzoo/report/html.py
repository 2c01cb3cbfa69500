"""HTML building blocks of the tour: one static page, relative links, no external resources.

The page carries a small script that, once every image has loaded, records on ``<body>``
how many images there are and how many failed (``data-images``, ``data-broken``) — the
browser test reads them back.
"""

from __future__ import annotations

from html import escape

__all__ = ["page", "section", "figure", "table", "number", "escape"]

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d2430; background: #fafbfc; line-height: 1.5; }
header { background: #1d3557; color: white; padding: 1.6em 2em 1.2em; }
header h1 { margin: 0 0 .2em; font-size: 1.9em; }
header p { margin: 0; opacity: .9; }
header code { background: #2c4a75; color: white; }
nav { background: #eef2f7; padding: .6em 2em; font-size: .9em; border-bottom: 1px solid #d5dce6; }
nav a { margin-right: 1em; color: #1d3557; text-decoration: none; white-space: nowrap;
        display: inline-block; }
main { max-width: 1100px; margin: 0 auto; padding: 0 2em 3em; }
section { border-bottom: 1px solid #e3e7ee; padding: 1em 0 1.5em; }
h2 { color: #1d3557; margin-top: 1em; }
figure { display: inline-block; vertical-align: top; margin: .6em 1.2em .6em 0;
         background: white; border: 1px solid #e3e7ee; padding: .5em; border-radius: 4px; }
figure img { display: block; max-width: 100%; image-rendering: auto; }
figure.pixels img { image-rendering: pixelated; }
figcaption { font-size: .85em; color: #4a5568; max-width: 36em; margin-top: .3em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .92em; background: white; }
th, td { border: 1px solid #d5dce6; padding: .25em .6em; }
th { background: #eef2f7; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.big { font-size: 1.25em; font-weight: 600; color: #c0392b; }
code { background: #eef2f7; padding: 0 .25em; border-radius: 3px; }
.gallery figure { width: 46%; min-width: 300px; box-sizing: border-box; }
.note { color: #6b7280; font-size: .9em; }
"""

SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (im) { return !im.complete || im.naturalWidth === 0; });
  document.body.setAttribute("data-images", String(images.length));
  document.body.setAttribute("data-broken", String(broken.length));
  document.body.setAttribute("data-broken-src", broken.map(function (im) {
    return im.getAttribute("src"); }).join(" "));
  document.body.setAttribute("data-sections",
    String(document.querySelectorAll("main > section").length));
});
"""


def number(value) -> str:
    """``86400`` -> ``86,400``; floats with 4 significant digits."""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.4g}"


def figure(src: str, caption: str, *, alt: str | None = None, pixels=False, width=None) -> str:
    """An ``<img>`` (relative ``src``) with its caption."""
    cls = ' class="pixels"' if pixels else ""
    size = f' width="{int(width)}"' if width else ""
    box = f' style="width:{int(width)}px"' if width else ""
    return (
        f'<figure{cls}{box}><img src="{escape(src)}" alt="{escape(alt or caption)}"{size} '
        f'loading="eager"><figcaption>{caption}</figcaption></figure>'
    )


def table(headers, rows, numeric=None) -> str:
    """An HTML table; cells are escaped unless they are :class:`Raw`; ints get commas."""
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    lines = [f"<table><tr>{head}</tr>"]
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, int | float) and not isinstance(value, bool):
                cells.append(f'<td class="num">{number(value)}</td>')
            else:
                cells.append(f"<td>{value}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}">\n<h2>{escape(title)}</h2>\n{body}\n</section>'


def page(title: str, subtitle: str, sections: list[tuple[str, str, str]]) -> str:
    """The whole document: header, navigation to every section, the sections, the script."""
    nav = "\n".join(f'<a href="#{a}">{escape(t)}</a>' for a, t, _ in sections)
    body = "\n".join(section(a, t, b) for a, t, b in sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header><h1>{escape(title)}</h1><p>{subtitle}</p></header>
<nav>{nav}</nav>
<main>
{body}
</main>
<script>{SCRIPT}</script>
</body>
</html>
"""
