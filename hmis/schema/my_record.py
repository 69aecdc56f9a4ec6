"""`myRecord`: a signed-in client's own record, who accessed it, and outside disclosures."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from hmis.auth.guards import require_principal
from hmis.auth.principal import Role
from hmis.db import reads
from hmis.groups import ElementGroup as Group
from hmis.resolvers import clients as load

from . import enums as E
from .clients import Client
from .groups import gid
from .public import Organization


@strawberry.type(description="An access to your record: the organization, never the person.")
class AccessRecord:
    organization: Organization | None = strawberry.field(
        description="Null for HMIS administrators and others acting for no organization."
    )
    at: datetime.datetime
    action: str
    groups: list[E.ElementGroup]


@strawberry.type(description="A disclosure of your information outside the HMIS.")
class Disclosure:
    id: strawberry.ID
    recipient: str
    recipient_type: str
    legal_basis: str
    groups: list[E.ElementGroup]
    recorded_at: datetime.datetime


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
        found = client_id and await load.one_client(info.context, client_id)
        if not found:
            return None
        async with info.context.reading() as session:
            events = await reads.access_history(session, client_id=client_id)
            disclosed = await reads.disclosures(session, client_id=client_id)
        return MyRecord(
            client=Client(row=found[0], decision=found[1]),
            access_history=[
                AccessRecord(
                    organization=org and Organization.from_row(org),
                    at=event.at,
                    action=event.action,
                    groups=[Group(g) for g in event.groups],
                )
                for event, org in events
            ],
            disclosures=[
                Disclosure(
                    id=gid(d.id),
                    recipient=d.recipient,
                    recipient_type=d.recipient_type,
                    legal_basis=d.legal_basis,
                    groups=[Group(g) for g in d.groups],
                    recorded_at=d.recorded_at,
                )
                for d in disclosed
            ],
        )
