"""The ``convzoo`` command line: the library's voice (the library itself never prints).

User errors print one line ``convzoo: error: ...`` and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

EXAMPLES = """examples:
  convzoo conv --input 1,3,224,224 --kernel 64,3,7,7 --stride 2 --padding 3
  convzoo conv --input 1,8,32,32 --kernel 8,1,3,3 --groups 8 --padding same --json
  convzoo conv --input 1,3,32,32 --kernel 3,3,4,4 --stride 2 --padding 1 --transposed
"""


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated ints, got {text!r}") from None


def _padding(text: str):
    if text in {"valid", "same", "same_lower", "full"}:
        return text
    values = _ints(text)
    return values[0] if len(values) == 1 else values


def _one_or_tuple(text: str):
    values = _ints(text)
    return values[0] if len(values) == 1 else values


def _conv_command(args) -> dict:
    import convzoo

    rng = np.random.default_rng(args.seed)
    dtype = np.dtype(args.dtype)
    x = rng.standard_normal(args.input).astype(dtype)
    w = rng.standard_normal(args.kernel).astype(dtype)
    common = dict(
        stride=args.stride, padding=args.padding, dilation=args.dilation, groups=args.groups
    )
    if args.transposed:
        spec = convzoo.make_spec("conv_transpose", x.shape, w.shape, transposed=True, **common)
        run = lambda: convzoo.conv_transpose(x, w, algorithm=args.algorithm, **common)  # noqa: E731
    else:
        mode = dict(padding_mode=args.padding_mode, padding_value=args.padding_value)
        spec = convzoo.make_spec("conv", x.shape, w.shape, **common, **mode)
        run = lambda: convzoo.conv(x, w, algorithm=args.algorithm, **common, **mode)  # noqa: E731
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        y = run()
        times.append(time.perf_counter() - start)
    return {
        "operation": "conv_transpose" if args.transposed else "conv",
        "input_shape": list(x.shape),
        "weight_shape": list(w.shape),
        "output_shape": list(y.shape),
        "spec": {
            "stride": spec.stride,
            "padding": spec.padding,
            "dilation": spec.dilation,
            "groups": spec.groups,
            "padding_mode": spec.padding_mode,
            "padding_value": spec.padding_value,
            "output_padding": spec.output_padding,
        },
        "dtype": str(y.dtype),
        "seconds_median": float(np.median(times)),
    }


def _print_conv(result: dict) -> None:
    print(
        f"{result['operation']}  input {tuple(result['input_shape'])}  "
        f"weight {tuple(result['weight_shape'])}  ->  output {tuple(result['output_shape'])}"
    )
    for key, value in result["spec"].items():
        print(f"  {key:<15}{value}")
    print(f"  {'dtype':<15}{result['dtype']}")
    print(f"  {'time':<15}{result['seconds_median'] * 1e3:.2f} ms (median)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convzoo",
        description="Every convolution type of CNNs: computed, sized, shown and scaled.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    conv = sub.add_parser(
        "conv",
        help="run one convolution on random data and print shapes, spec and time",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    conv.add_argument("--input", type=_ints, required=True, help="N,C,*spatial")
    conv.add_argument("--kernel", type=_ints, required=True, help="C_out,C_in/groups,*k")
    conv.add_argument("--stride", type=_one_or_tuple, default=1)
    conv.add_argument(
        "--padding", type=_padding, default=0, help="int, ints, or valid/same/same_lower/full"
    )
    conv.add_argument("--dilation", type=_one_or_tuple, default=1)
    conv.add_argument("--groups", type=int, default=1)
    conv.add_argument("--padding-mode", default="zeros")
    conv.add_argument("--padding-value", type=float, default=0.0)
    conv.add_argument("--transposed", action="store_true", help="kernel is C_in,C_out/groups,*k")
    conv.add_argument("--algorithm", default="auto")
    conv.add_argument("--dtype", default="float32", choices=["float16", "float32", "float64"])
    conv.add_argument("--repeat", type=int, default=3)
    conv.add_argument("--seed", type=int, default=0)
    conv.add_argument("--json", action="store_true", help="print JSON instead of a table")
    conv.set_defaults(run=_conv_command, show=_print_conv)
    from .cli_cost import add_cost_commands

    add_cost_commands(sub, _ints, _one_or_tuple, _padding)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.run(args)
    except (ValueError, TypeError) as error:
        print(f"convzoo: error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        args.show(result)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
