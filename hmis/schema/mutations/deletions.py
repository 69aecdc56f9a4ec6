"""Deleting what was entered in error: soft (HUD DateDeleted), with a reason kept on the
deletion's version, audited like every write. A deleted record disappears for everyone,
partners frozen by a refusal included (POLICY.md: deletions are always visible).

- An enrollment takes its exit and the assessments taken at it (health, disabilities,
  income, domestic violence) with it: they describe a stay that did not happen. The head of
  a household whose other members remain in the project is not deleted (HEAD_OF_HOUSEHOLD):
  make another member the head first (`updateEnrollment`).
- A health record takes the disabilities recorded with it (the same `recordHealth`).
- A client (administrators only) takes every record of every organization and the client
  logins bound to it; refusals, consents, disclosures and complaints stay (they are the
  record of what was agreed and disclosed), as does the access log.
"""

from __future__ import annotations

import strawberry
from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hmis import hud
from hmis.auth.policy import Action
from hmis.db import history, in_view, models, reads
from hmis.resolvers.validate import Check

from .common import FieldError, allowed, find_live, run
from .owned import MAX_REASON_LENGTH, find_owned, reason

ASSESSMENTS = (models.HealthRecord, models.Disability, models.IncomeBenefit,
               models.DomesticViolence)  # fmt: skip
# A client's records, children before what they hang on (an exit before its enrollment).
CLIENT_RECORDS = (models.Exit, *ASSESSMENTS, models.Enrollment, models.CaseManagerAssignment,
                  models.Contact, models.CaseNote)  # fmt: skip
assert set(CLIENT_RECORDS) | {models.Client} == set(models.CLIENT_DATA_MODELS)


@strawberry.input(description="The record entered in error, and why.")
class DeleteRecordInput:
    id: strawberry.ID
    reason: str = strawberry.field(
        description=f"Why it is deleted (1 to {MAX_REASON_LENGTH} characters); kept with the "
        "record's history, never shown to partners."
    )


@strawberry.input(description="The record entered in error, and why.")
class DeleteEnrollmentInput(DeleteRecordInput):
    pass


@strawberry.input(description="The record entered in error, and why.")
class DeleteCaseManagerAssignmentInput(DeleteRecordInput):
    pass


@strawberry.input(description="The record entered in error, and why.")
class DeleteContactInput(DeleteRecordInput):
    pass


@strawberry.input(description="The record entered in error, and why.")
class DeleteHealthRecordInput(DeleteRecordInput):
    pass


@strawberry.input(description="The record entered in error, and why.")
class DeleteIncomeInput(DeleteRecordInput):
    pass


@strawberry.input(description="The record entered in error, and why.")
class DeleteDomesticViolenceInput(DeleteRecordInput):
    pass


@strawberry.input(description="The record entered in error, and why.")
class DeleteCaseNoteInput(DeleteRecordInput):
    pass


@strawberry.input(description="The record entered in error, and why.")
class DeleteClientInput(DeleteRecordInput):
    pass


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="Null when refused.")
    errors: list[FieldError]


async def _live(session: AsyncSession, model, *where) -> list:
    return list(await session.scalars(select(model).where(*where, reads.live(model))))


async def _with_enrollment(session, check: Check, principal, row: models.Enrollment,
                           seen) -> list:  # fmt: skip
    """What goes with an enrollment: its exit and assessments (HEAD_OF_HOUSEHOLD: refused).
    Whether it heads a household with other members is asked of the caller's view."""
    if seen.values["relationship_to_hoh"] == int(hud.RelationshipToHoH.SELF):
        members = await in_view.household(
            session, principal.writer.organization_id, seen.values["project_id"],
            seen.values["household_id"], excluding=row.id,
        )  # fmt: skip
        if members:
            check.fail("id", "other members of this household remain in the project: make "
                       "one of them the head of household first", "HEAD_OF_HOUSEHOLD")  # fmt: skip
    check.done()
    found = await _live(session, models.Exit, models.Exit.enrollment_id == row.id)
    for model in ASSESSMENTS:
        found += await _live(session, model, model.enrollment_id == row.id)
    return found


async def _with_health(session, row: models.HealthRecord) -> list:
    """The disabilities recorded in the same write as the health record."""
    d = models.Disability
    return await _live(session, d, d.client_id == row.client_id,
                       d.organization_id == row.organization_id,
                       d.date_created == row.date_created)  # fmt: skip


