"""``convzoo bench``: the command-line face of the benchmark (the only place that prints)."""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_arguments", "run_cli"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the benchmark's options to ``parser``."""
    parser.add_argument("--quick", action="store_true", help="tiny suite (smoke test, seconds)")
    parser.add_argument("--layers", nargs="+", metavar="NAME", help="run only these layers")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved repeats (median)")
    parser.add_argument(
        "--numpy-repeats", type=int, default=1, help="repeats of the slow textbook version"
    )
    parser.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")
    parser.add_argument("--batch", type=int, default=None, help="batch size (default 8)")
    parser.add_argument("--no-memory", action="store_true", help="skip tracemalloc peaks")
    parser.add_argument(
        "--settle",
        type=float,
        default=None,
        help="seconds of untimed back-to-back calls of the same function before each timed "
        "call, so the other library's worker threads are idle and the cores busy (default 0.2)",
    )
    parser.add_argument(
        "--idle",
        action="store_true",
        help="pause for the settle time before each timed call instead (then one untimed "
        "call): the earlier method, which times the machine waking from idle",
    )
    parser.add_argument(
        "--out", default=None, help="directory for results.md, results.csv and roofline.png"
    )
    parser.add_argument("--list", action="store_true", help="list the suite's layers and exit")


def run_cli(args) -> int:
    """Run the benchmark with parsed ``args``; print the Markdown table. Returns 0."""
    from . import report, runner
    from .suite import suite

    if args.repeats < 1 or args.numpy_repeats < 1:
        print("convzoo bench: --repeats and --numpy-repeats must be >= 1", file=sys.stderr)
        return 2
    if args.settle is not None and args.settle < 0:
        print(f"convzoo bench: --settle must be >= 0 seconds; got {args.settle}", file=sys.stderr)
        return 2
    if args.list:
        for layer in suite(args.quick):
            print(f"{layer.name:24s} {layer.description}")
        return 0
    try:
        layers = suite(args.quick, args.layers)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    settings = runner.Settings(
        repeats=args.repeats, numpy_repeats=args.numpy_repeats, threads=args.threads,
        quick=args.quick, only=args.layers, batch=args.batch, memory=not args.no_memory,
        settle=args.settle, idle=args.idle,
    )  # fmt: skip
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        tqdm = None
    bar = tqdm(total=len(layers), unit="layer", file=sys.stderr) if tqdm else None

    def progress(name):
        if bar is not None:
            bar.set_description(name)
            if progress.started:
                bar.update(1)
        progress.started = True

    progress.started = False
    rows, roofs = runner.run(settings, progress)
    if bar is not None:
        bar.update(1)
        bar.close()
    print(report.to_markdown(rows, roofs, settings))
    if args.out:
        paths = report.write_all(rows, roofs, args.out, settings)
        print("wrote " + ", ".join(paths.values()))
    return 0
