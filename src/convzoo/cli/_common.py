"""Shared pieces of the command line: argument types, tables, progress bars, user errors."""

from __future__ import annotations

import argparse
import sys


class UserError(Exception):
    """A mistake of the user's: printed as one line ``convzoo: error: ...``, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``convzoo: error: ...``, exit 2) and example epilogs."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        print(f"convzoo: error: {self.prog}: {message}", file=sys.stderr)
        sys.exit(2)


def ints(text: str) -> tuple[int, ...]:
    """``"1,3,224,224"`` -> ``(1, 3, 224, 224)``."""
    try:
        return tuple(int(v) for v in text.replace("x", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated ints, got {text!r}") from None


def one_or_tuple(text: str):
    values = ints(text)
    return values[0] if len(values) == 1 else values


def padding(text: str):
    if text in {"valid", "same", "same_lower", "full"}:
        return text
    return one_or_tuple(text)


def add_json(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def table(rows, headers, align=None) -> str:
    """A plain-text table; ``align`` is a string of ``<`` / ``>`` per column (default: text
    left, numbers right)."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    if align is None:
        align = "".join(
            ">" if rows and isinstance(rows[0][i], int | float) else "<"
            for i in range(len(headers))
        )
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        parts = [f"{v:{a}{w}}" for v, a, w in zip(row, align, widths)]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, tuple | list):
        return "×".join(map(str, value))
    return str(value)


def progress_bar(total: int, description: str, unit: str = "frame", delay: float = 0.0):
    """A tqdm bar on stderr (hidden when stderr is not a terminal) with an ``update(n)``;
    with ``delay`` it appears only once the work has taken that many seconds."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the all extra

        class _Silent:
            n = 0

            def update(self, n=1):
                self.n += n

            def set_description(self, text):
                pass

            def close(self):
                pass

        return _Silent()
    return tqdm(total=total, desc=description, unit=unit, disable=None, leave=False, delay=delay)


def needs(module: str, command: str, extra: str = ""):
    """Import ``convzoo.<module>`` or raise a UserError naming what is missing."""
    import importlib

    try:
        return importlib.import_module(f"convzoo.{module}")
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith("convzoo"):
            raise UserError(
                f"{command}: this convzoo build has no convzoo.{module} ({error.name} missing)"
            ) from None
        hint = f" (pip install convzoo[{extra}])" if extra else ""
        raise UserError(f"{command}: missing dependency {error.name}{hint}") from None
