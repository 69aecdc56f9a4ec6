"""Finding the record a lifecycle mutation changes (update, reopen, end, delete), in the one
order that tells a caller nothing its view does not: a record the caller cannot see (another
organization's agency-only record, a record made after the client's refusal by another
organization, a deleted one) is NOT_FOUND exactly as an ID that names nothing; a record the
caller sees but whose organization it does not write for is FORBIDDEN."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hmis.auth import policy
from hmis.auth.policy import Action, ClientFacts
from hmis.auth.principal import Principal
from hmis.db import history
from hmis.resolvers.validate import Check

from .common import _not_found, allowed, find_live

MAX_REASON_LENGTH = 500


async def find_owned(
    info: Info, session: AsyncSession, model, raw_id, check: Check, field: str, action: Action
) -> tuple[Principal, Any, history.View]:
    """The caller, the live `model` row named on `field` (its client locked: the first write
    of the transaction) and the row as the caller sees it; NOT_FOUND or FORBIDDEN as above."""
    principal = allowed(info, action)
    row_id = check.uuid(field, raw_id)
    check.done()
    row = await find_live(session, model, row_id, check, field)
    await history.begin_write(session, clients=[row.client_id])
    await session.refresh(row)  # as it stands under the lock
    if row.date_deleted is not None:
        _not_found(check, model, field)
    # The row rule of the policy (which records of which groups the caller sees at all); the
    # refusal's part is the as-of view's (`history.view`: None when made after it by others).
    decision = policy.decide(principal, ClientFacts(client_id=row.client_id))
    seen = await history.view(session, principal.writer.organization_id, row)
    if (
        decision is None
        or seen is None
        or not decision.sees_record(model.__group__, row.organization_id)
    ):
        _not_found(check, model, field)
    allowed(info, action, owner_org=row.organization_id)
    return principal, row, seen


def reason(check: Check, value: str) -> str | None:
    """Why a record is deleted: required, at most 500 characters (kept with its history)."""
    return check.text("reason", value, max_length=MAX_REASON_LENGTH, required=True)


def stale(check: Check, expected: int | None, seen: history.View) -> None:
    """STALE_VERSION when the caller edited another version than the one it sees."""
    if expected is not None and expected != seen.version:
        check.fail("version", str(history.StaleVersion(expected, seen.version)), "STALE_VERSION")
