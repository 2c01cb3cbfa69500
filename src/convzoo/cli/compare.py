"""``convzoo compare``: the seed's calculation comparison for any layer (cost model)."""

from __future__ import annotations

from ._common import add_json, ints, needs, one_or_tuple, padding, table

EXAMPLES = """examples:
  convzoo compare --input 1,3,7,7 --out-channels 128 --kernel 3     # 86,400 vs 10,275
  convzoo compare --input 1,64,56,56 --out-channels 64 --kernel 3 --padding 1 --groups 4
  convzoo compare --input 1,32,28,28 --out-channels 64 --kernel 5 --json
"""


def run(args) -> dict:
    needs("costmodel", "compare")
    import convzoo

    comparison = convzoo.compare(
        args.input, args.out_channels, args.kernel, stride=args.stride, padding=args.padding,
        dilation=args.dilation, groups=args.groups, bias=args.bias, exact=args.exact,
    )  # fmt: skip
    rows = []
    for variant in comparison:
        entry = {"variant": variant.name, "steps": variant.steps}
        entry.update(variant.cost.as_dict())
        entry["ratio"] = float(variant.ratio)
        entry["ratio_exact"] = str(variant.ratio)
        rows.append(entry)
    return {
        "input_shape": list(comparison.input_shape),
        "variants": rows,
        "notes": list(comparison.notes),
    }


def show(result: dict) -> None:
    print(f"input {tuple(result['input_shape'])}")
    rows = [
        (r["variant"], r["steps"], r["mults"], r["adds"], r["params"],
         f"{r['ratio']:.1%} ({r['ratio_exact']})")
        for r in result["variants"]
    ]  # fmt: skip
    print(table(rows, ["variant", "steps", "mults", "adds", "params", "mults vs standard"]))
    for note in result["notes"]:
        print(f"note: {note}")


def register(sub) -> None:
    parser = sub.add_parser(
        "compare", help="standard vs separable vs grouped vs shuffled: multiplications",
        epilog=EXAMPLES,
    )  # fmt: skip
    parser.add_argument("--input", type=ints, required=True, help="N,C_in,*spatial")
    parser.add_argument("--out-channels", type=int, required=True)
    parser.add_argument("--kernel", type=one_or_tuple, required=True, help="k or k1,k2,...")
    parser.add_argument("--stride", type=one_or_tuple, default=1)
    parser.add_argument("--padding", type=padding, default=0)
    parser.add_argument("--dilation", type=one_or_tuple, default=1)
    parser.add_argument("--groups", type=int, default=None, help="groups of the grouped rows")
    parser.add_argument("--bias", action="store_true", help="count a bias add per output")
    parser.add_argument("--exact", action="store_true", help="count only taps on real input")
    add_json(parser)
    parser.set_defaults(run=run, show=show)
