"""The request's part of the audit log: which groups of which clients a request returned or
wrote, by whom and why, turned into events at the right moment.

- Reads: `Visibility.present` notes each (client, group) it hands out; the root fields
  `release` the clients they return, with their action (view, search...). The view
  (`hmis.app`) appends the request's events in one batch just before the response leaves; if
  that fails the caller gets an error, never unaudited data.
- Writes: the write path notes what a transaction wrote (`hmis.db.audit.note_write`);
  `record_writes` appends those events inside the mutation's transaction, before it commits.

Events name the actor, the client and element groups, never a value: search terms, names and
the like never reach them. `Settings.unsafe_disable_audit` (benchmark only) skips the appends.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hmis.access_log import DEFAULT_PURPOSE
from hmis.auth.policy import acting_role, role_of
from hmis.auth.principal import Principal, Role
from hmis.auth.pseudonym import keyed_digest
from hmis.context import RequestContext
from hmis.db import audit, models
from hmis.db.models.audit import AuditAction
from hmis.groups import ElementGroup

# Events appended per statement (a 100,000-client import appends in chunks).
APPEND_CHUNK = 1000


def operation_label(key: str, document: str | None, name: str | None,
                    registered: frozenset[str]) -> str | None:  # fmt: skip
    """What the log keeps of the operation, never text the caller chose freely: a keyed digest
    of the document (the same document, the same digest; nobody without the server's secret
    can test a guess of what it says), preceded by its name only when that name is a root
    field of the API (`searchClients`, `UpdateClient`: a name from a fixed public list, kept
    as the field is spelled). `query Nora_ssn_123456789 {...}` is kept as its digest alone."""
    if not document:
        return None
    digest = keyed_digest(key, "audit-document", document)
    field = name and registered_name(name, registered)
    return f"{field} {digest}" if field else digest


def registered_name(name: str, registered: frozenset[str]) -> str | None:
    """The root field an operation is named after (its first letter in either case)."""
    candidate = name[:1].lower() + name[1:]
    return candidate if candidate in registered else None


def _events(context: RequestContext, found: Iterable[tuple[uuid.UUID, AuditAction, Any]]):
    """The events of a request: who, for whom and why (the same for each), then per client
    the action and the groups."""
    principal: Principal = context.principal
    purpose = context.purpose or DEFAULT_PURPOSE.get(acting_role(principal))
    who = {
        "actor_subject": principal.subject,
        "actor_client_id": principal.client_id,
        "organization_id": principal.organization_id,
        "roles": sorted(role.value for role in principal.roles),
        "purpose": purpose and purpose.value,
        "request_id": context.request_id,
        "operation_name": context.operation_name,  # `operation_label`
    }
    return [
        {**who, "client_id": client_id, "action": action.value, "groups": audit.group_names(groups)}
        for client_id, action, groups in found
    ]


async def record_writes(context: RequestContext, session: AsyncSession) -> None:
    """Append the events of what this transaction wrote, in it (called before it commits)."""
    written = audit.take_writes(session)
    for (client_id, _action), groups in written.items():
        context.access_log.written[client_id].update(groups)
    if written and not context.settings.unsafe_disable_audit:
        found = [(client_id, action, g) for (client_id, action), g in written.items()]
        # In chunks: PostgreSQL's one-statement chain joins each step with its whole batch,
        # so a batch costs the square of its size (an import's 100,000 events ran for over
        # ten minutes; a request writes a few).
        for start in range(0, len(found), APPEND_CHUNK):
            await audit.append(session, _events(context, found[start : start + APPEND_CHUNK]))


async def record_reads(context: RequestContext) -> None:
    """Append the request's read events in one short transaction of their own."""
    events = context.access_log.take_reads()
    if not events or context.settings.unsafe_disable_audit or context.principal is None:
        return
    async with context.writing() as session:
        await audit.append(session, _events(context, events))


# --- the client's accounting of disclosures (myRecord) ----------------------------------------


@dataclass(frozen=True)
class AccessEntry:
    organization: models.Organization | None
    at: datetime  # the latest access of the day
    action: str
    purpose: str | None
    groups: list[ElementGroup]
    role: Role | None = None  # the role it acted in: says who for accesses of no organization


def _acting_role(names: Iterable[str]) -> Role | None:
    return role_of(frozenset(Role(n) for n in names if n in Role._value2member_map_))


def accounting(
    events: Iterable[tuple[models.AuditEvent, models.Organization | None]],
) -> list[AccessEntry]:
    """Events (newest first) as a client reads them: per organization, role, action, purpose
    and day one entry with the groups of all its events; who in the organization never shows
    (the role does: administrators and auditors act for no organization)."""
    merged: dict[tuple, tuple[AccessEntry, set[str]]] = {}
    for event, organization in events:
        role = _acting_role(event.roles)
        key = (event.organization_id, role, event.action, event.purpose, event.at.date())
        if key not in merged:
            entry = AccessEntry(organization, event.at, event.action, event.purpose, [], role)
            merged[key] = (entry, set())
        merged[key][1].update(event.groups)
    return [
        AccessEntry(e.organization, e.at, e.action, e.purpose, [g for g in ElementGroup
                                                                if g.value in names], e.role)
        for e, names in merged.values()
    ]  # fmt: skip
