"""Per-layer cost tables: what :func:`convzoo.summary` and :func:`convzoo.profile` return.

A table is data, not text: rows of ``(name, type, Cost)``, their total, and a
``to_markdown()`` rendering for the CLI and the README (the library itself never prints).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .types import Cost

__all__ = ["LayerCost", "CostTable", "human"]


def human(count: float) -> str:
    """A count with an SI suffix and 2 decimals (K, M, G, T).

    Examples
    --------
    >>> human(568740352), human(4231976), human(999)
    ('568.74M', '4.23M', '999')
    """
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(count) >= scale:
            return f"{count / scale:.2f}{suffix}"
    return f"{count:g}"


@dataclass(frozen=True)
class LayerCost:
    """One row: a leaf layer's path in the model, its type name and its :class:`Cost`."""

    name: str
    type: str
    cost: Cost

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.cost.output_shape


@dataclass(frozen=True)
class CostTable:
    """Per-layer costs of a model, in execution order.

    Attributes
    ----------
    input_shape : tuple of int
    rows : tuple of LayerCost
    notes : tuple of str
        What was not counted and why (e.g. PyTorch modules without a cost rule).

    Examples
    --------
    >>> a = LayerCost("0", "Conv", Cost((1, 8, 4, 4), mults=288, macs=288, params=80))
    >>> b = LayerCost("1", "Linear", Cost((1, 10), mults=1280, macs=1280, params=1290))
    >>> table = CostTable((1, 2, 6, 6), (a, b))
    >>> table.total.macs, table.total.params, [round(s, 3) for s in table.shares()]
    (1568, 1370, [0.184, 0.816])
    >>> print(table.to_markdown().splitlines()[0])
    | name | type | output shape | params | MACs | share of MACs |
    """

    input_shape: tuple[int, ...]
    rows: tuple[LayerCost, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def total(self) -> Cost:
        """Sum of the rows (output shape of the last one)."""
        return sum((row.cost for row in self.rows), Cost(tuple(self.input_shape)))

    def shares(self) -> list[float]:
        """Each row's fraction of the total MACs."""
        total = self.total.macs
        return [row.cost.macs / total if total else 0.0 for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, index):
        return self.rows[index]

    def to_markdown(self, *, totals: bool = True) -> str:
        """The table as GitHub markdown: name, type, output shape, params, MACs, share."""
        lines = [
            "| name | type | output shape | params | MACs | share of MACs |",
            "|---|---|---|--:|--:|--:|",
        ]
        for row, share in zip(self.rows, self.shares(), strict=True):
            shape = "×".join(str(n) for n in row.output_shape)
            c = row.cost
            lines.append(
                f"| {row.name or '(model)'} | {row.type} | {shape} | {c.params:,} | "
                f"{c.macs:,} | {100 * share:.1f}% |"
            )
        if totals:
            t = self.total
            lines.append(
                f"| **total** | | {'×'.join(str(n) for n in t.output_shape)} | "
                f"**{t.params:,}** | **{t.macs:,}** ({human(t.macs)}) | 100.0% |"
            )
        lines.extend(f"\n_{note}_" for note in self.notes)
        return "\n".join(lines)
