"""updateEnrollment, updateExit, reopenEnrollment, endCaseManagerAssignment: fixing a stay or an
assignment after the fact, by the organization it belongs to.

Changing an entry date, a household or an exit fixes what was recorded wrong: these are
corrections (`CORRECT` versions), which reach partners frozen by a refusal for the fields they
could see then (POLICY.md). Ending an assignment is a new fact, an ordinary update: partners
frozen by a refusal keep seeing the assignment as it stood then."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hmis import hud
from hmis.auth.policy import Action
from hmis.db import history, in_view, models
from hmis.db.models.history import CORRECT
from hmis.resolvers.validate import Check, today

from .. import enums as E
from ..enrollments import Enrollment
from .common import FieldError, allowed, mutate
from .owned import MAX_REASON_LENGTH, find_owned, reason, stale
from .services import AssignCaseManagerPayload, _present_assignment, _present_enrollment

EARLIEST = datetime.date(1990, 1, 1)
MAX_HOUSEHOLD_ID = 32
HEAD = int(hud.RelationshipToHoH.SELF)
VERSION_NOTE = "The version you edited (from the last payload); stale: STALE_VERSION."


@strawberry.input(description="Fix an enrollment of your organization; only the fields present "
                  "change. A correction: partners see it for fields they could see.")  # fmt: skip
class UpdateEnrollmentInput:
    enrollment_id: strawberry.ID
    entry_date: datetime.date | None = strawberry.UNSET
    household_id: str | None = strawberry.field(
        default=strawberry.UNSET, description="Move the enrollment to another household."
    )
    relationship_to_hoh: E.RelationshipToHoH | None = strawberry.field(
        default=strawberry.UNSET, name="relationshipToHoH",
        description="SELF only when the household has no other head in this project.",
    )  # fmt: skip
    version: int | None = strawberry.field(default=None, description=VERSION_NOTE)


@strawberry.input(description="Fix the exit of an enrollment of your organization; only the "
                  "fields present change. A correction.")  # fmt: skip
class UpdateExitInput:
    enrollment_id: strawberry.ID
    exit_date: datetime.date | None = strawberry.UNSET
    destination: E.Destination | None = strawberry.UNSET
    destination_subsidy_type: E.RentalSubsidyType | None = strawberry.UNSET
    reason_for_leaving: E.ReasonForLeaving | None = strawberry.UNSET
    version: int | None = strawberry.field(
        default=None, description="The exit's version you edited (from the last payload)."
    )


@strawberry.input(description="Remove an exit recorded in error: the enrollment is open again.")
class ReopenEnrollmentInput:
    enrollment_id: strawberry.ID
    reason: str = strawberry.field(
        description=f"Why the exit was wrong (1 to {MAX_REASON_LENGTH} characters), kept with "
        "its history."
    )


@strawberry.input
class EndCaseManagerAssignmentInput:
    assignment_id: strawberry.ID
    end_date: datetime.date | None = strawberry.field(
        default=None, description="The last day of the assignment; today when omitted."
    )
    version: int | None = strawberry.field(default=None, description=VERSION_NOTE)


@strawberry.type
class UpdateEnrollmentPayload:
    enrollment: Enrollment | None
    version: int | None = strawberry.field(
        description="Of the record changed (the enrollment, or its exit): send it back to "
        "edit it again."
    )
    errors: list[FieldError]


def _code(value) -> int | None:
    return None if value is None else int(E.canonical(value).value)


def _given(input, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: getattr(input, n) for n in names if getattr(input, n) is not strawberry.UNSET}


async def _exit_seen(session: AsyncSession, principal, enrollment_id: uuid.UUID):
    """The enrollment's live exit and the caller's view of it, or (None, None) when there is
    none the caller sees (one written out of its sight is no exit to it: `NOT_EXITED`)."""
    row, seen, _hidden = await in_view.exit_of(
        session, principal.writer.organization_id, enrollment_id
    )
    return row, seen


async def _correct(session, principal, row, seen: history.View, values: dict) -> int:
    """Apply the values that differ from the caller's view as a correction; the version the
    caller now sees."""
    changed = {k: v for k, v in values.items() if seen.values.get(k) != v}
    if changed:
        await history.update(session, principal.writer, row, changed, kind=CORRECT, seen=seen)
    return (await history.view(session, principal.writer.organization_id, row)).version


async def _with_version(info: Info, written) -> tuple[Enrollment | None, int]:
    enrollment_id, version = written
    return await _present_enrollment(info, enrollment_id), version


async def _check_head(
    session, check: Check, principal, row: models.Enrollment, seen, household_id: str
) -> None:
    """HUD: one head of household. Another enrollment of the household in this project heads
    it already, in the caller's view (`in_view.household`: nothing hidden is consulted)."""
    members = await in_view.household(
        session, principal.writer.organization_id, seen.values["project_id"], household_id,
        excluding=row.id,
    )  # fmt: skip
    if any(other.values["relationship_to_hoh"] == HEAD for _, other in members):
        message = "the household has a head of household in this project already"
        check.fail("relationshipToHoH", message + "; change theirs first", "HEAD_EXISTS")


