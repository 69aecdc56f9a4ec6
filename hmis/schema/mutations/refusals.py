"""recordSharingRefusal and revokeSharingRefusal (staff hold the signed form)."""

from __future__ import annotations

import datetime
import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hmis.auth import policy
from hmis.auth.policy import Action
from hmis.auth.principal import Role
from hmis.db import history, models, refusals
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


# A household of more people than this signs more than one form; the cap keeps one request
# from locking and covering thousands of clients.
MAX_HOUSEHOLD_MEMBERS = 20


async def _clients_exist(session, check: Check, ids, field: str) -> None:
    for index, client_id in enumerate(ids):
        row = await session.get(models.Client, client_id)
        if row is None or row.date_deleted is not None:
            check.fail(field if index == 0 else f"householdMemberIds.{index - 1}",
                       "no client has this ID", "NOT_FOUND")  # fmt: skip


def _acting_org(principal) -> uuid.UUID | None:
    """The organization whose staff act (None: an administrator, bound to none)."""
    admin = policy.acting_role(principal) is Role.HMIS_ADMIN
    return None if admin else principal.writer.organization_id


@strawberry.type
class RefusalMutations:
    @strawberry.mutation(description="Record a signed sharing refusal: administrators, or staff "
                         "of an organization that serves the client. Household members named "
                         f"(at most {MAX_HOUSEHOLD_MEMBERS}) must share a household with the "
                         "client in an enrollment you can see.")  # fmt: skip
    async def record_sharing_refusal(
        self, info: Info, input: RecordSharingRefusalInput
    ) -> SharingRefusalPayload:
        principal = allowed(info, Action.RECORD_REFUSAL)

        async def work(session: AsyncSession):
            check = Check()
            raw = input.household_member_ids or []
            if len(raw) > MAX_HOUSEHOLD_MEMBERS:
                check.fail("householdMemberIds", f"at most {MAX_HOUSEHOLD_MEMBERS} household "
                           f"members per form, got {len(raw)}", "TOO_MANY")  # fmt: skip
                check.done()
            client_id = check.uuid("clientId", input.client_id)
            members = [check.uuid(f"householdMemberIds.{i}", m) for i, m in enumerate(raw)]
            check.done()
            await history.begin_write(session, clients=[client_id, *members])  # lock, then read
            await _clients_exist(session, check, [client_id, *members], "clientId")
            check.done()
            org = _acting_org(principal)
            serving = org is not None and await refusals.serves(session, org, client_id)
            if not policy.may_record_refusal(principal, serves_client=serving):
                check.fail("clientId", "your organization has not served this client: a "
                           "refusal is recorded where the client signed it, or by the HMIS "
                           "lead", "NOT_SERVED")  # fmt: skip
                check.done()
            sharing = await refusals.household_members(session, client_id, members, org)
            for index, member in enumerate(members):
                if member not in sharing and member != client_id:
                    check.fail(f"householdMemberIds.{index}", "shares no household with the "
                               "client in an enrollment you can see",
                               "NOT_IN_HOUSEHOLD")  # fmt: skip
            check.done()
            refusal, covered = await refusals.record_refusal(
                session, principal.writer, client_id=client_id, household_member_ids=members
            )
            return SharingRefusal(id=gid(refusal.id), recorded_at=refusal.recorded_at,
                                  covered_client_ids=[gid(c) for c in covered])  # fmt: skip

        return await mutate(info, work, SharingRefusalPayload, "refusal")

    @strawberry.mutation(description="Revoke a refusal for one client (renewed consent): "
                         "administrators, or staff of the organization that recorded it. "
                         "Household members stay covered until revoked for them.")  # fmt: skip
    async def revoke_sharing_refusal(
        self, info: Info, input: RevokeSharingRefusalInput
    ) -> SharingRefusalPayload:
        principal = allowed(info, Action.RECORD_REFUSAL)

        async def work(session: AsyncSession):
            check = Check()
            client_id = check.uuid("clientId", input.client_id)
            check.done()
            await history.begin_write(session, clients=[client_id])  # lock, then read
            org = _acting_org(principal)
            mine = await refusals.recorded_by(session, client_id, org)
            if not mine or not policy.may_revoke_refusal(principal, recorded_by_own_org=True):
                # The same answer whether no refusal exists or another organization's does.
                where = "" if org is None else " recorded by your organization"
                check.fail("clientId", f"no active refusal{where} covers this client",
                           "NOT_REFUSED")  # fmt: skip
                check.done()
            # Staff end only their own organization's refusals: another organization's stays
            # (a client revoking it signs with them, or with the HMIS lead).
            ended = await refusals.revoke_refusal(
                session, principal.writer, client_id=client_id,
                refusals=None if org is None else [r.id for r in mine],
            )  # fmt: skip
            revoked_at = (await session.get(models.RefusalCoverage, ended[0].id)).revoked_at
            return SharingRefusal(id=gid(mine[0].id), recorded_at=mine[0].recorded_at,
                                  covered_client_ids=[gid(client_id)],
                                  revoked_at=revoked_at)  # fmt: skip

        return await mutate(info, work, SharingRefusalPayload, "refusal")
