"""`duplicateCandidates`: pairs of clients that may be one person, for administrators (a
data-quality use); merged with `mergeClients` (docs/merging-duplicates.md), whose record
`clientMerges` lists."""

from __future__ import annotations

import enum
import uuid

import strawberry
from sqlalchemy import or_, select
from strawberry.types import Info

from hmis.access_log import Purpose
from hmis.auth import policy
from hmis.auth.guards import require_principal
from hmis.auth.policy import Action
from hmis.db import duplicates, models, reads
from hmis.db.models.audit import AuditAction
from hmis.errors import BadInput, Forbidden
from hmis.groups import ElementGroup as G
from hmis.resolvers.clients import parse_id
from hmis.resolvers.visibility import Visibility

from .clients import Client
from .mutations.merges import ClientMerge
from .pagination import Connection, connection, decode_cursor, encode_cursor, page_size

DEFAULT_MIN_SCORE = 0.7
LOWEST_MIN_SCORE = 0.5


@strawberry.enum(description="Why two clients may be one person.")
class MatchReason(enum.Enum):
    SSN_EXACT = "SSN_EXACT"
    SSN_TRANSPOSED = "SSN_TRANSPOSED"  # two neighbouring digits swapped
    SSN_ONE_DIGIT = "SSN_ONE_DIGIT"
    DOB_EXACT = "DOB_EXACT"
    DOB_DAY_MONTH_SWAPPED = "DOB_DAY_MONTH_SWAPPED"
    DOB_ONE_PART = "DOB_ONE_PART"  # year, month or day differs
    NAME_EXACT = "NAME_EXACT"
    NAME_SIMILAR = "NAME_SIMILAR"  # small edit distance or the same Soundex
    NAME_SWAPPED = "NAME_SWAPPED"  # first and last name reversed


@strawberry.type(description="Two clients that may be one person, as you see them.")
class DuplicateCandidate:
    score: float = strawberry.field(description="0 to 1: SSN, DOB and name similarity weighed.")
    reasons: list[MatchReason]
    first: Client
    second: Client


def _cursor(c: duplicates.Candidate) -> str:
    return encode_cursor("duplicate", f"{c.score:.4f}|{c.first}|{c.second}")


def _after(cursor: str | None) -> tuple[float, str, str] | None:
    value = decode_cursor("duplicate", cursor)
    if value is None:
        return None
    try:
        score, first, second = value.split("|")
        return -float(score), str(uuid.UUID(first)), str(uuid.UUID(second))
    except ValueError:
        raise BadInput("`after` is not a cursor this list gave out", field=["after"]) from None


@strawberry.type
class DuplicateQuery:
    @strawberry.field(
        description="Pairs of clients that may be one person, best first (administrators; "
        "a data-quality use, logged as such)."
    )
    async def duplicate_candidates(
        self,
        info: Info,
        first: int | None = 50,
        after: str | None = None,
        min_score: float | None = DEFAULT_MIN_SCORE,
    ) -> Connection[DuplicateCandidate]:
        principal = require_principal(info)
        if not policy.may_find_duplicates(principal):
            raise Forbidden("duplicate candidates are for HMIS administrators")
        size = page_size(first)
        floor = DEFAULT_MIN_SCORE if min_score is None else min_score
        if not LOWEST_MIN_SCORE <= floor <= 1:
            raise BadInput(f"`minScore` must be between {LOWEST_MIN_SCORE} and 1",
                           field=["minScore"])  # fmt: skip
        start = _after(after)
        context = info.context
        context.purpose = context.purpose or Purpose.DATA_QUALITY
        async with context.reading() as session:
            found = await duplicates.find(session, min_score=floor)
        total = len(found)  # all candidates, whatever the cursor
        if start is not None:
            found = [c for c in found if (-c.score, str(c.first), str(c.second)) > start]
        page = found[:size]
        ids = list(dict.fromkeys(i for c in page for i in (c.first, c.second)))
        async with context.reading() as session:
            rows = {r.id: r for r in await reads.clients_by_id(session, ids=ids)}
        visibility = Visibility.of(context)
        decisions = dict(zip(rows, await visibility.decide(list(rows.values())), strict=True))
        # Matched on identifiers: IDENTITY is used, whatever the selection shows.
        context.access_log.release(ids, AuditAction.SEARCH, [G.IDENTITY])
        nodes = [
            DuplicateCandidate(
                score=c.score,
                reasons=[MatchReason(r) for r in c.reasons],
                first=Client(row=rows[c.first], decision=decisions[c.first]),
                second=Client(row=rows[c.second], decision=decisions[c.second]),
            )
            for c in page
        ]
        return connection(nodes, [_cursor(c) for c in page], total=total,
                          has_next=len(found) > size)  # fmt: skip

    @strawberry.field(
        description="The merges a client took part in, as survivor or merged away, newest "
        "first (administrators): the `id` that `unmergeClients` takes."
    )
    async def client_merges(self, info: Info, client_id: strawberry.ID) -> list[ClientMerge]:
        principal = require_principal(info)
        if not policy.may_write(principal, Action.ADMINISTER):
            raise Forbidden("client merges are for HMIS administrators")
        found = parse_id(client_id, "clientId")
        m = models.ClientMerge
        async with info.context.reading() as session:
            rows = list(await session.scalars(
                select(m).where(or_(m.survivor_id == found, m.merged_id == found))
                .order_by(m.merged_at.desc(), m.id)
            ))  # fmt: skip
        # Who was merged with whom is about both clients (no group: their IDs only).
        info.context.access_log.release({i for r in rows for i in (r.survivor_id, r.merged_id)},
                                        AuditAction.VIEW)  # fmt: skip
        return [ClientMerge.of(r) for r in rows]
