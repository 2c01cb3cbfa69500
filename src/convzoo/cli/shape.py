"""``convzoo shape``: the output shape of a convolution, with the formula per dimension."""

from __future__ import annotations

from ._common import add_json, table
from .conv import add_conv_arguments

EXAMPLES = """examples:
  convzoo shape --input 1,3,224,224 --kernel 64,3,7,7 --stride 2 --padding 3
  convzoo shape --input 1,3,7,7 --kernel 128,3,3,3                # the seed: 5x5x128
  convzoo shape --input 1,16,5,5 --kernel 16,8,3,3 --stride 2 --padding 1 --transposed --json
"""


def run(args) -> dict:
    import convzoo

    spec = convzoo.make_spec(
        "shape", args.input, args.kernel, stride=args.stride, padding=args.padding,
        dilation=args.dilation, groups=args.groups, transposed=args.transposed,
        output_padding=args.output_padding if args.transposed else 0,
    )  # fmt: skip
    names = ["D", "H", "W"][-spec.ndim :] if spec.ndim <= 3 else [f"d{i}" for i in range(spec.ndim)]
    dims = []
    for i, name in enumerate(names):
        n, k, s, d = (spec.input_spatial[i], spec.kernel_size[i], spec.stride[i], spec.dilation[i])
        lo, hi = spec.padding[i]
        out = spec.output_spatial[i]
        if spec.transposed:
            op = spec.output_padding[i]
            formula = f"({n}-1)*{s} - {lo} - {hi} + {d}*({k}-1) + {op} + 1 = {out}"
        else:
            formula = f"({n} + {lo} + {hi} - {d}*({k}-1) - 1)//{s} + 1 = {out}"
        dims.append(dict(dim=name, n=n, k=k, s=s, d=d, pad=[lo, hi], out=out, formula=formula))
    return {
        "operation": "conv_transpose" if spec.transposed else "conv",
        "input_shape": list(spec.input_shape),
        "weight_shape": list(spec.weight_shape),
        "output_shape": list(spec.output_shape),
        "groups": spec.groups,
        "dims": dims,
    }


def show(result: dict) -> None:
    print(
        f"{result['operation']}  input {tuple(result['input_shape'])}  weight "
        f"{tuple(result['weight_shape'])}  ->  output {tuple(result['output_shape'])}"
    )
    rows = [
        (d["dim"], d["n"], d["k"], d["s"], d["d"], f"({d['pad'][0]},{d['pad'][1]})", d["out"],
         d["formula"])
        for d in result["dims"]
    ]  # fmt: skip
    print(table(rows, ["dim", "in", "k", "s", "d", "pad", "out", "formula"], "<>>>>>><"))


def register(sub) -> None:
    parser = sub.add_parser(
        "shape", help="output shape of a convolution, with the formula per dimension",
        epilog=EXAMPLES,
    )  # fmt: skip
    add_conv_arguments(parser)
    add_json(parser)
    parser.set_defaults(run=run, show=show)
