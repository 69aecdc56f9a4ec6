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
    _index: dict = field(default_factory=dict, repr=False)
    _index_of: list = field(default_factory=list, repr=False)

    def index(self) -> dict:
        """The relations each unknown appears in (by position), made once."""
        if len(self._index_of) != len(self.relations):
            self._index = {}
            for i, rel in enumerate(self.relations):
                for k in rel.terms:
                    self._index.setdefault(k, []).append(i)
            self._index_of = list(self.relations)
        return self._index

    def add(self, members: Mapping[Hashable, int], known: int, op: str = "=") -> None:
        """`members`: unknowns with coefficients; `known`: the published part."""
        terms = {k: c for k, c in members.items() if c}
        if terms:
            self.relations.append(Relation(terms, known, op))
        else:
            assert (known == 0) if op == "=" else (known >= 0), "published counts disagree"


def _propagate(problem: Problem, lo: dict, hi: dict, changed=None) -> bool:
    """Tighten bounds to a fixpoint (re-examining only the relations of unknowns whose bounds
    moved, from those of `changed`, or all); False when infeasible."""
    index = problem.index()
    queue = (
        list(range(len(problem.relations)))
        if changed is None
        else sorted({i for k in changed for i in index.get(k, ())})
    )
    queued = set(queue)
    while queue:
        i = queue.pop()
        queued.discard(i)
        rel = problem.relations[i]
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
            if new_lo > lo[k] or new_hi < hi[k]:
                lo[k], hi[k] = max(lo[k], new_lo), min(hi[k], new_hi)
                if lo[k] > hi[k]:
                    return False
                for j in index[k]:
                    if j not in queued and j != i:
                        queued.add(j)
                        queue.append(j)
    return True


def _solve(problem: Problem, lo: dict, hi: dict, hint: Mapping, changed=None) -> dict | None:
    """An integer point within the bounds that satisfies every relation, or None (values
    nearest the `hint` are tried first: the truth is a solution, so one nearby comes soonest)."""
    if not _propagate(problem, lo, hi, changed):
        return None
    open_ = [k for k in lo if lo[k] < hi[k]]
    if not open_:
        return dict(lo)
    k = min(open_, key=lambda u: hi[u] - lo[u])
    for value in sorted(range(lo[k], hi[k] + 1), key=lambda v: abs(v - hint[k])):
        lo2, hi2 = dict(lo), dict(hi)
        lo2[k] = hi2[k] = value
        found = _solve(problem, lo2, hi2, hint, changed=[k])
        if found is not None:
            return found
    return None


def pinned(problem: Problem, truth: Mapping[Hashable, int]) -> list[Hashable]:
    """The unknowns every solution gives their true value (the truth itself must solve it)."""
    lo = {k: b[0] for k, b in problem.bounds.items()}
    hi = {k: b[1] for k, b in problem.bounds.items()}
    assert _solve(problem, dict(truth), dict(truth), truth) is not None, "truth is no solution"
    moved: set = set()  # unknowns some solution found so far gives another value
    found = []
    for k in lo:
        if k in moved:
            continue
        for low, high in ((lo[k], truth[k] - 1), (truth[k] + 1, hi[k])):
            other = low <= high and _solve(problem, {**lo, k: low}, {**hi, k: high}, truth)
            if other:
                moved.update(u for u, v in other.items() if v != truth[u])
                break
        else:
            found.append(k)
    return found
