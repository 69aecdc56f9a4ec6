"""Verifying the access log's hash chain (`verifyAuditLog`): seal what is committed, then walk
the chain from the genesis hash to the head."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import models
from .audit_chain import HASHED_COLUMNS, event_hash, seal
from .models.audit import GENESIS_HASH

UNLINKED = (
    "its prev_hash is not the hash of the event before it: an event was removed, added or reordered"
)
EDITED = "its content does not match its hash: the event was edited"
NOT_AT_HEAD = (
    "the last event is not the chain's recorded head: the latest events were removed, or the "
    "head was changed"
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
    e, chain = models.AuditEvent.__table__, models.AuditChain.__table__
    unsealed = select(func.count()).select_from(e).where(e.c.seal.is_(None)).scalar_subquery()
    # One statement, one snapshot: the head and the events not yet sealed under it.
    head, last, through, waiting = (
        await session.execute(
            select(chain.c.head_hash, chain.c.head_seal, chain.c.sealed_through, unsealed)
            .where(chain.c.id == 1)
        )
    ).one()  # fmt: skip
    columns = [e.c.id, e.c.seal, e.c.hash, *(e.c[c] for c in HASHED_COLUMNS)]
    previous, checked, after = GENESIS_HASH, 0, 0
    found = {"verified_through": through, "unsealed": int(waiting)}
    while after < last:
        rows = (
            await session.execute(
                select(*columns)
                .where(e.c.seal > after, e.c.seal <= last)
                .order_by(e.c.seal)
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
    return Verification(True, checked, **found)
