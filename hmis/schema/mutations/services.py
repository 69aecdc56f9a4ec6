"""createEnrollment, exitEnrollment, assignCaseManager: records of the organization that
operates the project (or employs the case manager)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hmis import hud
from hmis.auth.policy import Action
from hmis.auth.principal import Principal
from hmis.db import history, in_view, models, reads
from hmis.errors import Forbidden
from hmis.resolvers.validate import Check, today
from hmis.resolvers.visibility import Visibility

from .. import enums as E
from ..enrollments import CaseManagerAssignment, Enrollment, Project
from .common import FieldError, allowed, find_live, mutate
from .owned import find_owned

SUPERSEDED = "superseded by the exit the organization recorded"


@strawberry.input
class CreateEnrollmentInput:
    client_id: strawberry.ID
    project_id: strawberry.ID
    entry_date: datetime.date
    household_id: strawberry.ID | None = strawberry.field(
        default=None, description="Join an existing household; a new one when omitted."
    )
    relationship_to_hoh: E.RelationshipToHoH | None = strawberry.field(
        default=None, name="relationshipToHoH", description="Required with a householdId."
    )


@strawberry.input
class ExitEnrollmentInput:
    enrollment_id: strawberry.ID
    exit_date: datetime.date
    destination: E.Destination
    destination_subsidy_type: E.RentalSubsidyType | None = None
    reason_for_leaving: E.ReasonForLeaving | None = None


@strawberry.input
class AssignCaseManagerInput:
    client_id: strawberry.ID
    staff_user_id: strawberry.ID


@strawberry.type
class EnrollmentPayload:
    enrollment: Enrollment | None
    errors: list[FieldError]


@strawberry.type
class AssignCaseManagerPayload:
    assignment: CaseManagerAssignment | None
    errors: list[FieldError]


async def _client_and_owned(
    info: Info, session: AsyncSession, check: Check, raw_client_id, model, field: str, raw_id
) -> tuple[Principal, uuid.UUID, Any]:
    """The caller, the client and the `model` row named on `field`, found in this order: the
    row, then whether the caller writes for its organization, then (locked first:
    `history.begin_write`) the client."""
    client_id = check.uuid("clientId", raw_client_id)
    row_id = check.uuid(field, raw_id)
    check.done()
    row = await find_live(session, model, row_id, check, field)
    principal = allowed(info, Action.RECORD_SERVICE, owner_org=row.organization_id)
    await history.begin_write(session, clients=[client_id])
    await find_live(session, models.Client, client_id, check, "clientId")
    return principal, client_id, row


async def _present_enrollment(info: Info, enrollment_id: uuid.UUID) -> Enrollment | None:
    """The enrollment as the caller may see it, through the same decision as every read."""
    visibility = Visibility.of(info.context)
    async with info.context.reading() as session:
        enrollment = await session.get(models.Enrollment, enrollment_id)
        client = await session.get(models.Client, enrollment.client_id)
        found = (await reads.enrollments(session, client_ids=[client.id]))[client.id]
    await visibility.decide([client])
    for row, exit, project, org in found:
        values = row.id == enrollment_id and visibility.present(row)
        if values:
            return Enrollment.of(values, exit=exit and visibility.present(exit),
                                 row=row,
                                 project=Project.of(project, org))  # fmt: skip
    return None


async def _present_assignment(info: Info, written) -> CaseManagerAssignment:
    """The assignment just written (with its case manager) as the caller may see it."""
    assignment_id, staff = written
    async with info.context.reading() as session:
        row = await session.get(models.CaseManagerAssignment, assignment_id)
        client = await session.get(models.Client, row.client_id)
        org = await session.get(models.Organization, staff.organization_id)
    visibility = Visibility.of(info.context)
    await visibility.decide([client])
    values = visibility.present(row)
    if values is None:
        raise Forbidden("the assignment is not visible to you")
    return CaseManagerAssignment.of(values, staff, org)


@strawberry.type
class ServiceMutations:
    @strawberry.mutation(description="Enroll a client in a project of your organization.")
    async def create_enrollment(
        self, info: Info, input: CreateEnrollmentInput
    ) -> EnrollmentPayload:
        allowed(info, Action.RECORD_SERVICE)

        async def work(session: AsyncSession):
            check = Check()
            principal, client_id, project = await _client_and_owned(
                info, session, check, input.client_id, models.Project, "projectId", input.project_id
            )
            check.past_date("entryDate", input.entry_date, earliest=datetime.date(1990, 1, 1))
            if project.operating_start_date:
                check.not_before("entryDate", input.entry_date, project.operating_start_date,
                                 "the project's operating start date")  # fmt: skip
            open_here = await in_view.open_stays(
                session, principal.writer.organization_id, [client_id], project.id
            )
            if open_here:
                check.fail("projectId", "the client already has an open enrollment in this "
                           "project", "OPEN_ENROLLMENT_EXISTS")  # fmt: skip
            relationship = input.relationship_to_hoh
            if input.household_id and relationship is None:
                check.fail("relationshipToHoH", "`relationshipToHoH` is required when joining "
                           "a household", "REQUIRED")  # fmt: skip
            check.done()
            row = await history.create(
                session, principal.writer, models.Enrollment,
                organization_id=project.organization_id, client_id=client_id,
                project_id=project.id, entry_date=input.entry_date,
                household_id=str(input.household_id or uuid.uuid4().hex),
                relationship_to_hoh=int(
                    relationship.value if relationship else hud.RelationshipToHoH.SELF
                ),
            )  # fmt: skip
            return row.id

        return await mutate(
            info, work, EnrollmentPayload, "enrollment", read_back=_present_enrollment
        )

    @strawberry.mutation(description="Record the exit of an enrollment of your organization.")
    async def exit_enrollment(self, info: Info, input: ExitEnrollmentInput) -> EnrollmentPayload:
        allowed(info, Action.RECORD_SERVICE)

        async def work(session: AsyncSession):
            check = Check()
            principal, enrollment, seen = await find_owned(
                info, session, models.Enrollment, input.enrollment_id, check, "enrollmentId",
                Action.RECORD_SERVICE,
            )  # fmt: skip
            exit, _, hidden = await in_view.exit_of(
                session, principal.writer.organization_id, enrollment.id
            )
            if exit is not None:
                check.fail("enrollmentId", "this enrollment already has an exit", "ALREADY_EXITED")
            check.past_date("exitDate", input.exit_date, earliest=datetime.date(1990, 1, 1))
            check.not_before("exitDate", input.exit_date, seen.values["entry_date"],
                             "the entry date")  # fmt: skip
            check.done()
            if hidden is not None:
                # An exit written out of the caller's sight (one live exit per enrollment):
                # the caller's exit supersedes it, as if it did not exist.
                await history.delete(session, principal.writer, hidden, reason=SUPERSEDED)
            await history.create(
                session, principal.writer, models.Exit,
                organization_id=enrollment.organization_id, enrollment_id=enrollment.id,
                client_id=enrollment.client_id, exit_date=input.exit_date,
                destination=int(input.destination.value),
                destination_subsidy_type=input.destination_subsidy_type
                and int(input.destination_subsidy_type.value),
                reason_for_leaving=input.reason_for_leaving
                and int(input.reason_for_leaving.value),
            )  # fmt: skip
            return enrollment.id

        return await mutate(
            info, work, EnrollmentPayload, "enrollment", read_back=_present_enrollment
        )

    @strawberry.mutation(description="Assign a case manager of your organization to a client; "
                         "your organization's earlier assignment ends today.")  # fmt: skip
    async def assign_case_manager(
        self, info: Info, input: AssignCaseManagerInput
    ) -> AssignCaseManagerPayload:
        allowed(info, Action.RECORD_SERVICE)

        async def work(session: AsyncSession):
            check = Check()
            principal, client_id, staff = await _client_and_owned(
                info,
                session,
                check,
                input.client_id,
                models.StaffUser,
                "staffUserId",
                input.staff_user_id,
            )
            a = models.CaseManagerAssignment
            # One current assignment per client and organization (a unique index): one made
            # out of the caller's sight is ended too, and stays out of its sight.
            seen, hidden = await in_view.seen_and_hidden(
                session, principal.writer.organization_id, a,
                [a.client_id == client_id, a.end_date.is_(None),
                 a.organization_id == staff.organization_id],
            )  # fmt: skip
            for previous, view in seen:
                await history.update(session, principal.writer, previous, {"end_date": today()},
                                     seen=view)  # fmt: skip
            for previous in hidden:
                unseen = history.View({c: getattr(previous, c) for c in a.data_columns()},
                                      previous.version)  # fmt: skip
                await history.update(session, principal.writer, previous, {"end_date": today()},
                                     seen=unseen)  # fmt: skip
            row = await history.create(
                session, principal.writer, a, organization_id=staff.organization_id,
                client_id=client_id, staff_user_id=staff.id, start_date=today(),
            )  # fmt: skip
            return row.id, staff

        return await mutate(
            info, work, AssignCaseManagerPayload, "assignment", read_back=_present_assignment
        )
