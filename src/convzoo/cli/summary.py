"""``convzoo summary``: a model's per-layer table (output shape, params, MACs, share)."""

from __future__ import annotations

from ._common import UserError, add_json, ints, needs, table
from .cost import build_layer

EXAMPLES = """examples:
  convzoo summary mobilenet_v1
  convzoo summary shufflenet_v1 --option groups=8
  convzoo summary mobilenet_v1 --option width=0.5 --option resolution=160 --json
  convzoo summary depthwise_separable          # any registered type works too
"""


def _value(text):
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def run(args) -> dict:
    needs("costmodel", "summary")
    import convzoo

    options = {}
    for item in args.option:
        key, sep, value = item.partition("=")
        if not sep:
            raise UserError(f"summary: --option must be key=value; got {item!r}")
        options[key] = _value(value)
    if options:
        models = needs("models", "summary")
        if args.model not in getattr(models, "__all__", []):
            raise UserError(f"summary: --option needs a model name; {args.model!r} is not one")
        model = getattr(models, args.model)(**options)
        shape = tuple(args.input or model.input_shape)
    else:
        model, shape = build_layer(args.model, args.input, "summary")
    result = convzoo.summary(model, shape)
    total = result.total
    return {
        "model": args.model,
        "options": options,
        "input_shape": list(shape),
        "layers": [
            {
                "name": row.name,
                "type": row.type,
                "output_shape": list(row.output_shape),
                "params": row.cost.params,
                "macs": row.cost.macs,
                "share": share,
            }
            for row, share in zip(result.rows, result.shares(), strict=True)
        ],  # fmt: skip
        "total": {"params": total.params, "macs": total.macs, "flops": total.flops},
        "notes": list(result.notes),
    }


def show(result: dict) -> None:
    print(f"{result['model']}  input {tuple(result['input_shape'])}")
    rows = [
        (r["name"] or "(model)", r["type"], tuple(r["output_shape"]), r["params"], r["macs"],
         f"{r['share']:.1%}")
        for r in result["layers"]
    ]  # fmt: skip
    t = result["total"]
    rows.append(("total", "", "", t["params"], t["macs"], "100.0%"))
    print(table(rows, ["layer", "type", "output shape", "params", "MACs", "share"], "<<<>>>"))
    for note in result["notes"]:
        print(f"note: {note}")


def register(sub) -> None:
    parser = sub.add_parser(
        "summary", help="per-layer table of a model: shapes, params, MACs", epilog=EXAMPLES
    )
    parser.add_argument("model", help="a model of convzoo.models or a registered type")
    parser.add_argument("--input", type=ints, default=None, help="input shape N,C,H,W")
    parser.add_argument(
        "--option", action="append", default=[], help="model option key=value (repeatable)"
    )
    add_json(parser)
    parser.set_defaults(run=run, show=show)
