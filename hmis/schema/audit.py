"""`auditEvents` (HMIS administrators and auditors) and `verifyAuditLog` (administrators):
reading the access log and checking its hash chain."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterator

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from hmis.access_log import Purpose
from hmis.auth.guards import require_principal
from hmis.auth.principal import Role as Roles
from hmis.db import audit, models
from hmis.db.models.audit import AuditAction as Actions
from hmis.errors import BadInput
from hmis.groups import ElementGroup as Group
from hmis.resolvers import audit as log
from hmis.resolvers.clients import optional_id

from . import enums as E
from .me import Role
from .pagination import Connection, connection, decode_cursor, encode_cursor, page_size

AuditAction = strawberry.enum(Actions, description="What a request did with a client's data.")
Purpose = strawberry.enum(
    Purpose,
    description="Why client data is used: the values of the `HMIS-Purpose` request header. "
    "Without the header, the role's default (agency staff SERVICE_COORDINATION, "
    "administrators ADMINISTRATION, auditors AUDIT, researchers RESEARCH, clients SELF_ACCESS).",
)


class OperationName(SchemaExtension):
    """Hands what the audit log keeps of the operation to the request context
    (`log.operation_label`: a keyed digest of the document, a registered name)."""

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        if hasattr(context, "access_log"):
            context.operation_name = log.operation_label(
                context.settings.pseudonym_key or "",
                execution.query,
                execution.operation_name,
                _root_fields(execution.schema),
            )
        yield


@functools.cache
def _root_fields(schema) -> frozenset[str]:
    """The names of the schema's root fields: the registered operation names."""
    graphql = schema._schema
    roots = (graphql.query_type, graphql.mutation_type)
    return frozenset(name for root in roots if root for name in root.fields)


@strawberry.input(description="Narrow `auditEvents`; every given criterion must match.")
class AuditFilter:
    client_id: strawberry.ID | None = None
    actor_subject: str | None = strawberry.field(default=None, description="The token's `sub`.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="The organization the actor acted for."
    )
    since: datetime.datetime | None = strawberry.field(
        default=None, name="from", description="Events at or after this time."
    )
    until: datetime.datetime | None = strawberry.field(
        default=None, name="to", description="Events before this time."
    )
    action: AuditAction | None = None


@strawberry.type(
    description="One access to one client's data: who, when, which element groups and why. "
    "Never a value of the data, nor a search term."
)
class AuditEvent:
    id: strawberry.ID
    at: datetime.datetime
    actor_subject: str = strawberry.field(description="The actor's token `sub`.")
    actor_client_id: str | None = strawberry.field(
        description="The OAuth client (a service account's client ID, or the frontend's)."
    )
    organization_id: strawberry.ID | None = strawberry.field(
        description="The organization the actor acted for, if any."
    )
    roles: list[Role]
    client_id: strawberry.ID | None = strawberry.field(description="The client whose data it was.")
    action: AuditAction
    groups: list[E.ElementGroup] = strawberry.field(
        description="The element groups returned or written (none: the client's ID only)."
    )
    purpose: Purpose | None
    request_id: str | None = strawberry.field(
        description="The request (its `X-Request-ID` response header); one request may log "
        "several events."
    )
    operation_name: str | None = strawberry.field(
        description="What is kept of the operation, never text the caller chose freely: a "
        "keyed digest of its document (32 hex digits; the same document, the same digest), "
        "after its name only when the name is a root field of the API (e.g. "
        "`searchClients 3f2a...`)."
    )
    prev_hash: str | None = strawberry.field(
        description="The hash of the event before in the chain; null until the event is sealed "
        "into the chain (within seconds of being written)."
    )
    hash: str | None = strawberry.field(
        description="SHA-256 over this event's content and prevHash; null until sealed."
    )

    @classmethod
    def from_row(cls, row: models.AuditEvent, link: models.AuditLink | None) -> AuditEvent:
        known_roles = {r.value for r in Roles}
        return cls(
            id=strawberry.ID(str(row.id)),
            at=row.at,
            actor_subject=row.actor_subject,
            actor_client_id=row.actor_client_id,
            organization_id=row.organization_id and strawberry.ID(str(row.organization_id)),
            roles=[Roles(r) for r in row.roles if r in known_roles],
            client_id=row.client_id and strawberry.ID(str(row.client_id)),
            action=Actions(row.action),
            groups=[Group(g) for g in row.groups],
            purpose=row.purpose and Purpose(row.purpose),
            request_id=row.request_id,
            operation_name=row.operation_name,
            prev_hash=link and link.prev_hash,
            hash=link and link.hash,
        )


