"""``convzoo cost``: exact counts of one layer type, one model, or one convolution."""

from __future__ import annotations

from ._common import UserError, add_json, ints, needs, table
from .conv import add_conv_arguments

EXAMPLES = """examples:
  convzoo cost depthwise_separable                       # the type's example layer
  convzoo cost mobilenet_v1                              # a whole model (569M MACs)
  convzoo cost --input 1,3,7,7 --kernel 128,3,3,3        # one convolution: 86,400 mults
  convzoo cost --input 1,16,8,8 --kernel 16,8,4,4 --stride 2 --padding 1 --transposed --json
"""

FIELDS = [
    ("output_shape", "output shape"), ("mults", "multiplications"), ("adds", "additions"),
    ("macs", "MACs"), ("flops", "FLOPs"), ("comparisons", "comparisons"),
    ("params", "parameters"), ("activations", "activations"), ("bytes_read", "bytes read"),
    ("bytes_written", "bytes written"), ("intensity", "FLOPs per byte"),
]  # fmt: skip


def build_layer(name, input_shape, command="cost"):
    """A registered type's example layer or a reference model by name, with its input."""
    nn = needs("nn", command)
    registry = nn.registry()
    if name in registry:
        layer, example_shape = registry[name].example()
        return layer, tuple(input_shape or example_shape)
    models = needs("models", command)
    if name in models.MODELS:
        model = models.MODELS[name]()
        return model, tuple(input_shape or model.input_shape)
    raise UserError(f"{command}: unknown type or model {name!r}; types: {list(registry)}; "
                    f"models: {sorted(models.MODELS)}")  # fmt: skip


def run(args) -> dict:
    needs("costmodel", "cost")
    import convzoo

    if args.kernel is not None:
        spec = convzoo.make_spec(
            "cost", args.input, args.kernel, stride=args.stride, padding=args.padding,
            dilation=args.dilation, groups=args.groups, transposed=args.transposed,
            output_padding=args.output_padding if args.transposed else 0,
        )  # fmt: skip
        cost, what = convzoo.cost_of_spec(spec, bias=args.bias, exact=args.exact), "convolution"
        input_shape = spec.input_shape
    elif args.what is None:
        raise UserError("cost: name a type or a model, or give --input and --kernel")
    else:
        layer, input_shape = build_layer(args.what, args.input)
        cost, what = convzoo.cost(layer, input_shape, exact=args.exact), args.what
        input_shape = tuple(input_shape)
    result = {"what": what, "input_shape": list(input_shape)}
    result.update(cost.as_dict())
    result["output_shape"] = list(result["output_shape"])
    return result


def show(result: dict) -> None:
    print(f"{result['what']}  input {tuple(result['input_shape'])}")
    rows = []
    for key, label in FIELDS:
        value = result[key]
        rows.append((label, tuple(value) if isinstance(value, list) else value))
    print(table(rows, ["count", "value"], "<>"))


def register(sub) -> None:
    parser = sub.add_parser(
        "cost", help="exact multiplications, additions, MACs, params, memory traffic",
        epilog=EXAMPLES,
    )  # fmt: skip
    parser.add_argument("what", nargs="?", help="a registered type or a model name")
    add_conv_arguments(parser)
    for action in parser._actions:
        if action.dest in ("input", "kernel"):
            action.required = False
            action.default = None
    parser.add_argument("--bias", action="store_true", help="(with --kernel) count a bias")
    parser.add_argument("--exact", action="store_true", help="count only taps on real input")
    add_json(parser)
    parser.set_defaults(run=run, show=show, input_type=ints)