async def _delete(info: Info, model, input: DeleteRecordInput) -> DeletePayload:
    async def work(session: AsyncSession):
        check = Check()
        principal, row, seen = await find_owned(
            info, session, model, input.id, check, "id", Action.DELETE_RECORD
        )
        why = reason(check, input.reason)
        check.done()
        dependents = []
        if model is models.Enrollment:
            dependents = await _with_enrollment(session, check, principal, row, seen)
        elif model is models.HealthRecord:
            dependents = await _with_health(session, row)
        for record in [*dependents, row]:
            await history.delete(session, principal.writer, record, reason=why)
        return row.id

    outcome = await run(info, work)
    deleted = outcome.value and strawberry.ID(str(outcome.value))
    return DeletePayload(deleted_id=deleted, errors=outcome.errors or [])


@strawberry.type
class DeletionMutations:
    @strawberry.mutation(description="Delete an enrollment entered in error, with its exit and "
                         "the assessments taken at it.")  # fmt: skip
    async def delete_enrollment(self, info: Info, input: DeleteEnrollmentInput) -> DeletePayload:
        allowed(info, Action.DELETE_RECORD)
        return await _delete(info, models.Enrollment, input)

    @strawberry.mutation(description="Delete a case manager assignment entered in error.")
    async def delete_case_manager_assignment(
        self, info: Info, input: DeleteCaseManagerAssignmentInput
    ) -> DeletePayload:
        allowed(info, Action.DELETE_RECORD)
        return await _delete(info, models.CaseManagerAssignment, input)

    @strawberry.mutation(description="Delete your organization's contact details of a client.")
    async def delete_contact(self, info: Info, input: DeleteContactInput) -> DeletePayload:
        allowed(info, Action.DELETE_RECORD)
        return await _delete(info, models.Contact, input)

    @strawberry.mutation(description="Delete a health record entered in error, with the "
                         "disabilities recorded with it.")  # fmt: skip
    async def delete_health_record(
        self, info: Info, input: DeleteHealthRecordInput
    ) -> DeletePayload:
        allowed(info, Action.DELETE_RECORD)
        return await _delete(info, models.HealthRecord, input)

    @strawberry.mutation(description="Delete an income record entered in error.")
    async def delete_income(self, info: Info, input: DeleteIncomeInput) -> DeletePayload:
        allowed(info, Action.DELETE_RECORD)
        return await _delete(info, models.IncomeBenefit, input)

    @strawberry.mutation(description="Delete a domestic violence record entered in error.")
    async def delete_domestic_violence(
        self, info: Info, input: DeleteDomesticViolenceInput
    ) -> DeletePayload:
        allowed(info, Action.DELETE_RECORD)
        return await _delete(info, models.DomesticViolence, input)

    @strawberry.mutation(description="Delete a case note entered in error.")
    async def delete_case_note(self, info: Info, input: DeleteCaseNoteInput) -> DeletePayload:
        allowed(info, Action.DELETE_RECORD)
        return await _delete(info, models.CaseNote, input)

    @strawberry.mutation(description="Administrators: delete a client entered in error (a "
                         "duplicate, a test), with every record of every organization and its "
                         "client logins.")  # fmt: skip
    async def delete_client(self, info: Info, input: DeleteClientInput) -> DeletePayload:
        principal = allowed(info, Action.DELETE_CLIENT)

        async def work(session: AsyncSession):
            check = Check()
            client_id = check.uuid("id", input.id)
            why = reason(check, input.reason)
            check.done()
            await history.begin_write(session, clients=[client_id])
            client = await find_live(session, models.Client, client_id, check, "id")
            for model in CLIENT_RECORDS:
                for row in await _live(session, model, model.client_id == client.id):
                    await history.delete(session, principal.writer, row, reason=why)
            await history.delete(session, principal.writer, client, reason=why)
            login = models.ClientLogin
            await session.execute(sql_delete(login).where(login.client_id == client.id))
            return client.id

        outcome = await run(info, work)
        deleted = outcome.value and strawberry.ID(str(outcome.value))
        return DeletePayload(deleted_id=deleted, errors=outcome.errors or [])
