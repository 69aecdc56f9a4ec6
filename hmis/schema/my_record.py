"""`myRecord`: a signed-in client's own record, who accessed it, and outside disclosures."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from hmis.auth.guards import require_principal
from hmis.auth.principal import Role
from hmis.db import audit, reads
from hmis.db.disclosures import RecipientType
from hmis.db.models.audit import AuditAction
from hmis.groups import ElementGroup as Group
from hmis.resolvers.audit import accounting
from hmis.resolvers.visibility import Visibility

from . import enums as E
from .clients import Client
from .groups import gid
from .public import Organization

DisclosureRecipientType = strawberry.enum(
    RecipientType, description="Who received information disclosed outside the HMIS."
)


@strawberry.type(
    description="Accesses to your record by one organization on one day, for one action and "
    "purpose: the organization, never the person."
)
class AccessRecord:
    organization: Organization | None = strawberry.field(
        description="Null for HMIS administrators, auditors and others acting for no organization."
    )
    acting_role: Role | None = strawberry.field(
        description="The role the access was made in (for accesses of no organization: the HMIS "
        "lead's administrators, auditors, you); never the person."
    )
    at: datetime.datetime = strawberry.field(description="The latest access of that day.")
    action: str = strawberry.field(
        description="view, search, export, create, update, correct, delete, disclose, "
        "refuse, revoke, request_correction, deny_correction, complain, handle_complaint, "
        "view_log (the access log about you was read), link_login or consent_research."
    )
    purpose: str | None = strawberry.field(description="Why, as the caller stated it.")
    groups: list[E.ElementGroup] = strawberry.field(
        description="The element groups they received or wrote."
    )


@strawberry.type(description="A disclosure of your information outside the HMIS.")
class Disclosure:
    id: strawberry.ID
    recipient: str
    recipient_type: DisclosureRecipientType
    legal_basis: str
    reference: str | None = strawberry.field(description="A court order, warrant or the like.")
    groups: list[E.ElementGroup]
    recorded_at: datetime.datetime

    @classmethod
    def from_row(cls, row) -> Disclosure:
        return cls(
            id=gid(row.id),
            recipient=row.recipient,
            recipient_type=RecipientType(row.recipient_type),
            legal_basis=row.legal_basis,
            reference=row.reference,
            groups=[Group(g) for g in row.groups],
            recorded_at=row.recorded_at,
        )


@strawberry.type(description="Your own record, as the notice lets you inspect it.")
class MyRecord:
    client: Client
    access_history: list[AccessRecord]
    disclosures: list[Disclosure]


@strawberry.type
class MyRecordQuery:
    @strawberry.field(description="Role `client` only: your record, or null if none is linked.")
    async def my_record(self, info: Info) -> MyRecord | None:
        principal = require_principal(info, Role.CLIENT)
        async with info.context.reading() as session:
            client_id = await reads.linked_client(session, subject=principal.subject)
            rows = await reads.clients_by_id(session, ids=[client_id] if client_id else [])
        if not rows:
            return None
        # Always as the signed-in client, even when the token carries other roles too.
        decision = Visibility.of(info.context).decide_own_record(client_id)
        info.context.access_log.release([client_id], AuditAction.VIEW)
        async with info.context.reading() as session:
            events = await audit.client_history(session, client_id=client_id)
            disclosed = await reads.disclosures(session, client_id=client_id)
        return MyRecord(
            client=Client(row=rows[0], decision=decision),
            access_history=[
                AccessRecord(
                    organization=entry.organization and Organization.from_row(entry.organization),
                    acting_role=entry.role,
                    at=entry.at,
                    action=entry.action,
                    purpose=entry.purpose,
                    groups=entry.groups,
                )
                for entry in accounting(events)
            ],
            disclosures=[Disclosure.from_row(d) for d in disclosed],
        )
