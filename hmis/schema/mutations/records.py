"""setContact, recordHealth, recordIncome, recordDomesticViolence, addCaseNote: the
agency-only groups. Each record belongs to the writing organization, and only its staff
write it (`Action.RECORD_SERVICE`). Contact details are PPI for a victim service provider."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hmis.auth.policy import Action
from hmis.db import history, in_view, models
from hmis.groups import ElementGroup
from hmis.resolvers import assessments
from hmis.resolvers.validate import Check, today
from hmis.resolvers.visibility import Visibility

from .. import enums as E
from .. import groups as T
from .common import FieldError, allowed, caller_org, find_live, mutate, refuse_ppi

EARLIEST = datetime.date(1990, 1, 1)
MAX_NOTE_LENGTH = 10_000
SUPERSEDED = "superseded by the contact the organization recorded"
CONTACT_RULES = {  # each field of SetContactInput and its rule
    "phone": Check.phone,
    "email": Check.email,
    "address_line1": lambda check, field, value: check.text(field, value, max_length=200),
    "city": lambda check, field, value: check.text(field, value, max_length=100),
    "state": Check.us_state,
    "zip": Check.zip,
}


@strawberry.input(
    description="Your organization's contact details for a client; only the "
    "fields present are changed, null clears one."
)
class SetContactInput:
    client_id: strawberry.ID
    phone: str | None = strawberry.field(default=strawberry.UNSET, description="Ten digits.")
    email: str | None = strawberry.UNSET
    address_line1: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    state: str | None = strawberry.field(default=strawberry.UNSET, description="USPS code.")
    zip: str | None = strawberry.field(default=strawberry.UNSET, description="ZIP or ZIP+4.")
    version: int | None = strawberry.field(
        default=None, description="The version you edited (from the last payload); stale: error."
    )


@strawberry.input
class AssessmentInput:
    """Fields every dated assessment shares (HUD InformationDate, DataCollectionStage)."""

    client_id: strawberry.ID
    information_date: datetime.date | None = strawberry.field(
        default=None, description="When the information was collected; today when omitted."
    )
    enrollment_id: strawberry.ID | None = strawberry.field(
        default=None, description="An enrollment of your organization, for this client."
    )
    data_collection_stage: E.DataCollectionStage | None = None


@strawberry.input
class DisabilityInput:
    disability_type: E.DisabilityType
    response: int = strawberry.field(
        description="HUD DisabilityResponse: list 4.10.2 for substance use, else 1.8 (0/1/8/9/99)."
    )
    indefinite_and_impairs: E.NoYesMissing | None = None


@strawberry.input
class RecordHealthInput(AssessmentInput):
    disabling_condition: E.NoYesMissing
    disabilities: list[DisabilityInput] | None = None


@strawberry.input
class IncomeSourceInput:
    source: E.IncomeSourceType
    amount: Decimal = strawberry.field(description="Monthly amount in dollars, at least 0.")


@strawberry.input
class RecordIncomeInput(AssessmentInput):
    income_from_any_source: E.NoYesMissing
    total_monthly_income: Decimal | None = strawberry.field(
        default=None, description="Must equal the sum of the sources; derived when omitted."
    )
    sources: list[IncomeSourceInput] | None = None
    other_income_source_identify: str | None = strawberry.field(
        default=None, description="Required with OTHER_INCOME_SOURCE."
    )


@strawberry.input
class RecordDomesticViolenceInput(AssessmentInput):
    survivor: E.NoYesMissing
    when_occurred: E.WhenDVOccurred | None = strawberry.field(
        default=None, description="Only when survivor is YES."
    )
    currently_fleeing: E.NoYesMissing | None = strawberry.field(
        default=None, description="Only when survivor is YES."
    )


@strawberry.input
class AddCaseNoteInput:
    client_id: strawberry.ID
    text: str = strawberry.field(description="1 to 10,000 characters.")
    compiled_for_legal_proceeding: bool = strawberry.field(
        default=False, description="Left out of the client's own copy."
    )
    note_date: datetime.date | None = strawberry.field(default=None, description="Default today.")


@strawberry.type
class SetContactPayload:
    contact: T.Contact | None
    version: int | None = strawberry.field(description="Send it back to edit this contact again.")
    errors: list[FieldError]


@strawberry.type
class RecordHealthPayload:
    health: T.Health | None
    errors: list[FieldError]


@strawberry.type
class RecordIncomePayload:
    income: T.Income | None
    errors: list[FieldError]


@strawberry.type
class RecordDomesticViolencePayload:
    domestic_violence: T.DomesticViolence | None
    errors: list[FieldError]


@strawberry.type
class AddCaseNotePayload:
    case_note: T.CaseNote | None
    errors: list[FieldError]


# --- shared steps -----------------------------------------------------------------------------


async def _client(session: AsyncSession, check: Check, raw_id) -> uuid.UUID:
    """Lock the client (before anything is read: `history.begin_write`), then find it."""
    client_id = check.uuid("clientId", raw_id)
    check.done()
    await history.begin_write(session, clients=[client_id])
    await find_live(session, models.Client, client_id, check, "clientId")
    return client_id


async def _assessment(info: Info, session: AsyncSession, check: Check, input) -> dict[str, Any]:
    """The client, and the enrollment and dating fields of an assessment, checked."""
    client_id = await _client(session, check, input.client_id)
    enrollment_id = None
    if input.enrollment_id is not None:
        enrollment_id = check.uuid("enrollmentId", input.enrollment_id)
        check.done()
        enrollment = await find_live(
            session, models.Enrollment, enrollment_id, check, "enrollmentId"
        )
        allowed(info, Action.RECORD_SERVICE, owner_org=enrollment.organization_id)
        if enrollment.client_id != client_id:
            check.fail("enrollmentId", "the enrollment is not this client's", "WRONG_CLIENT")
    information_date = input.information_date or today()
    check.past_date("informationDate", information_date, earliest=EARLIEST)
    stage = input.data_collection_stage
    return dict(
        client_id=client_id,
        enrollment_id=enrollment_id,
        information_date=information_date,
        data_collection_stage=stage and int(stage.value),
    )


async def _present(info: Info, model, ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """The records just written, as the caller may see them (the read path's decision)."""
    visibility = Visibility.of(info.context)
    async with info.context.reading() as session:
        rows = [await session.get(model, i) for i in ids]
        client = await session.get(models.Client, rows[0].client_id)
    await visibility.decide([client])
    return [v for v in (visibility.present(row) for row in rows) if v is not None]


def _one(model, make):
    """A `read_back` for one record just written: `make` of what the caller may see of it,
    or None."""

    async def read_back(info: Info, record_id: uuid.UUID):
        shown = await _present(info, model, [record_id])
        return shown and make(shown[0]) or None

    return read_back


async def _present_contact(info: Info, written) -> tuple[T.Contact | None, int]:
    record_id, version = written
    return await _one(models.Contact, T.Contact.of)(info, record_id), version


async def _present_health(info: Info, written) -> T.Health | None:
    health_id, disability_ids = written
    shown = await _present(info, models.HealthRecord, [health_id])
    if not shown:
        return None
    disabilities = disability_ids and await _present(info, models.Disability, disability_ids)
    return T.Health(
        id=T.gid(shown[0]["id"]),
        disabling_condition=E.code(E.NoYesMissing, shown[0]["disabling_condition"]),
        information_date=shown[0]["information_date"],
        disabilities=[T.Disability.of(d) for d in disabilities or []],
    )


@strawberry.type
class RecordMutations:
    @strawberry.mutation(
        description="Set your organization's contact details for a client "
        "(not for victim service providers: contact details are PPI)."
    )
    async def set_contact(self, info: Info, input: SetContactInput) -> SetContactPayload:
        principal = allowed(info, Action.RECORD_SERVICE)

        async def work(session: AsyncSession):
            check = Check()
            client_id = await _client(session, check, input.client_id)
            values = {
                name: rule(check, name, getattr(input, name))
                for name, rule in CONTACT_RULES.items()
                if getattr(input, name) is not strawberry.UNSET
            }
            refuse_ppi(check, await caller_org(session, principal), ElementGroup.CONTACT, values)
            check.done()
            c = models.Contact
            # One contact per client and organization: one written out of the caller's sight
            # (after the client's refusal, by an administrator's import) is superseded.
            seen, hidden = await in_view.seen_and_hidden(
                session, principal.writer.organization_id, c,
                [c.client_id == client_id, c.organization_id == principal.organization_id],
            )  # fmt: skip
            for row in hidden:
                await history.delete(session, principal.writer, row, reason=SUPERSEDED)
            row = seen[0][0] if seen else None
            if row is None:
                row = await history.create(
                    session, principal.writer, c, client_id=client_id, **values
                )
                return row.id, row.version
            try:
                await history.update(
                    session, principal.writer, row, values, expected_version=input.version
                )
            except history.StaleVersion as stale:
                check.fail("version", str(stale), "STALE_VERSION")
                check.done()
            # The version the caller sees (an administrator's later edit of this contact is
            # not counted for staff frozen by a refusal).
            return row.id, (
                await history.view(session, principal.writer.organization_id, row)
            ).version

        return await mutate(
            info, work, SetContactPayload, ("contact", "version"), read_back=_present_contact
        )

    @strawberry.mutation(
        description="Record disabling condition and disabilities (HUD 3.08, "
        "4.05-4.10) as of an information date."
    )
    async def record_health(self, info: Info, input: RecordHealthInput) -> RecordHealthPayload:
        principal = allowed(info, Action.RECORD_SERVICE)

        async def work(session: AsyncSession):
            check = Check()
            dated = await _assessment(info, session, check, input)
            disabilities = assessments.disabilities(
                check, input.disabling_condition, input.disabilities
            )
            check.done()
            w = principal.writer
            condition = int(input.disabling_condition.value)
            health = await history.create(
                session, w, models.HealthRecord, **dated, disabling_condition=condition
            )
            made = [
                await history.create(session, w, models.Disability, **dated, **d)
                for d in disabilities
            ]
            return health.id, [d.id for d in made]

        return await mutate(info, work, RecordHealthPayload, "health", read_back=_present_health)

    @strawberry.mutation(description="Record income and sources (HUD 4.02) as of a date.")
    async def record_income(self, info: Info, input: RecordIncomeInput) -> RecordIncomePayload:
        principal = allowed(info, Action.RECORD_SERVICE)

        async def work(session: AsyncSession):
            check = Check()
            dated = await _assessment(info, session, check, input)
            values = assessments.income(
                check,
                input.income_from_any_source,
                input.total_monthly_income,
                input.sources,
                input.other_income_source_identify,
            )
            check.done()
            row = await history.create(
                session, principal.writer, models.IncomeBenefit, **dated, **values
            )
            return row.id

        read_back = _one(models.IncomeBenefit, T.Income.of)
        return await mutate(info, work, RecordIncomePayload, "income", read_back=read_back)

    @strawberry.mutation(description="Record domestic violence history (HUD 4.11) as of a date.")
    async def record_domestic_violence(
        self, info: Info, input: RecordDomesticViolenceInput
    ) -> RecordDomesticViolencePayload:
        principal = allowed(info, Action.RECORD_SERVICE)

        async def work(session: AsyncSession):
            check = Check()
            dated = await _assessment(info, session, check, input)
            values = assessments.domestic_violence(
                check, input.survivor, input.when_occurred, input.currently_fleeing
            )
            check.done()
            row = await history.create(
                session, principal.writer, models.DomesticViolence, **dated, **values
            )
            return row.id

        read_back = _one(models.DomesticViolence, T.DomesticViolence.of)
        return await mutate(
            info, work, RecordDomesticViolencePayload, "domestic_violence", read_back=read_back
        )

    @strawberry.mutation(description="Add a dated case note for a client.")
    async def add_case_note(self, info: Info, input: AddCaseNoteInput) -> AddCaseNotePayload:
        principal = allowed(info, Action.RECORD_SERVICE)

        async def work(session: AsyncSession):
            check = Check()
            client_id = await _client(session, check, input.client_id)
            text = check.text("text", input.text, max_length=MAX_NOTE_LENGTH, required=True)
            note_date = input.note_date or today()
            check.past_date("noteDate", note_date, earliest=EARLIEST)
            check.done()
            row = await history.create(
                session,
                principal.writer,
                models.CaseNote,
                client_id=client_id,
                note_date=note_date,
                text=text,
                compiled_for_legal_proceeding=input.compiled_for_legal_proceeding,
            )
            return row.id

        read_back = _one(models.CaseNote, T.CaseNote.of)
        return await mutate(info, work, AddCaseNotePayload, "case_note", read_back=read_back)
