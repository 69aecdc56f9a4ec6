"""Verifying the access log's hash chain (`verifyAuditLog`): seal what is committed, walk the
links from the genesis hash to the head, and check that every event is either in the chain or
waiting to be sealed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import models
from .audit_chain import seal
from .audit_hash import HASHED_COLUMNS, event_hash
from .models.audit import GENESIS_HASH

UNLINKED = (
    "its prev_hash is not the hash of the event before it: an event was removed, added or reordered"
)
EDITED = "its content does not match its hash: the event was edited"
NOT_AT_HEAD = (
    "the last event is not the chain's recorded head: the latest events were removed, or the "
    "head was changed"
)
MISSING = (
    "an event is neither in the chain nor waiting to be sealed: the queue or the chain was "
    "tampered with"
)


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    message: str | None = None
    # Every event committed before this time was in the chain walked.
    verified_through: datetime | None = None
    # Events committed since, not yet sealed: the next walk checks them.
    unsealed: int = 0


async def verify(session: AsyncSession, *, batch: int = 5000) -> Verification:
    """Seal what is committed (waiting for a running sealer), then walk the chain from its
    first event to the head; report the first broken link."""
    await seal(session.bind, wait=True)
    e, link = models.AuditEvent.__table__, models.AuditLink.__table__
    chain, queue = models.AuditChain.__table__, models.AuditPending.__table__
    waiting = select(func.count()).select_from(queue).scalar_subquery()
    events = select(func.count()).select_from(e).scalar_subquery()
    # One statement, one snapshot: the head, the events queued under it and all events. An
    # append inserts an event and queues it atomically, and the sealer links events, dequeues
    # them and moves the head atomically, so concurrent writes keep the three consistent.
    head, last, through, waiting, total = (
        await session.execute(
            select(chain.c.head_hash, chain.c.head_seal, chain.c.sealed_through, waiting, events)
            .where(chain.c.id == 1)
        )
    ).one()  # fmt: skip
    hashed = [link.c.prev_hash if c == "prev_hash" else e.c[c] for c in HASHED_COLUMNS]
    columns = [e.c.id, link.c.seal, link.c.hash, *hashed]
    # A link whose event is gone is skipped here: the next link then fails (UNLINKED).
    walked = link.join(e, e.c.id == link.c.event_id)
    previous, checked, after = GENESIS_HASH, 0, 0
    found = {"verified_through": through, "unsealed": int(waiting)}
    while after < last:
        rows = (
            await session.execute(
                select(*columns)
                .select_from(walked)
                .where(link.c.seal > after, link.c.seal <= last)
                .order_by(link.c.seal)
                .limit(batch)
            )
        ).all()
        if not rows:
            break
        for row in rows:
            values = row._asdict()
            if values["prev_hash"] != previous:
                return Verification(False, checked, row.id, UNLINKED, **found)
            if event_hash(values) != row.hash:
                return Verification(False, checked, row.id, EDITED, **found)
            previous, checked, after = row.hash, checked + 1, row.seal
    if previous != head:
        return Verification(False, checked, None, NOT_AT_HEAD, **found)
    # Checked last: a removed sealed event is better named by the walk, at its successor.
    if total != last + waiting:
        return Verification(False, checked, None, MISSING, **found)
    return Verification(True, checked, **found)
