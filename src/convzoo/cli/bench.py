"""``convzoo bench``: the benchmark of :mod:`convzoo.bench` (its options are its own)."""

from __future__ import annotations

import os

from ._common import needs

EXAMPLES = """examples:
  convzoo bench --help        # the benchmark's own options
"""


def run(args) -> int:
    bench = needs("bench", "bench")
    return bench.run_cli(args)


def restart(argv) -> None:
    """Rerun ``convzoo <argv>`` in a fresh process with the benchmark's BLAS setting when this
    one started without it (OpenBLAS read its settings when NumPy loaded); see
    :mod:`convzoo.bench.process`. Does nothing for other commands."""
    if not argv or argv[0] != "bench":
        return
    try:
        from ..bench import process
    except ImportError:  # no benchmark in this build: the command itself says so
        return
    command = process.restart_argv(argv)
    if command is not None:
        os.execve(command[0], command, process.environment())


def register(sub, argv) -> None:
    parser = sub.add_parser(
        "bench", help="benchmark convzoo against PyTorch (progress bar, Markdown, CSV, roofline)",
        epilog=EXAMPLES,
    )  # fmt: skip
    if argv and "bench" in argv:  # import the benchmark only when it is asked for
        bench = needs("bench", "bench")
        bench.add_arguments(parser)
    parser.set_defaults(run=run, show=None, raw=True)
