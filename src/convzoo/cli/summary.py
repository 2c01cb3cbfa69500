"""``convzoo summary`` and ``convzoo compare``: the cost model on the command line.

Kept apart from :mod:`convzoo.cli` (which only registers these subcommands) so that the
cost model's commands live next to each other.
"""

from __future__ import annotations

import argparse
import ast
import inspect

EXAMPLES = """examples:
  convzoo summary mobilenet_v1
  convzoo summary resnet --option depth=50 --option variant=v1
  convzoo summary shufflenet_v1 --option groups=8 --json
  convzoo compare --input 1,3,7,7 --out 128 --kernel 3
"""


def _option(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value  # a bare string such as variant=v1.5


def _summary_command(args) -> dict:
    import convzoo
    from convzoo.models import MODELS

    builder = MODELS[args.model]
    options = dict(args.option)
    valid = [p for p in inspect.signature(builder).parameters if p not in ("rng", "dtype")]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ValueError(f"summary: {args.model} has no option {unknown}; valid options: {valid}")
    import numpy as np

    model = builder(**options, dtype=np.float32)
    table = convzoo.summary(model, args.input, exact=args.exact)
    total = table.total
    return {
        "model": getattr(model, "name", args.model),
        "input_shape": list(table.input_shape),
        "layers": [
            {
                "name": r.name,
                "type": r.type,
                "output_shape": list(r.output_shape),
                "params": r.cost.params,
                "macs": r.cost.macs,
            }
            for r in table
        ],  # fmt: skip
        "total": {k: (list(v) if isinstance(v, tuple) else v) for k, v in total.as_dict().items()},
        "markdown": table.to_markdown(),
    }


def _print_summary(result: dict) -> None:
    print(f"{result['model']}  input {tuple(result['input_shape'])}\n")
    print(result["markdown"])


def _compare_command(args) -> dict:
    import convzoo

    table = convzoo.compare(
        args.input, args.out, args.kernel, stride=args.stride, padding=args.padding,
        dilation=args.dilation, groups=args.groups, bias=args.bias, exact=args.exact,
    )  # fmt: skip
    return {
        "input_shape": list(table.input_shape),
        "variants": [
            {
                "name": r.name,
                "steps": r.steps,
                "mults": r.cost.mults,
                "adds": r.cost.adds,
                "params": r.cost.params,
                "ratio": float(r.ratio),
            }
            for r in table
        ],  # fmt: skip
        "notes": list(table.notes),
        "markdown": table.to_markdown(),
    }


def _print_compare(result: dict) -> None:
    print(result["markdown"])


def add_cost_commands(sub, ints, one_or_tuple, padding) -> None:
    """Register ``summary`` and ``compare`` on the CLI's subparsers."""
    from convzoo.models import MODELS

    fmt = {"epilog": EXAMPLES, "formatter_class": argparse.RawDescriptionHelpFormatter}
    summary = sub.add_parser(
        "summary", help="per-layer cost table of a reference model (MACs, params)", **fmt
    )
    summary.add_argument("model", choices=sorted(MODELS))
    summary.add_argument("--option", type=_option, action="append", default=[],
                         metavar="KEY=VALUE", help="model option, e.g. width=0.5")  # fmt: skip
    summary.add_argument("--input", type=ints, default=None, help="N,C,H,W (default: native)")
    summary.add_argument("--exact", action="store_true", help="skip taps on zero padding")
    summary.add_argument("--json", action="store_true", help="print JSON instead of a table")
    summary.set_defaults(run=_summary_command, show=_print_summary)

    compare = sub.add_parser(
        "compare", help="one layer five ways: standard, depthwise separable, grouped, ...", **fmt
    )
    compare.add_argument("--input", type=ints, required=True, help="N,C,*spatial")
    compare.add_argument("--out", type=int, required=True, help="output channels")
    compare.add_argument("--kernel", type=one_or_tuple, required=True)
    compare.add_argument("--stride", type=one_or_tuple, default=1)
    compare.add_argument("--padding", type=padding, default=0)
    compare.add_argument("--dilation", type=one_or_tuple, default=1)
    compare.add_argument("--groups", type=int, default=None)
    compare.add_argument("--bias", action="store_true")
    compare.add_argument("--exact", action="store_true")
    compare.add_argument("--json", action="store_true")
    compare.set_defaults(run=_compare_command, show=_print_compare)
