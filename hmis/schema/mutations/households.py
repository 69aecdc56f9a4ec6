"""createHouseholdEnrollment: a household's intake in one transaction. Every member is enrolled
in one project of the caller's organization on one entry date, with one HouseholdID and their
relationships (HUD: exactly one head of household, relationship 1; every other member 2-5).
Errors name the member (`input.members.<index>.<field>`); nothing is written unless all pass."""

from __future__ import annotations

import datetime
import uuid

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hmis import hud
from hmis.auth.policy import Action
from hmis.db import history, in_view, models, reads
from hmis.resolvers.validate import Check
from hmis.resolvers.visibility import Visibility

from .. import enums as E
from ..enrollments import Enrollment, Project
from .common import FieldError, allowed, find_live, mutate

EARLIEST = datetime.date(1990, 1, 1)
MAX_MEMBERS = 20
MEMBER_CODES = {int(c) for c in (hud.RelationshipToHoH.CHILD,
                                 hud.RelationshipToHoH.SPOUSE_OR_PARTNER,
                                 hud.RelationshipToHoH.OTHER_RELATIVE,
                                 hud.RelationshipToHoH.NON_RELATION)}  # fmt: skip
HEAD = int(hud.RelationshipToHoH.SELF)


@strawberry.input
class HouseholdMemberInput:
    client_id: strawberry.ID
    relationship_to_hoh: E.RelationshipToHoH = strawberry.field(
        name="relationshipToHoH", description="SELF for exactly one member; else 2-5."
    )


@strawberry.input(description="Enroll a household in a project of your organization at once.")
class CreateHouseholdEnrollmentInput:
    project_id: strawberry.ID
    entry_date: datetime.date
    members: list[HouseholdMemberInput] = strawberry.field(
        description=f"1 to {MAX_MEMBERS} members, one of them the head of household."
    )


@strawberry.type
class HouseholdEnrollmentPayload:
    household_id: str | None = strawberry.field(description="The new household's HouseholdID.")
    enrollments: list[Enrollment] | None = strawberry.field(
        description="One per member, in the order given, as you may see them."
    )
    errors: list[FieldError]


def _members(check: Check, members: list[HouseholdMemberInput]) -> list[tuple[uuid.UUID, int]]:
    """Each member's client and relationship code, with the HUD household rules checked."""
    if not members:
        check.fail("members", "a household has at least one member", "REQUIRED")
    if len(members) > MAX_MEMBERS:
        check.fail("members", f"at most {MAX_MEMBERS} members", "TOO_MANY")
    check.done()
    parsed, seen = [], set()
    for i, member in enumerate(members):
        client_id = check.uuid(f"members.{i}.clientId", member.client_id)
        if client_id in seen:
            check.fail(f"members.{i}.clientId", "this client is listed twice", "DUPLICATE_MEMBER")
        seen.add(client_id)
        code = int(E.canonical(member.relationship_to_hoh).value)
        if code != HEAD and code not in MEMBER_CODES:
            check.fail(f"members.{i}.relationshipToHoH", "a member other than the head is the "
                       "head's child, spouse or partner, other relative or non-relation (2-5)",
                       "INVALID_RELATIONSHIP")  # fmt: skip
        parsed.append((client_id, code))
    heads = [i for i, (_, code) in enumerate(parsed) if code == HEAD]
    if not heads:
        check.fail("members", "exactly one member is the head of household (SELF)", "NO_HEAD")
    for i in heads[1:]:
        check.fail(f"members.{i}.relationshipToHoH", "the household has a head of household "
                   "already (one member is SELF)", "HEAD_EXISTS")  # fmt: skip
    check.done()
    return parsed


async def _present(info: Info, written) -> tuple[str, list[Enrollment]]:
    """The enrollments just made, as the caller may see them: one read, one decision."""
    household_id, ids = written
    visibility = Visibility.of(info.context)
    async with info.context.reading() as session:
        rows = [await session.get(models.Enrollment, i) for i in ids]
        clients = [await session.get(models.Client, r.client_id) for r in rows]
        found = await reads.enrollments(session, client_ids=[c.id for c in clients])
    await visibility.decide(clients)
    by_id = {row.id: (row, exit, project, org) for rows_ in found.values()
             for row, exit, project, org in rows_}  # fmt: skip
    shown = []
    for enrollment_id in ids:
        row, exit, project, org = by_id[enrollment_id]
        values = visibility.present(row)
        if values:
            shown.append(Enrollment.of(values, exit=exit and visibility.present(exit), row=row,
                                       project=Project.of(project, org)))  # fmt: skip
    return household_id, shown


@strawberry.type
class HouseholdMutations:
    @strawberry.mutation(description="Enroll several clients as one household in a project of "
                         "your organization, in one transaction.")  # fmt: skip
    async def create_household_enrollment(
        self, info: Info, input: CreateHouseholdEnrollmentInput
    ) -> HouseholdEnrollmentPayload:
        allowed(info, Action.RECORD_SERVICE)

        async def work(session: AsyncSession):
            check = Check()
            project_id = check.uuid("projectId", input.project_id)
            members = _members(check, input.members)
            project = await find_live(session, models.Project, project_id, check, "projectId")
            principal = allowed(info, Action.RECORD_SERVICE, owner_org=project.organization_id)
            await history.begin_write(session, clients=[c for c, _ in members])
            check.past_date("entryDate", input.entry_date, earliest=EARLIEST)
            if project.operating_start_date:
                check.not_before("entryDate", input.entry_date, project.operating_start_date,
                                 "the project's operating start date")  # fmt: skip
            ids = [c for c, _ in members]
            live = set(await session.scalars(
                select(models.Client.id).where(models.Client.id.in_(ids),
                                               reads.live(models.Client))
            ))  # fmt: skip
            open_here = await in_view.open_stays(
                session, principal.writer.organization_id, ids, project.id
            )
            for i, client_id in enumerate(ids):
                if client_id not in live:
                    check.fail(f"members.{i}.clientId", "no client has this ID", "NOT_FOUND")
                elif client_id in open_here:
                    check.fail(f"members.{i}.clientId", "the client already has an open "
                               "enrollment in this project", "OPEN_ENROLLMENT_EXISTS")  # fmt: skip
            check.done()
            household_id = uuid.uuid4().hex
            made = []
            for client_id, relationship in members:
                row = await history.create(
                    session, principal.writer, models.Enrollment,
                    organization_id=project.organization_id, client_id=client_id,
                    project_id=project.id, entry_date=input.entry_date,
                    household_id=household_id, relationship_to_hoh=relationship,
                )  # fmt: skip
                made.append(row.id)
            return household_id, made

        return await mutate(info, work, HouseholdEnrollmentPayload,
                            ("household_id", "enrollments"), read_back=_present)  # fmt: skip
