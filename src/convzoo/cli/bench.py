"""``convzoo bench``: the benchmark of :mod:`convzoo.bench` (its options are its own)."""

from __future__ import annotations

from ._common import needs

EXAMPLES = """examples:
  convzoo bench --help        # the benchmark's own options
"""


def run(args) -> int:
    bench = needs("bench", "bench")
    return bench.run_cli(args)


def register(sub, argv) -> None:
    parser = sub.add_parser(
        "bench", help="benchmark convzoo against PyTorch (progress bar, Markdown, CSV, roofline)",
        epilog=EXAMPLES,
    )  # fmt: skip
    if argv and "bench" in argv:  # import the benchmark only when it is asked for
        bench = needs("bench", "bench")
        bench.add_arguments(parser)
    parser.set_defaults(run=run, show=None, raw=True)
