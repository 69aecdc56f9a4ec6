"""recordDisclosure: an administrator records a disclosure outside the HMIS (law enforcement,
coroner, required by law, serious threat, abuse or neglect report) with its legal basis, and
receives the requested groups of that one person (POLICY.md, Other uses)."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hmis.auth.policy import Action
from hmis.db import disclosures, models
from hmis.db.disclosures import RecipientType
from hmis.groups import ElementGroup
from hmis.resolvers.clients import one_client
from hmis.resolvers.validate import Check
from hmis.resolvers.visibility import Visibility

from .. import enums as E
from ..clients import Client
from ..my_record import Disclosure, DisclosureRecipientType
from .common import FieldError, allowed, find_live, mutate


@strawberry.input(description="A disclosure outside the HMIS and what it may contain.")
class RecordDisclosureInput:
    client_id: strawberry.ID = strawberry.field(description="The one person disclosed.")
    recipient: str = strawberry.field(description="Who receives it (an agency, an office).")
    recipient_type: DisclosureRecipientType
    legal_basis: str = strawberry.field(description="The law or rule that permits it.")
    reference: str | None = strawberry.field(
        default=None, description="The court order, warrant or case number, if any."
    )
    groups: list[E.ElementGroup] = strawberry.field(
        description="The element groups requested; only these are returned."
    )


@strawberry.type
class RecordDisclosurePayload:
    disclosure: Disclosure | None
    record: Client | None = strawberry.field(
        description="The requested groups of that one person, and nothing else: every other "
        "group is null with basis NOT_REQUESTED; no household member is ever included."
    )
    errors: list[FieldError]


@strawberry.type
class DisclosureMutations:
    @strawberry.mutation(description="Record a disclosure outside the HMIS and receive the "
                         "requested groups of that person (administrators).")  # fmt: skip
    async def record_disclosure(
        self, info: Info, input: RecordDisclosureInput
    ) -> RecordDisclosurePayload:
        principal = allowed(info, Action.ADMINISTER)
        groups = [ElementGroup(g.value) for g in dict.fromkeys(input.groups)]

        async def work(session: AsyncSession):
            check = Check()
            client_id = check.uuid("clientId", input.client_id)
            recipient = check.text("recipient", input.recipient, max_length=200, required=True)
            legal_basis = check.text("legal_basis", input.legal_basis, max_length=2000,
                                     required=True)  # fmt: skip
            reference = check.text("reference", input.reference, max_length=200)
            if not groups:
                check.fail("groups", "name at least one element group", "REQUIRED")
            check.done()
            await find_live(session, models.Client, client_id, check, "clientId")
            return await disclosures.record_disclosure(
                session, principal.writer, client_id=client_id, recipient=recipient,
                recipient_type=RecipientType(input.recipient_type.value),
                legal_basis=legal_basis, reference=reference, groups=groups,
            )  # fmt: skip

        async def read_back(info: Info, row: models.Disclosure):
            found = await one_client(info.context, row.client_id)
            record = None
            if found:
                # The narrowing is the policy's (`policy.restrict`); the payload only reads it.
                Visibility.of(info.context).narrow(row.client_id, groups)
                record = Client(
                    row=found[0], decision=Visibility.of(info.context).decision(row.client_id)
                )
            return Disclosure.from_row(row), record

        return await mutate(
            info, work, RecordDisclosurePayload, ("disclosure", "record"), read_back=read_back
        )