@strawberry.type
class LifecycleMutations:
    @strawberry.mutation(description="Fix the entry date or household of an enrollment of your "
                         "organization (a correction).")  # fmt: skip
    async def update_enrollment(
        self, info: Info, input: UpdateEnrollmentInput
    ) -> UpdateEnrollmentPayload:
        allowed(info, Action.RECORD_SERVICE)

        async def work(session: AsyncSession):
            check = Check()
            principal, row, seen = await find_owned(
                info, session, models.Enrollment, input.enrollment_id, check, "enrollmentId",
                Action.RECORD_SERVICE,
            )  # fmt: skip
            values = _given(input, ("entry_date", "household_id", "relationship_to_hoh"))
            stale(check, input.version, seen)
            for name in values:
                if values[name] is None:
                    check.fail(name, f"`{name}` cannot be emptied", "REQUIRED")
            check.done()
            if "entry_date" in values:
                entry = check.past_date("entryDate", values["entry_date"], earliest=EARLIEST)
                project = await session.get(models.Project, row.project_id)
                if project.operating_start_date:
                    check.not_before("entryDate", entry, project.operating_start_date,
                                     "the project's operating start date")  # fmt: skip
                _, exit = await _exit_seen(session, principal, row.id)
                exit_date = exit and exit.values["exit_date"]
                if exit_date is not None and entry > exit_date:
                    check.fail("entryDate", f"`entryDate` is after the exit date "
                               f"({exit_date.isoformat()})", "DATE_ORDER")  # fmt: skip
            if "household_id" in values:
                values["household_id"] = check.text(
                    "householdId", values["household_id"], max_length=MAX_HOUSEHOLD_ID,
                    required=True,
                )  # fmt: skip
            if "relationship_to_hoh" in values:
                values["relationship_to_hoh"] = _code(values["relationship_to_hoh"])
            relationship = values.get("relationship_to_hoh", seen.values["relationship_to_hoh"])
            if relationship == int(hud.RelationshipToHoH.SELF):
                household = values.get("household_id") or seen.values["household_id"]
                await _check_head(session, check, principal, row, seen, household)
            check.done()
            return row.id, await _correct(session, principal, row, seen, values)

        return await mutate(info, work, UpdateEnrollmentPayload, ("enrollment", "version"),
                            read_back=_with_version)  # fmt: skip

    @strawberry.mutation(description="Fix the exit of an enrollment of your organization: "
                         "date, destination, reason for leaving (a correction).")  # fmt: skip
    async def update_exit(self, info: Info, input: UpdateExitInput) -> UpdateEnrollmentPayload:
        allowed(info, Action.RECORD_SERVICE)

        async def work(session: AsyncSession):
            check = Check()
            principal, enrollment, enrollment_seen = await find_owned(
                info, session, models.Enrollment, input.enrollment_id, check, "enrollmentId",
                Action.RECORD_SERVICE,
            )  # fmt: skip
            exit, seen = await _exit_seen(session, principal, enrollment.id)
            if exit is None:
                check.fail("enrollmentId", "this enrollment has no exit", "NOT_EXITED")
                check.done()
            stale(check, input.version, seen)
            values = _given(input, ("exit_date", "destination", "destination_subsidy_type",
                                    "reason_for_leaving"))  # fmt: skip
            for name in ("exit_date", "destination"):
                if name in values and values[name] is None:
                    check.fail(name, f"`{name}` cannot be emptied", "REQUIRED")
            check.done()
            if "exit_date" in values:
                check.past_date("exitDate", values["exit_date"], earliest=EARLIEST)
                entry = enrollment_seen.values["entry_date"]
                check.not_before("exitDate", values["exit_date"], entry, "the entry date")
            for name in ("destination", "destination_subsidy_type", "reason_for_leaving"):
                if name in values:
                    values[name] = _code(values[name])
            check.done()
            return enrollment.id, await _correct(session, principal, exit, seen, values)

        return await mutate(info, work, UpdateEnrollmentPayload, ("enrollment", "version"),
                            read_back=_with_version)  # fmt: skip

    @strawberry.mutation(description="Remove an exit recorded in error, with a reason: the "
                         "enrollment is open again, for partners too.")  # fmt: skip
    async def reopen_enrollment(
        self, info: Info, input: ReopenEnrollmentInput
    ) -> UpdateEnrollmentPayload:
        allowed(info, Action.RECORD_SERVICE)

        async def work(session: AsyncSession):
            check = Check()
            principal, enrollment, seen = await find_owned(
                info, session, models.Enrollment, input.enrollment_id, check, "enrollmentId",
                Action.RECORD_SERVICE,
            )  # fmt: skip
            why = reason(check, input.reason)
            exit, _ = await _exit_seen(session, principal, enrollment.id)
            if exit is None:
                check.fail("enrollmentId", "this enrollment has no exit", "NOT_EXITED")
            other_open = await in_view.open_stays(
                session, principal.writer.organization_id, [seen.values["client_id"]],
                seen.values["project_id"], excluding=enrollment.id,
            )  # fmt: skip
            if other_open:
                check.fail("enrollmentId", "the client has another open enrollment in this "
                           "project", "OPEN_ENROLLMENT_EXISTS")  # fmt: skip
            check.done()
            await history.delete(session, principal.writer, exit, reason=why)
            return enrollment.id, seen.version

        return await mutate(info, work, UpdateEnrollmentPayload, ("enrollment", "version"),
                            read_back=_with_version)  # fmt: skip

    @strawberry.mutation(description="End a case manager assignment of your organization on a "
                         "date (today when omitted).")  # fmt: skip
    async def end_case_manager_assignment(
        self, info: Info, input: EndCaseManagerAssignmentInput
    ) -> AssignCaseManagerPayload:
        allowed(info, Action.RECORD_SERVICE)

        async def work(session: AsyncSession):
            check = Check()
            principal, row, seen = await find_owned(
                info, session, models.CaseManagerAssignment, input.assignment_id, check,
                "assignmentId", Action.RECORD_SERVICE,
            )  # fmt: skip
            stale(check, input.version, seen)
            end = input.end_date or today()
            if seen.values["end_date"] is not None:
                check.fail("assignmentId", "this assignment has ended already", "ALREADY_ENDED")
            check.past_date("endDate", end, earliest=EARLIEST)
            check.not_before("endDate", end, seen.values["start_date"], "the start date")
            check.done()
            await history.update(session, principal.writer, row, {"end_date": end}, seen=seen)
            return row.id, await session.get(models.StaffUser, row.staff_user_id)

        return await mutate(info, work, AssignCaseManagerPayload, "assignment",
                            read_back=_present_assignment)  # fmt: skip
