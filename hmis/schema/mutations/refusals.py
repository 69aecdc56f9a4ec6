"""recordSharingRefusal and revokeSharingRefusal (staff hold the signed form)."""

from __future__ import annotations

import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hmis.auth.policy import Action
from hmis.db import models, refusals
from hmis.resolvers.validate import Check

from ..groups import gid
from .common import FieldError, allowed, mutate


@strawberry.input
class RecordSharingRefusalInput:
    client_id: strawberry.ID = strawberry.field(description="The client who signed the form.")
    household_member_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Household members the form names; each is covered too."
    )


@strawberry.input
class RevokeSharingRefusalInput:
    client_id: strawberry.ID


@strawberry.type(description="A Client Data Sharing Refusal and the clients it covers.")
class SharingRefusal:
    id: strawberry.ID
    recorded_at: datetime.datetime = strawberry.field(
        description="The database's time of the refusal: partners see data as it stood then."
    )
    covered_client_ids: list[strawberry.ID]
    revoked_at: datetime.datetime | None = strawberry.field(
        default=None, description="Set on revocation, for the client revoked."
    )


@strawberry.type
class SharingRefusalPayload:
    refusal: SharingRefusal | None
    errors: list[FieldError]


async def _clients_exist(session, check: Check, ids, field: str) -> None:
    for index, client_id in enumerate(ids):
        row = await session.get(models.Client, client_id)
        if row is None or row.date_deleted is not None:
            check.fail(field if index == 0 else f"householdMemberIds.{index - 1}",
                       "no client has this ID", "NOT_FOUND")  # fmt: skip


@strawberry.type
class RefusalMutations:
    @strawberry.mutation(description="Record a signed sharing refusal (staff, administrators).")
    async def record_sharing_refusal(
        self, info: Info, input: RecordSharingRefusalInput
    ) -> SharingRefusalPayload:
        principal = allowed(info, Action.RECORD_REFUSAL)

        async def work(session: AsyncSession):
            check = Check()
            client_id = check.uuid("clientId", input.client_id)
            members = [check.uuid(f"householdMemberIds.{i}", m)
                       for i, m in enumerate(input.household_member_ids or [])]  # fmt: skip
            check.done()
            await _clients_exist(session, check, [client_id, *members], "clientId")
            check.done()
            refusal, covered = await refusals.record_refusal(
                session, principal.writer, client_id=client_id, household_member_ids=members
            )
            return SharingRefusal(id=gid(refusal.id), recorded_at=refusal.recorded_at,
                                  covered_client_ids=[gid(c) for c in covered])  # fmt: skip

        return await mutate(info, work, SharingRefusalPayload, "refusal")

    @strawberry.mutation(description="Revoke a refusal for one client (renewed consent); "
                         "household members stay covered until revoked for them.")  # fmt: skip
    async def revoke_sharing_refusal(
        self, info: Info, input: RevokeSharingRefusalInput
    ) -> SharingRefusalPayload:
        principal = allowed(info, Action.RECORD_REFUSAL)

        async def work(session: AsyncSession):
            check = Check()
            client_id = check.uuid("clientId", input.client_id)
            check.done()
            ended = await refusals.revoke_refusal(session, principal.writer, client_id=client_id)
            if not ended:
                check.fail("clientId", "no active refusal covers this client", "NOT_REFUSED")
                check.done()
            first = await session.get(models.SharingRefusal, ended[0].refusal_id)
            revoked_at = (await session.get(models.RefusalCoverage, ended[0].id)).revoked_at
            return SharingRefusal(id=gid(first.id), recorded_at=first.recorded_at,
                                  covered_client_ids=[gid(client_id)],
                                  revoked_at=revoked_at)  # fmt: skip

        return await mutate(info, work, SharingRefusalPayload, "refusal")
