"""What every mutation shares: `FieldError`, the one transaction, and permission checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import strawberry
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hmis.auth import policy
from hmis.auth.guards import require_principal
from hmis.auth.principal import Principal
from hmis.db import history, models
from hmis.errors import Forbidden
from hmis.groups import ElementGroup
from hmis.resolvers.audit import record_writes
from hmis.resolvers.validate import Check, Invalid

T = TypeVar("T")
P = TypeVar("P")


@strawberry.type(description="Why an input was refused: the field's path, the rule, a code.")
class FieldError:
    field: list[str]
    message: str
    code: str


@dataclass
class Outcome:
    value: Any = None
    errors: list[FieldError] | None = None


ANY_OWNER = object()


def allowed(
    info: Info, action: policy.Action, *, owner_org=ANY_OWNER, own_record: bool | None = None
) -> Principal:
    """The caller, if the write table lets them perform `action` (on a record of
    `owner_org`, or about their own record, when given: checked again once the record is
    found); else FORBIDDEN."""
    principal = require_principal(info)
    first_look = owner_org is ANY_OWNER and own_record is None
    if first_look:
        permitted = policy.acting_role(principal) in policy.WRITE_TABLE[action]
    else:
        permitted = policy.may_write(
            principal, action, owner_org=None if owner_org is ANY_OWNER else owner_org,
            own_record=bool(own_record),
        )  # fmt: skip
    if not permitted:
        what = action.value.lower().replace("_", " ")
        raise Forbidden(f"you may not {what}" + ("" if first_look else " here"))
    return principal


async def caller_org(session: AsyncSession, principal: Principal) -> models.Organization | None:
    """The organization the caller writes for (None for administrators)."""
    org_id = principal.writer.organization_id
    return org_id and await session.get(models.Organization, org_id)


def refuse_ppi(
    check: Check, org: models.Organization | None, group: ElementGroup, values: dict[str, Any]
) -> None:
    """HUD: a victim service provider does not store PPI in the HMIS (`policy.VSP_WITHHELD`);
    each non-empty value of such a group fails, naming its field."""
    vsp = org is not None and org.victim_service_provider
    if policy.may_store(group, victim_service_provider=vsp):
        return
    for name, value in values.items():
        if value is not None:
            check.fail(name, "a victim service provider may not store PPI in the HMIS",
                       "VSP_NO_PPI")  # fmt: skip


async def find_live(session: AsyncSession, model, id_, check: Check, field: str):
    """The row of `model` with this ID, unless it is missing or deleted: then NOT_FOUND on
    `field` ("no staff user has this ID", from the table's name), and the check is done."""
    row = id_ and await session.get(model, id_)
    if row is None or getattr(row, "date_deleted", None) is not None:
        _not_found(check, model, field)
    return row


def _not_found(check: Check, model, field: str) -> None:
    check.fail(field, f"no {model.__tablename__[:-1].replace('_', ' ')} has this ID", "NOT_FOUND")
    check.done()


async def find_seen(session: AsyncSession, principal: Principal, model, id_, check: Check,
                    field: str) -> tuple[Any, history.View]:  # fmt: skip
    """`find_live`, and the row as the caller sees it (`history.view`): what a write is
    checked and compared against. A record the caller cannot see is NOT_FOUND, as if it did
    not exist. Call it after locking the client (`history.begin_write`)."""
    row = await find_live(session, model, id_, check, field)
    seen = await history.view(session, principal.writer.organization_id, row)
    if seen is None:
        _not_found(check, model, field)
    return row, seen


async def run(info: Info, work: Callable[[AsyncSession], Awaitable[T]]) -> Outcome:
    """Run `work` in one transaction. Invalid input rolls it back and comes back as
    FieldErrors; any other error rolls it back and propagates. Either way nothing is written.
    The audit events of what `work` wrote are appended in the same transaction, so a write
    and its events commit together or not at all.
    Caches of this request are dropped, so the payload is read back as it now stands.

    A unique index refusing a row is run once more: a concurrent request wrote the same value
    between `work`'s check and its insert, and the second run's check sees it and answers
    with the FieldError the check gives (DUPLICATE_NAME...), not an internal error."""
    try:
        return await _run_once(info, work)
    except IntegrityError:
        return await _run_once(info, work)


async def _run_once(info: Info, work: Callable[[AsyncSession], Awaitable[T]]) -> Outcome:
    try:
        async with info.context.writing() as session:
            value = await work(session)
            await record_writes(info.context, session)
    except Invalid as invalid:
        return Outcome(errors=[FieldError(field=p.field, message=p.message, code=p.code)
                               for p in invalid.problems])  # fmt: skip
    finally:
        info.context.cache.clear()
    return Outcome(value=value, errors=[])


async def mutate(
    info: Info,
    work: Callable[[AsyncSession], Awaitable[Any]],
    payload: Callable[..., P],
    field: str | tuple[str, ...],
    read_back: Callable[[Info, Any], Awaitable[Any]] | None = None,
) -> P:
    """Run `work` in one transaction (see `run`) and build `payload`: the field holds the
    value read back through the policy (`read_back(info, value)`, once the transaction has
    committed) or `value` itself, or None with the FieldErrors. For several fields, the
    value (or what `read_back` returns) is a tuple, an item a field."""
    outcome = await run(info, work)
    names = (field,) if isinstance(field, str) else field
    if outcome.errors:
        return payload(**dict.fromkeys(names), errors=outcome.errors)
    value = outcome.value if read_back is None else await read_back(info, outcome.value)
    values = (value,) if isinstance(field, str) else value
    return payload(**dict(zip(names, values, strict=True)), errors=[])
