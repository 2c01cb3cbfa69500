"""The ``convzoo`` command line: the library's voice (the library itself never prints).

One module per subcommand, each with ``register(subparsers)``; a subcommand's ``run(args)``
returns data, ``show(data)`` prints it as a table, ``--json`` prints it as JSON. Modules that
need the zoo or the benchmark import them only when run; ``summary`` and ``compare`` live in
:mod:`convzoo.cli.summary`. User errors print
one line ``convzoo: error: ...`` and exit with status 2, never a traceback.
"""

from __future__ import annotations

import json
import sys

from . import animate, bench, conv, cost, shape, tour, types
from ._common import Parser, UserError, ints, one_or_tuple, padding

__all__ = ["build_parser", "main"]

EXAMPLES = """examples:
  convzoo types                                                  # every convolution type
  convzoo shape --input 1,3,224,224 --kernel 64,3,7,7 --stride 2 --padding 3
  convzoo cost --input 1,3,7,7 --kernel 128,3,3,3                # the seed's 86,400
  convzoo compare --input 1,3,7,7 --out 128 --kernel 3           # 86,400 vs 10,275
  convzoo summary mobilenet_v1 --option width=0.5
  convzoo animate padding_strides_odd_transposed --out t.gif
  convzoo tour --out tour                                        # the seed as a report
  convzoo bench --help

Every data command takes --json. `convzoo <command> --help` shows its examples.
"""


def build_parser(argv=None) -> Parser:
    """The argument parser; ``argv`` decides whether ``bench`` loads its options."""
    parser = Parser(
        prog="convzoo",
        description="Every convolution type of CNNs: computed, sized, shown and scaled.",
        epilog=EXAMPLES,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for module in (types, shape, cost):
        module.register(sub)
    from .summary import add_cost_commands  # summary, compare

    add_cost_commands(sub, ints, one_or_tuple, padding)
    for module in (animate, tour, conv):
        module.register(sub)
    bench.register(sub, argv)
    return parser


def main(argv=None) -> int:
    if argv is None:  # a real command line: `convzoo bench` may restart with its settings
        bench.restart(sys.argv[1:])
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser(argv).parse_args(argv)
        result = args.run(args)
        if getattr(args, "raw", False):
            return int(result or 0)
    except (UserError, ValueError, TypeError, ImportError) as error:
        print(f"convzoo: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # unwritable or missing paths
        print(f"convzoo: error: {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("convzoo: interrupted", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(result, indent=2, default=_jsonable))
    else:
        args.show(result)
    return 0


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, tuple | set):
        return list(value)
    return str(value)
