"""Finding clients entered twice (a data-quality check of administrators).

Pairs are never formed from all clients: each client gets a few blocking keys (its SSN, its
SSN with two neighbouring digits swapped, its DOB or DOB with day and month swapped together
with a phonetic code of either name, its names' phonetic codes with the birth year, with the
birth month and day, or with the SSN's last four) and only clients sharing a key are scored.
A score weighs SSN, DOB and name similarity (docs/merging-duplicates.md says how).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from . import models
from .reads import live

WEIGHTS = {"ssn": 0.45, "dob": 0.25, "name": 0.30}
# A key shared by more clients than this tells too little to pair them all (a common name
# and birth year); the pairs it would give are found by the other keys or not at all.
MAX_BLOCK = 200
SWAPPED_NAMES = 0.9


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    first: str
    last: str
    ssn: str | None
    dob: date | None


@dataclass(frozen=True)
class Candidate:
    first: uuid.UUID  # the smaller ID of the two (as text)
    second: uuid.UUID
    score: float  # 0 to 1, four decimals
    reasons: tuple[str, ...]


def normalize(name: str | None) -> str:
    """Letters only, without accents, case folded: "O'Brien-Núñez" -> "obriennunez"."""
    if not name:
        return ""
    plain = unicodedata.normalize("NFKD", name)
    return "".join(c for c in plain.casefold() if "a" <= c <= "z")


_SOUNDEX = {c: d for d, letters in
            {"1": "bfpv", "2": "cgjkqsxz", "3": "dt", "4": "l", "5": "mn", "6": "r"}.items()
            for c in letters}  # fmt: skip


@lru_cache(maxsize=65536)  # names repeat: each is coded once
def soundex(name: str) -> str:
    """American Soundex of a normalized name ("" for none): Robert and Rupert are R163."""
    if not name:
        return ""
    code, last = [name[0].upper()], _SOUNDEX.get(name[0], "")
    for c in name[1:]:
        digit = _SOUNDEX.get(c, "")
        if digit and digit != last:
            code.append(digit)
        if c not in "hw":  # h and w do not separate letters of one code
            last = digit
    return ("".join(code) + "000")[:4]


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    two neighbouring letters each count one."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def _valid_ssn(ssn: str | None) -> str | None:
    return ssn if ssn and len(ssn) == 9 and ssn.isdigit() else None


def _swaps(ssn: str) -> Iterator[str]:
    for i in range(8):
        if ssn[i] != ssn[i + 1]:
            yield ssn[:i] + ssn[i + 1] + ssn[i] + ssn[i + 2 :]


def _day_month_swapped(dob: date) -> date | None:
    if dob.day > 12 or dob.day == dob.month:
        return None
    try:
        return date(dob.year, dob.day, dob.month)
    except ValueError:
        return None


def blocking_keys(p: Person) -> set[tuple]:
    keys: set[tuple] = set()
    ssn = _valid_ssn(p.ssn)
    if ssn:  # SSNs with two digits swapped are paired by looking the swaps up (`candidates`)
        keys.add(("ssn", ssn))
    codes = {soundex(p.first), soundex(p.last)} - {""}
    if p.dob:
        keys.update(("dob", p.dob, c) for c in codes)
        swapped = _day_month_swapped(p.dob)
        if swapped:
            keys.update(("dob~", *sorted((p.dob, swapped)), c) for c in codes)
    if p.first and p.last:
        names = (soundex(p.last), soundex(p.first))
        if p.dob:
            keys.add(("name-year", *names, p.dob.year))
            keys.add(("name-day", *names, p.dob.month, p.dob.day))
        if ssn:
            keys.add(("name-ssn4", *names, ssn[5:]))
    return keys


def ssn_similarity(a: str | None, b: str | None) -> tuple[float, str] | None:
    a, b = _valid_ssn(a), _valid_ssn(b)
    if not a or not b:
        return None
    if a == b:
        return 1.0, "SSN_EXACT"
    if b in set(_swaps(a)):
        return 0.8, "SSN_TRANSPOSED"
    if sum(x != y for x, y in zip(a, b, strict=True)) == 1:
        return 0.6, "SSN_ONE_DIGIT"
    return 0.0, ""


def dob_similarity(a: date | None, b: date | None) -> tuple[float, str] | None:
    if a is None or b is None:
        return None
    if a == b:
        return 1.0, "DOB_EXACT"
    if _day_month_swapped(a) == b:
        return 0.8, "DOB_DAY_MONTH_SWAPPED"
    if sum((a.year != b.year, a.month != b.month, a.day != b.day)) == 1:
        return 0.5, "DOB_ONE_PART"
    return 0.0, ""


def _one_name(x: str, y: str) -> float:
    similarity = 1 - edit_distance(x, y) / max(len(x), len(y))
    return max(similarity, 0.75) if soundex(x) == soundex(y) else similarity


def name_similarity(a: Person, b: Person) -> tuple[float, str] | None:
    if not a.last or not b.last:
        return None

    def pair(first_a, last_a, first_b, last_b) -> float:
        scores = [_one_name(last_a, last_b)]
        if first_a and first_b:
            scores.append(_one_name(first_a, first_b))
        return sum(scores) / len(scores)

    direct = pair(a.first, a.last, b.first, b.last)
    # First and last name reversed: as good a sign as a close name, not as an exact one.
    swapped = SWAPPED_NAMES * pair(a.last, a.first, b.first, b.last) if a.first and b.first else 0.0
    if direct == 1.0:
        return 1.0, "NAME_EXACT"
    if swapped > direct:
        return swapped, "NAME_SWAPPED" if swapped >= 0.75 else ""
    return direct, "NAME_SIMILAR" if direct >= 0.75 else ""


def score(a: Person, b: Person) -> tuple[float, tuple[str, ...]] | None:
    """The pair's score: each part's similarity weighted (`WEIGHTS`), over the parts both
    records hold; None when fewer than two parts can be compared."""
    parts = {"ssn": ssn_similarity(a.ssn, b.ssn), "dob": dob_similarity(a.dob, b.dob),
             "name": name_similarity(a, b)}  # fmt: skip
    held = {k: v for k, v in parts.items() if v is not None}
    if len(held) < 2:
        return None
    total = sum(WEIGHTS[k] * s for k, (s, _) in held.items()) / sum(WEIGHTS[k] for k in held)
    return round(total, 4), tuple(r for _, r in held.values() if r)


def candidates(
    found_people: Iterable[Person],
    *,
    min_score: float,
    not_duplicates: set[frozenset[uuid.UUID]] = frozenset(),
) -> list[Candidate]:
    """Every pair sharing a blocking key and scoring at least `min_score`, best first (then
    by IDs: the same order on every call)."""
    by_id: dict[uuid.UUID, Person] = {}
    blocks: dict[tuple, list[uuid.UUID]] = defaultdict(list)
    by_ssn: dict[str, list[uuid.UUID]] = defaultdict(list)
    for p in found_people:
        by_id[p.id] = p
        for key in blocking_keys(p):
            blocks[key].append(p.id)
        if ssn := _valid_ssn(p.ssn):
            by_ssn[ssn].append(p.id)
    # A pair is (smaller ID, larger ID): UUIDs order as their text does.
    pairs: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for members in blocks.values():
        if 1 < len(members) <= MAX_BLOCK:
            ordered = sorted(members)
            pairs.update((x, y) for i, x in enumerate(ordered) for y in ordered[i + 1 :])
    for ssn, ids in by_ssn.items():
        for swapped in _swaps(ssn):
            others = by_ssn.get(swapped) if swapped > ssn else None  # each pair once
            if others:
                pairs.update((min(x, y), max(x, y)) for x in ids for y in others)
    found = []
    for x, y in pairs:
        if frozenset((x, y)) in not_duplicates:
            continue
        scored = score(by_id[x], by_id[y])
        if scored is not None and scored[0] >= min_score:
            found.append(Candidate(x, y, *scored))
    found.sort(key=lambda c: (-c.score, c.first, c.second))
    return found


async def people(session: AsyncSession) -> list[Person]:
    """Every live client's identifiers, normalized (one statement)."""
    c = models.Client
    rows = await session.execute(
        select(c.id, c.first_name, c.last_name, c.ssn, c.dob).where(live(c))
    )
    return [Person(i, normalize(f), normalize(last), s, d) for i, f, last, s, d in rows]


async def find(session: AsyncSession, *, min_score: float) -> list[Candidate]:
    """The candidates among live clients; pairs an administrator unmerged are left out (the
    unmerge said they are two people)."""
    m = models.ClientMerge
    undone = await session.execute(
        select(m.survivor_id, m.merged_id).where(m.unmerged_at.is_not(None))
    )
    return candidates(await people(session), min_score=min_score,
                      not_duplicates={frozenset(pair) for pair in undone})  # fmt: skip
