"""``convzoo types``: every registered convolution type, one line each."""

from __future__ import annotations

from ._common import add_json, needs, table

EXAMPLES = """examples:
  convzoo types
  convzoo types --json
"""


def run(args) -> list:
    nn = needs("nn", "types")
    rows = []
    for name, cls in nn.registry().items():
        layer, input_shape = cls.example()
        rows.append(
            {
                "name": name,
                "class": cls.__name__,
                "summary": getattr(cls, "summary", ""),
                "paper": getattr(cls, "paper", ""),
                "example_input": list(input_shape),
                "example_output": list(layer.output_shape(input_shape)),
            }
        )
    return rows


def show(rows: list) -> None:
    print(
        table(
            [(r["name"], r["class"], r["summary"]) for r in rows],
            ["type", "class", "what it is"],
        )
    )


def register(sub) -> None:
    parser = sub.add_parser("types", help="the registered convolution types", epilog=EXAMPLES)
    add_json(parser)
    parser.set_defaults(run=run, show=show)
