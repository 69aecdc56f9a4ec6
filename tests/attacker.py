"""An attacker of suppressed tables: given every published count and the linear relations
between them, can a suppressed count be pinned to one value?

Exact over the integers: a depth-first search with bound propagation looks, for each unknown,
for a solution of all the relations in which it differs from its true value. Fine for the
small tables the tests build (scipy is not a dependency, and is not needed at these sizes).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field


@dataclass
class Relation:
    """sum(coef * unknown) + known (op) 0, op one of '=', '>=' (sum over `terms`)."""

    terms: dict[Hashable, int]
    known: int
    op: str = "="


@dataclass
class Problem:
    bounds: dict[Hashable, tuple[int, int]] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)

    def add(self, members: Mapping[Hashable, int], known: int, op: str = "=") -> None:
        """`members`: unknowns with coefficients; `known`: the published part."""
        terms = {k: c for k, c in members.items() if c}
        if terms:
            self.relations.append(Relation(terms, known, op))
        else:
            assert (known == 0) if op == "=" else (known >= 0), "published counts disagree"


def _propagate(problem: Problem, lo: dict, hi: dict) -> bool:
    """Tighten bounds to a fixpoint; False when infeasible."""
    changed = True
    while changed:
        changed = False
        for rel in problem.relations:
            # sum c*x + known (op) 0: the range of each term given the others
            mins = {k: (c * lo[k] if c > 0 else c * hi[k]) for k, c in rel.terms.items()}
            maxs = {k: (c * hi[k] if c > 0 else c * lo[k]) for k, c in rel.terms.items()}
            total_min, total_max = sum(mins.values()) + rel.known, sum(maxs.values()) + rel.known
            if total_max < 0 or (rel.op == "=" and total_min > 0):
                return False
            for k, c in rel.terms.items():
                # c*x >= -(known + others' max); for '=' also c*x <= -(known + others' min)
                floor = -(total_max - maxs[k])
                ceil = -(total_min - mins[k]) if rel.op == "=" else None
                if c > 0:
                    new_lo = -((-floor) // c)
                    new_hi = hi[k] if ceil is None else ceil // c
                else:  # dividing by a negative coefficient turns the bounds around
                    new_hi = floor // c
                    new_lo = lo[k] if ceil is None else -((-ceil) // c)
                if new_lo > lo[k]:
                    lo[k], changed = new_lo, True
                if new_hi < hi[k]:
                    hi[k], changed = new_hi, True
                if lo[k] > hi[k]:
                    return False
    return True


def _solvable(problem: Problem, lo: dict, hi: dict) -> bool:
    if not _propagate(problem, lo, hi):
        return False
    open_ = [k for k in lo if lo[k] < hi[k]]
    if not open_:
        return True
    k = min(open_, key=lambda u: hi[u] - lo[u])
    for value in range(lo[k], hi[k] + 1):
        lo2, hi2 = dict(lo), dict(hi)
        lo2[k] = hi2[k] = value
        if _solvable(problem, lo2, hi2):
            return True
    return False


def pinned(problem: Problem, truth: Mapping[Hashable, int]) -> list[Hashable]:
    """The unknowns every solution gives their true value (the truth itself must solve it)."""
    lo = {k: b[0] for k, b in problem.bounds.items()}
    hi = {k: b[1] for k, b in problem.bounds.items()}
    assert _solvable(problem, {k: truth[k] for k in lo}, {k: truth[k] for k in lo})
    found = []
    for k in lo:
        below = lo[k] <= truth[k] - 1 and _solvable(problem, {**lo}, {**hi, k: truth[k] - 1})
        if not below and not (
            truth[k] + 1 <= hi[k] and _solvable(problem, {**lo, k: truth[k] + 1}, {**hi})
        ):
            found.append(k)
    return found
