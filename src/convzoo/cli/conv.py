"""``convzoo conv``: run one convolution on random data; print shapes, spec and time."""

from __future__ import annotations

import time

import numpy as np

from ._common import UserError, add_json, ints, one_or_tuple, padding, progress_bar

EXAMPLES = """examples:
  convzoo conv --input 1,3,224,224 --kernel 64,3,7,7 --stride 2 --padding 3
  convzoo conv --input 1,8,32,32 --kernel 8,1,3,3 --groups 8 --padding same --json
  convzoo conv --input 1,3,32,32 --kernel 3,3,4,4 --stride 2 --padding 1 --transposed
"""


def add_conv_arguments(parser) -> None:
    """The options shared by ``conv`` and ``shape``: shapes and the spec."""
    parser.add_argument("--input", type=ints, required=True, help="N,C,*spatial")
    parser.add_argument(
        "--kernel", type=ints, required=True,
        help="weight shape C_out,C_in/groups,*k (transposed: C_in,C_out/groups,*k)",
    )  # fmt: skip
    parser.add_argument("--stride", type=one_or_tuple, default=1)
    parser.add_argument(
        "--padding", type=padding, default=0, help="int, ints, or valid/same/same_lower/full"
    )
    parser.add_argument("--dilation", type=one_or_tuple, default=1)
    parser.add_argument("--groups", type=int, default=1)
    parser.add_argument("--transposed", action="store_true", help="a transposed convolution")
    parser.add_argument("--output-padding", type=one_or_tuple, default=0)


def run(args) -> dict:
    import convzoo

    if args.repeat < 1:
        raise UserError(f"conv: --repeat must be >= 1; got {args.repeat}")
    rng = np.random.default_rng(args.seed)
    dtype = np.dtype(args.dtype)
    x = rng.standard_normal(args.input).astype(dtype)
    w = rng.standard_normal(args.kernel).astype(dtype)
    common = dict(
        stride=args.stride, padding=args.padding, dilation=args.dilation, groups=args.groups
    )
    if args.transposed:
        common["output_padding"] = args.output_padding
        spec = convzoo.make_spec("conv_transpose", x.shape, w.shape, transposed=True, **common)
        run_once = lambda: convzoo.conv_transpose(x, w, algorithm=args.algorithm, **common)  # noqa: E731
    else:
        mode = dict(padding_mode=args.padding_mode, padding_value=args.padding_value)
        spec = convzoo.make_spec("conv", x.shape, w.shape, **common, **mode)
        run_once = lambda: convzoo.conv(x, w, algorithm=args.algorithm, **common, **mode)  # noqa: E731
    times = []
    bar = progress_bar(args.repeat, "conv", unit="run", delay=1.0)  # shown if it takes > 1 s
    try:
        for _ in range(args.repeat):
            start = time.perf_counter()
            y = run_once()
            times.append(time.perf_counter() - start)
            bar.update(1)
    finally:
        bar.close()
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


def show(result: dict) -> None:
    print(
        f"{result['operation']}  input {tuple(result['input_shape'])}  "
        f"weight {tuple(result['weight_shape'])}  ->  output {tuple(result['output_shape'])}"
    )
    for key, value in result["spec"].items():
        print(f"  {key:<15}{value}")
    print(f"  {'dtype':<15}{result['dtype']}")
    print(f"  {'time':<15}{result['seconds_median'] * 1e3:.2f} ms (median)")


def register(sub) -> None:
    parser = sub.add_parser(
        "conv", help="run one convolution on random data: shapes, spec and time", epilog=EXAMPLES
    )
    add_conv_arguments(parser)
    parser.add_argument("--padding-mode", default="zeros")
    parser.add_argument("--padding-value", type=float, default=0.0)
    parser.add_argument("--algorithm", default="auto")
    parser.add_argument("--dtype", default="float32", choices=["float16", "float32", "float64"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    add_json(parser)
    parser.set_defaults(run=run, show=show)
