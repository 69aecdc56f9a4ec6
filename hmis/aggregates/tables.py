"""A query's counts as published: every cell either its count or suppressed, computed from the
pieces the table is linked to (hmis.aggregates.suppression)."""

from __future__ import annotations

from dataclasses import dataclass

from .counts import Counts
from .definitions import NON_EXCLUSIVE
from .suppression import RULE, TwoWay, suppress_line, suppress_table, total_suppressed


@dataclass(frozen=True)
class Cell:
    count: int | None  # None when suppressed
    suppressed: bool


@dataclass(frozen=True)
class Table:
    rows: list[tuple[tuple[str, ...], Cell]]
    total: Cell
    rule: str
    notes: list[str]


def publish(counts: Counts) -> Table:
    """The table of `counts` with its suppression applied."""
    total = counts.total
    one_way = [suppress_line(margin, total) for margin in counts.margins]
    if len(counts.dimensions) == 2:
        table = suppress_table(
            TwoWay(
                counts.keys[0], counts.keys[1], counts.cells, one_way[0], one_way[1],
                row_totals=counts.margins[0], col_totals=counts.margins[1],
            ),
            total,
        )  # fmt: skip
        hidden, withheld = table.hidden, table.withheld
    else:
        hidden = {(k,) for k in one_way[0]} if one_way else set()
        withheld = False
    rows = [(key, _cell(n, key in hidden)) for key, n in counts.cells.items()]
    notes = [f"{d.value}: {NON_EXCLUSIVE[d]}; rows may add up to more than the total."
             for d in counts.dimensions if d in NON_EXCLUSIVE]  # fmt: skip
    if withheld:
        notes.append("No suppression pattern could protect this table: every cell is withheld.")
    return Table(rows, _cell(total, total_suppressed(total)), RULE, notes)


def _cell(count: int, suppressed: bool) -> Cell:
    return Cell(None, True) if suppressed else Cell(count, False)
