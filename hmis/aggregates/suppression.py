"""Small-cell and complementary suppression of a count table and its margins
(docs/aggregates.md explains it and what it guarantees).

What one query publishes is a slice of a linked structure: the total T, the one-way tables of
each dimension (whose cells are the margins of every two-way table), and the two-way tables.
Each piece is suppressed by a deterministic function of its own counts and of the pieces it
sums to, so a margin or a total is suppressed alike in every query that shows it.

- Primary: a count of 1 to 10 is suppressed. A zero is shown, so every suppressed count is at
  least 1 (an attacker may assume so).
- The total is suppressed only when it is itself 1 to 10 (then every count is).
- One-way table: 0 or at least 2 suppressed cells, their sum above their number (suppressed
  cells that are all 1 would be pinned by their sum); complements are the smallest shown
  non-zero cells.
- Two-way table: every suppressed cell lies on a closed walk of suppressed cells alternating
  +1 and -1 (a -1 only on cells of at least 2), so moving one person around it keeps every
  sum; and every row (column) whose margin is suppressed has a walk to the row (column) of
  the dimension's largest suppressed margin, so that margin pair can move in every table that
  shows the dimension. The cheapest shown cells completing a missing walk are added until
  both hold; when none can, the table is withheld.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

THRESHOLD = 10  # counts of 1..THRESHOLD are suppressed
RULE = (
    "Counts of 1 to 10 are suppressed (0 is shown). Further cells are suppressed so that no "
    "suppressed count can be recovered from the table, its margins (the one-way tables of its "
    "dimensions) and its total; the total is suppressed when it is 1 to 10."
)

Key = Hashable


def small(count: int) -> bool:
    return 1 <= count <= THRESHOLD


def total_suppressed(total: int) -> bool:
    return small(total)


def suppress_line(cells: Mapping[Key, int], total: int) -> set[Key]:
    """The suppressed cells of a one-way table whose cells sum to `total` (or, for categories
    a person may fall in several of, cover it)."""
    hidden = {k for k, v in cells.items() if small(v)}
    if total_suppressed(total) or not hidden:
        return hidden  # with the total hidden too there is no sum to solve
    while len(hidden) == 1 or sum(cells[k] for k in hidden) <= len(hidden):
        shown = [(v, i, k) for i, (k, v) in enumerate(cells.items()) if v and k not in hidden]
        if not shown:
            break  # cannot happen when cells cover the total (then the total is small)
        hidden.add(min(shown)[2])
    return hidden


@dataclass
class TwoWay:
    """A two-way table with its margins: `cells[(a, b)]`, rows `a` of `rows`, columns of
    `cols`; `row_hidden`/`col_hidden` are the margins suppressed in the one-way tables."""

    rows: list[Key]
    cols: list[Key]
    cells: Mapping[tuple[Key, Key], int]
    row_hidden: set[Key]
    col_hidden: set[Key]
    # The true margins (the one-way tables' counts); for categories a person may fall in
    # several of they are not the sums of the cells. Default: the sums.
    row_totals: Mapping[Key, int] | None = None
    col_totals: Mapping[Key, int] | None = None
    hidden: set[tuple[Key, Key]] = field(default_factory=set)
    withheld: bool = False  # no safe pattern was found: every cell is suppressed


def suppress_table(table: TwoWay, total: int) -> TwoWay:
    """Fill `table.hidden` (and `withheld`) by the rules of the module docstring."""
    cells = table.cells
    hidden = {c for c, v in cells.items() if small(v)}
    if total_suppressed(total):
        table.hidden = hidden  # every count is 1..10 and no sum is known
        return table
    safe: set[tuple[Key, Key]] = set()  # cells on a cycle stay on it as cells are added
    while True:
        need = _weak_spot(table, hidden, safe)
        if need is None:
            break
        kind, *spot = need
        if kind == "walk":
            path = _cheapest_path(table, hidden, *spot)
        else:  # the cell grows (column back to row), or shrinks (row back to column)
            cell = spot[0]
            row, col = ("r", cell[0]), ("c", cell[1])
            path = _cheapest_path(table, hidden, col, row, cell)
            if not path and cells[cell] >= 2:
                path = _cheapest_path(table, hidden, row, col, cell)
        if not path:  # every cell, zeros too, but those of an empty row or column
            table.withheld = True
            rows, cols = _one_way(table)
            hidden = {(a, b) for a, b in cells if rows[a] and cols[b]}
            break
        hidden.update(path)
    table.hidden = hidden
    return table


# The suppressed cells as a directed graph on rows ("r", a) and columns ("c", b): a cell can
# grow by one (arc row -> column) and, when at least 2, shrink by one (column -> row). A closed
# walk alternating growing and shrinking cells changes no row or column sum: each cell on one
# is not pinned. A walk from row a to row a' moves one person from margin a' to margin a.


def _arcs(table: TwoWay, cell, hidden, cost: bool):
    """The arcs of `cell`: (from, to, cost); shown cells (for paths to add) cost their count."""
    value = table.cells[cell]
    row, col = ("r", cell[0]), ("c", cell[1])
    if cell in hidden:
        yield row, col, 0
        if value >= 2:
            yield col, row, 0
    elif cost and value:
        yield row, col, value  # shown non-zero counts are at least 11
        yield col, row, value


ROW_MARGINS, COL_MARGINS = ("m", "rows"), ("m", "cols")


def _margin_arcs(table: TwoWay):
    """Suppressed margins: a row margin can grow (the row's cells grow with it) and, when at
    least 2, shrink; the one-way table's sum is kept by the margin node. Likewise columns."""
    rows, cols = _one_way(table)
    for a in table.row_hidden:
        yield ROW_MARGINS, ("r", a), 0
        if rows[a] >= 2:
            yield ("r", a), ROW_MARGINS, 0
    for b in table.col_hidden:
        yield ("c", b), COL_MARGINS, 0
        if cols[b] >= 2:
            yield COL_MARGINS, ("c", b), 0


def _one_way(table: TwoWay):
    rows = table.row_totals or {a: sum(table.cells[(a, b)] for b in table.cols) for a in table.rows}
    cols = table.col_totals or {b: sum(table.cells[(a, b)] for a in table.rows) for b in table.cols}
    return rows, cols


def _cheapest_path(table: TwoWay, hidden: set, start, goal, without=None) -> list:
    """The shown cells to suppress for a walk from `start` to `goal` (nodes) that avoids the
    cell `without`, adding the least count (Dijkstra over every non-zero cell)."""
    out: dict = {}
    for cell in table.cells:
        if cell != without:
            for a, b, c in _arcs(table, cell, hidden, cost=True):
                out.setdefault(a, []).append((b, c, cell))
    if without is not None:  # closing a cell's cycle may go through the margins
        for a, b, c in _margin_arcs(table):
            out.setdefault(a, []).append((b, c, None))
    best, came, heap, tie = {start: 0}, {}, [(0, 0, start)], 0
    while heap:
        cost, _, node = heapq.heappop(heap)
        if node == goal:
            path = []
            while node in came:
                node, cell = came[node]
                if cell is not None and cell not in hidden:
                    path.append(cell)
            return path
        if cost > best[node]:
            continue
        for nxt, step, cell in out.get(node, ()):
            if cost + step < best.get(nxt, cost + step + 1):
                best[nxt] = cost + step
                came[nxt] = (node, cell)
                tie += 1
                heapq.heappush(heap, (cost + step, tie, nxt))
    return []


def _reaches(table: TwoWay, hidden: set, start, without=None, margins=False) -> set:
    out: dict = {}
    for cell in hidden:
        if cell != without:
            for a, b, _ in _arcs(table, cell, hidden, cost=False):
                out.setdefault(a, []).append(b)
    for a, b, _ in _margin_arcs(table) if margins else ():
        out.setdefault(a, []).append(b)
    seen, todo = {start}, [start]
    while todo:
        for nxt in out.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _weak_spot(table: TwoWay, hidden: set, safe: set):
    """("cell", c): a suppressed cell on no cycle; ("walk", start, goal): a walk the margins
    lack; None: the pattern is safe."""
    for cell in sorted(hidden - safe, key=lambda c: (str(c[0]), str(c[1]))):
        row, col = ("r", cell[0]), ("c", cell[1])
        if row in _reaches(table, hidden, col, cell, margins=True) or (
            table.cells[cell] >= 2 and col in _reaches(table, hidden, row, cell, margins=True)
        ):
            safe.add(cell)
            continue
        return "cell", cell
    # Each suppressed margin moves against the largest one (at least 2: `suppress_line`),
    # the same move in every table that shows the dimension: a walk from row a to that row
    # (a grows, it shrinks); for columns, from that column to column b.
    rows, cols = _one_way(table)
    for kind, keys, totals in (("r", table.row_hidden, rows), ("c", table.col_hidden, cols)):
        order = table.rows if kind == "r" else table.cols
        ranked = [k for k in order if k in keys]
        if len(ranked) < 2:
            continue
        pivot = (kind, max(ranked, key=lambda k: (totals[k], -ranked.index(k))))
        for node in ((kind, k) for k in ranked):
            start, goal = (node, pivot) if kind == "r" else (pivot, node)
            if node != pivot and goal not in _reaches(table, hidden, start):
                return "walk", start, goal
    return None
