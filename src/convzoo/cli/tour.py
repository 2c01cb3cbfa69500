"""``convzoo tour``: write the seed's tour as an HTML report (index.html + assets)."""

from __future__ import annotations

import time
from pathlib import Path

from ._common import add_json, progress_bar

EXAMPLES = """examples:
  convzoo tour                    # writes ./tour/index.html
  convzoo tour --out /tmp/tour    # open /tmp/tour/index.html in a browser
  convzoo tour --benchmarks benchmarks/results   # include a `convzoo bench` run
"""


def run(args) -> dict:
    from ..report import build_tour

    start = time.perf_counter()
    bar = progress_bar(1, "tour", unit="step")

    def progress(done, total, label):
        bar.total = total
        bar.set_description(f"tour: {label}")
        bar.update(done - bar.n)

    try:
        index = build_tour(
            Path(args.out), progress=progress, jobs=args.jobs, benchmarks=args.benchmarks
        )
    finally:
        bar.close()
    files = sorted(p for p in index.parent.rglob("*") if p.is_file())
    return {
        "index": str(index),
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "seconds": round(time.perf_counter() - start, 1),
    }


def show(result: dict) -> None:
    print(
        f"tour written to {result['index']} ({result['files']} files, "
        f"{result['bytes'] / 1e6:.1f} MB, {result['seconds']} s)"
    )


def register(sub) -> None:
    parser = sub.add_parser(
        "tour", help="the seed as a report with live numbers and animations", epilog=EXAMPLES
    )
    parser.add_argument("--out", default="tour", help="output directory (default ./tour)")
    parser.add_argument(
        "--benchmarks", default=None,
        help="benchmark results folder (default: ./benchmarks/results when it exists)",
    )  # fmt: skip
    parser.add_argument("--jobs", type=int, default=None, help="rendering processes (default 2)")
    add_json(parser)
    parser.set_defaults(run=run, show=show)
