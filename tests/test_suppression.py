"""Suppression, as a function of counts: every published piece of a small synthetic CoC (the
total, the one-way tables of three dimensions, the three two-way tables) is suppressed as the
API suppresses it, and an exact attacker who knows all of it and how the pieces add up cannot
pin any suppressed count to one value."""

from __future__ import annotations

import itertools
import random

import pytest

from hmis.aggregates.suppression import TwoWay, small, suppress_line, suppress_table
from tests.attacker import Problem, pinned

DIMS = ("A", "B", "C")


def cube(rng: random.Random, sizes: tuple[int, int, int]) -> dict[tuple, int]:
    """Counts of people by three exclusive categories: many small, some large, some zero."""
    draw = lambda: rng.choice([0, 0, 1, 1, 2, 3, 5, 8, 12, 20, 35])  # noqa: E731
    return {k: draw() for k in itertools.product(*(range(n) for n in sizes))}


def publish(people: dict[tuple, int], sizes):
    """What the API would publish for every query of the CoC: {piece: (true, hidden)}."""
    total = sum(people.values())
    one_way, two_way = {}, {}
    for d in range(3):
        counts = {v: sum(n for k, n in people.items() if k[d] == v) for v in range(sizes[d])}
        one_way[d] = (counts, suppress_line(counts, total))
    for d1, d2 in itertools.combinations(range(3), 2):
        cells = {
            (a, b): sum(n for k, n in people.items() if k[d1] == a and k[d2] == b)
            for a in range(sizes[d1])
            for b in range(sizes[d2])
        }
        table = TwoWay(list(range(sizes[d1])), list(range(sizes[d2])), cells,
                       one_way[d1][1], one_way[d2][1])  # fmt: skip
        two_way[(d1, d2)] = suppress_table(table, total)
    return total, one_way, two_way


def attack(total, one_way, two_way):
    """Pin what can be pinned: unknowns are the suppressed counts, relations the sums."""
    problem, truth = Problem(), {}
    big = total

    def unknown(name, value, floor=1):
        truth[name] = value
        problem.bounds[name] = (floor, big)

    t_hidden = small(total)
    if t_hidden:
        unknown("T", total)
        big = 10
        problem.bounds["T"] = (1, 10)
    for d, (counts, hidden) in one_way.items():
        for v in hidden:
            unknown(("1", d, v), counts[v])
    for (d1, d2), table in two_way.items():
        for cell in table.hidden:
            unknown(("2", d1, d2, cell), table.cells[cell], 0 if table.withheld else 1)

    def term(name, value):
        return ({name: 1}, 0) if name in truth else ({}, value)

    def add_sum(parts, whole):
        """sum(parts) - whole = 0, each a (name, value)."""
        members, known = {}, 0
        for name, value in parts:
            m, k = term(name, value)
            members.update(m)
            known += k
        m, k = term(*whole)
        members.update({n: -1 for n in m})
        problem.add(members, known - k)

    for d, (counts, _) in one_way.items():
        add_sum([(("1", d, v), n) for v, n in counts.items()], ("T", total))
    for (d1, d2), table in two_way.items():
        rows, cols = one_way[d1][0], one_way[d2][0]
        for a in table.rows:
            cells = [(("2", d1, d2, (a, b)), table.cells[(a, b)]) for b in table.cols]
            add_sum(cells, (("1", d1, a), rows[a]))
        for b in table.cols:
            cells = [(("2", d1, d2, (a, b)), table.cells[(a, b)]) for a in table.rows]
            add_sum(cells, (("1", d2, b), cols[b]))
    return pinned(problem, truth), truth


@pytest.mark.parametrize("seed", range(60))
def test_no_suppressed_count_of_three_linked_tables_can_be_pinned(seed):
    rng = random.Random(seed)
    sizes = tuple(rng.randint(2, 3) for _ in range(3))
    people = cube(rng, sizes)
    total, one_way, two_way = publish(people, sizes)
    for counts, hidden in one_way.values():
        assert {v for v, n in counts.items() if small(n)} <= hidden
    for table in two_way.values():
        assert {c for c, n in table.cells.items() if small(n)} <= table.hidden
    found, truth = attack(total, one_way, two_way)
    assert not found, {k: truth[k] for k in found}


def test_the_attacker_pins_what_primary_suppression_alone_leaves():
    """The attacker is not toothless: with only the 1-10 counts hidden it recovers some."""
    recovered = 0
    for seed in range(20):
        rng = random.Random(seed)
        sizes = tuple(rng.randint(2, 3) for _ in range(3))
        total, one_way, two_way = publish(cube(rng, sizes), sizes)
        for d, (counts, _) in one_way.items():
            one_way[d] = (counts, {v for v, n in counts.items() if small(n)})
        for table in two_way.values():
            table.hidden = {c for c, n in table.cells.items() if small(n)}
            table.withheld = False
        recovered += len(attack(total, one_way, two_way)[0])
    assert recovered > 0