@strawberry.type(description="The outcome of walking the access log's hash chain.")
class AuditVerification:
    ok: bool = strawberry.field(description="True when every link holds.")
    checked: int = strawberry.field(description="Events verified before the first broken one.")
    first_broken_id: strawberry.ID | None = strawberry.field(
        description="The first event whose link or content does not hold."
    )
    message: str | None = strawberry.field(description="What is wrong, when something is.")
    verified_through: datetime.datetime | None = strawberry.field(
        description="Every event committed before this time is in the chain this walk checked "
        "(the walk first seals what is committed)."
    )
    unsealed: int = strawberry.field(
        description="Events committed since and not yet sealed into the chain: the next walk "
        "checks them."
    )


def _event_filter(given: AuditFilter | None) -> audit.EventFilter:
    if given is None:
        return audit.EventFilter()
    for name in ("since", "until"):
        value = getattr(given, name)
        field = "from" if name == "since" else "to"
        if value is not None and value.tzinfo is None:
            raise BadInput(f"`{field}` needs a time zone", field=["filter", field])
        try:
            value and value.astimezone(datetime.UTC)  # 9999-12-31T23:59:59-23:59 is past year 9999
        except OverflowError:
            raise BadInput(f"`{field}` is out of range", field=["filter", field]) from None
    return audit.EventFilter(
        client_id=optional_id(given.client_id, "clientId"),
        actor_subject=given.actor_subject,
        organization_id=optional_id(given.organization_id, "organizationId"),
        since=given.since,
        until=given.until,
        action=given.action and Actions(given.action.value),
    )


def _before(after: str | None) -> int | None:
    value = decode_cursor("audit", after)
    if value is not None and not value.isdigit():
        raise BadInput("`after` is not a cursor this list gave out", field=["after"])
    return value and int(value)


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="The access log, newest first. HMIS administrators and auditors only."
    )
    async def audit_events(
        self,
        info: Info,
        filter: AuditFilter | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> Connection[AuditEvent]:
        require_principal(info, Roles.HMIS_ADMIN, Roles.AUDITOR)
        size = page_size(first)
        wanted = _event_filter(filter)
        async with info.context.reading() as session:
            rows, total = await audit.events_page(
                session, filter=wanted, before=_before(after), limit=size + 1
            )
        page = rows[:size]
        # Who accessed a client is itself about that client: reading it is logged too.
        about = {r.client_id for r, _ in page if r.client_id is not None}
        info.context.access_log.release(about, Actions.VIEW_LOG)
        return connection(
            [AuditEvent.from_row(r, link) for r, link in page],
            [encode_cursor("audit", str(r.id)) for r, _ in page],
            total=total,
            has_next=len(rows) > size,
        )

    @strawberry.field(
        description="Walk the access log's hash chain and report the first broken link. "
        "HMIS administrators only."
    )
    async def verify_audit_log(self, info: Info) -> AuditVerification:
        require_principal(info, Roles.HMIS_ADMIN)
        async with info.context.reading() as session:
            result = await audit.verify(session)
        return AuditVerification(
            ok=result.ok,
            checked=result.checked,
            first_broken_id=result.first_broken_id and strawberry.ID(str(result.first_broken_id)),
            message=result.message,
            verified_through=result.verified_through,
            unsealed=result.unsealed,
        )
