"""Administration (HMIS administrators only, `Action.ADMINISTER`): organizations, projects,
staff users, client logins, research agreements and consents, privacy notice versions."""

from __future__ import annotations

import datetime
import uuid
from datetime import UTC

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hmis.auth.policy import Action
from hmis.db import audit, models
from hmis.db.models.audit import AuditAction
from hmis.resolvers.notices import publish_notice
from hmis.resolvers.validate import Check

from .. import enums as E
from ..admin import ClientLogin, ResearchAgreement, ResearchConsent, StaffUser
from ..enrollments import Project
from ..groups import gid
from ..public import Organization, PrivacyNotice
from .common import FieldError, allowed, find_live, mutate

EARLIEST_PROJECT_START = datetime.date(1980, 1, 1)


@strawberry.input
class CreateOrganizationInput:
    name: str
    victim_service_provider: bool | None = strawberry.field(
        default=False, description="HUD VictimServiceProvider: may not store PPI in the HMIS."
    )


@strawberry.input
class CreateProjectInput:
    organization_id: strawberry.ID
    name: str
    project_type: E.ProjectType | None = None
    operating_start_date: datetime.date | None = None


@strawberry.input
class CreateStaffUserInput:
    organization_id: strawberry.ID
    first_name: str
    last_name: str
    phone: str | None = strawberry.field(default=None, description="Ten digits.")
    extension: str | None = strawberry.field(default=None, description="Up to ten digits.")
    email: str | None = None
    subject: str | None = strawberry.field(
        default=None, description="The OIDC subject this person signs in with, if any."
    )


@strawberry.input
class LinkClientLoginInput:
    client_id: strawberry.ID
    subject: str = strawberry.field(description="The OIDC subject of the client's login.")


@strawberry.input
class CreateResearchAgreementInput:
    subject: str = strawberry.field(description="The researcher's OIDC subject.")
    expires_on: datetime.date = strawberry.field(description="After today.")


@strawberry.input
class RecordResearchConsentInput:
    client_id: strawberry.ID


@strawberry.input
class PublishPrivacyNoticeInput:
    text: str = strawberry.field(description="The notice (Markdown or plain text).")
    effective_date: datetime.date = strawberry.field(description="Today or later.")
    title: str | None = strawberry.field(
        default=None, description="Default: the text's first heading."
    )


@strawberry.type
class CreateOrganizationPayload:
    organization: Organization | None
    errors: list[FieldError]


@strawberry.type
class CreateProjectPayload:
    project: Project | None
    errors: list[FieldError]


@strawberry.type
class CreateStaffUserPayload:
    staff_user: StaffUser | None
    errors: list[FieldError]


@strawberry.type
class LinkClientLoginPayload:
    login: ClientLogin | None
    errors: list[FieldError]


@strawberry.type
class CreateResearchAgreementPayload:
    agreement: ResearchAgreement | None
    errors: list[FieldError]


@strawberry.type
class RecordResearchConsentPayload:
    consent: ResearchConsent | None
    errors: list[FieldError]


@strawberry.type
class PublishPrivacyNoticePayload:
    notice: PrivacyNotice | None
    errors: list[FieldError]


def _now() -> datetime.datetime:
    return datetime.datetime.now(UTC)


async def _organization(session, check: Check, raw_id) -> models.Organization:
    org_id = check.uuid("organizationId", raw_id)
    check.done()
    return await find_live(session, models.Organization, org_id, check, "organizationId")


async def _client_id(session, check: Check, raw_id) -> uuid.UUID:
    client_id = check.uuid("clientId", raw_id)
    check.done()
    await find_live(session, models.Client, client_id, check, "clientId")
    return client_id


async def _taken(session, column, value) -> bool:
    return value is not None and bool(await session.scalar(select(column).where(column == value)))


@strawberry.type
class AdminMutations:
    @strawberry.mutation(description="Add a participating organization (administrators).")
    async def create_organization(
        self, info: Info, input: CreateOrganizationInput
    ) -> CreateOrganizationPayload:
        allowed(info, Action.ADMINISTER)

        async def work(session: AsyncSession):
            check = Check()
            name = check.text("name", input.name, max_length=200, required=True)
            o = models.Organization
            # Compared here, not in SQL: SQLite's lower() leaves non-ASCII letters alone, so
            # "Ünïcödé" and "ünïcödé" were two organizations there and one on PostgreSQL.
            if name and name.casefold() in {n.casefold() for n in await session.scalars(
                select(o.name)
            )}:  # fmt: skip
                check.fail("name", "an organization already has this name", "DUPLICATE_NAME")
            check.done()
            row = o(
                id=uuid.uuid4(),
                name=name,
                victim_service_provider=bool(input.victim_service_provider),
            )
            session.add(row)
            await session.flush()
            return Organization.from_row(row)

        return await mutate(info, work, CreateOrganizationPayload, "organization")

    @strawberry.mutation(description="Add a project of an organization (administrators).")
    async def create_project(self, info: Info, input: CreateProjectInput) -> CreateProjectPayload:
        allowed(info, Action.ADMINISTER)

        async def work(session: AsyncSession):
            check = Check()
            org = await _organization(session, check, input.organization_id)
            name = check.text("name", input.name, max_length=200, required=True)
            if input.operating_start_date is not None:
                check.not_before(
                    "operatingStartDate",
                    input.operating_start_date,
                    EARLIEST_PROJECT_START,
                    "the earliest date accepted",
                )
            check.done()
            row = models.Project(
                id=uuid.uuid4(),
                organization_id=org.id,
                name=name,
                project_type=input.project_type and int(input.project_type.value),
                operating_start_date=input.operating_start_date,
            )
            session.add(row)
            await session.flush()
            return Project.of(row, org)

        return await mutate(info, work, CreateProjectPayload, "project")

    @strawberry.mutation(description="Add a staff user (a case manager) of an organization.")
    async def create_staff_user(
        self, info: Info, input: CreateStaffUserInput
    ) -> CreateStaffUserPayload:
        allowed(info, Action.ADMINISTER)

        async def work(session: AsyncSession):
            check = Check()
            org = await _organization(session, check, input.organization_id)
            s = models.StaffUser
            values = dict(
                first_name=check.text("firstName", input.first_name, max_length=100, required=True),
                last_name=check.text("lastName", input.last_name, max_length=100, required=True),
                phone=check.phone("phone", input.phone),
                extension=check.digits("extension", input.extension, max_length=10),
                email=check.email("email", input.email),
                subject=check.text("subject", input.subject, max_length=255),
            )
            if await _taken(session, s.subject, values["subject"]):
                check.fail(
                    "subject", "another staff user signs in with this subject", "DUPLICATE_SUBJECT"
                )
            check.done()
            row = s(id=uuid.uuid4(), organization_id=org.id, **values)
            session.add(row)
            await session.flush()
            return StaffUser.of(row, org)

        return await mutate(info, work, CreateStaffUserPayload, "staff_user")

    @strawberry.mutation(description="Bind a `client` login (OIDC subject) to a client record.")
    async def link_client_login(
        self, info: Info, input: LinkClientLoginInput
    ) -> LinkClientLoginPayload:
        principal = allowed(info, Action.ADMINISTER)

        async def work(session: AsyncSession):
            check = Check()
            client_id = await _client_id(session, check, input.client_id)
            subject = check.text("subject", input.subject, max_length=255, required=True)
            if await _taken(session, models.ClientLogin.subject, subject):
                check.fail(
                    "subject", "this login is already linked to a client record", "ALREADY_LINKED"
                )
            check.done()
            row = models.ClientLogin(
                id=uuid.uuid4(),
                client_id=client_id,
                subject=subject,
                created_by=principal.subject,
                created_at=_now(),
            )
            session.add(row)
            await session.flush()
            audit.note_write(session, client_id, AuditAction.LINK_LOGIN)
            return ClientLogin(
                id=gid(row.id), client_id=gid(client_id), subject=subject, created_at=row.created_at
            )

        return await mutate(info, work, LinkClientLoginPayload, "login")

    @strawberry.mutation(description="Record a researcher's agreement, with its expiry.")
    async def create_research_agreement(
        self, info: Info, input: CreateResearchAgreementInput
    ) -> CreateResearchAgreementPayload:
        principal = allowed(info, Action.ADMINISTER)

        async def work(session: AsyncSession):
            check = Check()
            subject = check.text("subject", input.subject, max_length=255, required=True)
            check.not_past("expiresOn", input.expires_on, strictly_future=True)
            check.done()
            row = models.ResearchAgreement(
                id=uuid.uuid4(),
                subject=subject,
                expires_on=input.expires_on,
                created_by=principal.subject,
                created_at=_now(),
            )
            session.add(row)
            await session.flush()
            return ResearchAgreement(
                id=gid(row.id),
                subject=subject,
                expires_on=row.expires_on,
                created_at=row.created_at,
            )

        return await mutate(info, work, CreateResearchAgreementPayload, "agreement")

    @strawberry.mutation(description="Record a client's signed consent to research use.")
    async def record_research_consent(
        self, info: Info, input: RecordResearchConsentInput
    ) -> RecordResearchConsentPayload:
        principal = allowed(info, Action.ADMINISTER)

        async def work(session: AsyncSession):
            check = Check()
            client_id = await _client_id(session, check, input.client_id)
            c = models.ResearchConsent
            if await session.scalar(
                select(c.id).where(c.client_id == client_id, c.revoked_at.is_(None))
            ):
                check.fail(
                    "clientId", "the client's consent is already recorded", "ALREADY_CONSENTED"
                )
            check.done()
            row = c(
                id=uuid.uuid4(),
                client_id=client_id,
                recorded_by=principal.subject,
                recorded_at=_now(),
            )
            session.add(row)
            await session.flush()
            audit.note_write(session, client_id, AuditAction.CONSENT_RESEARCH)
            return ResearchConsent(
                id=gid(row.id), client_id=gid(client_id), recorded_at=row.recorded_at
            )

        return await mutate(info, work, RecordResearchConsentPayload, "consent")

    @strawberry.mutation(
        description="Publish a version of the privacy notice taking effect on "
        "a date (also `hmis notice publish FILE --effective DATE`)."
    )
    async def publish_privacy_notice(
        self, info: Info, input: PublishPrivacyNoticeInput
    ) -> PublishPrivacyNoticePayload:
        principal = allowed(info, Action.ADMINISTER)

        async def work(session: AsyncSession):
            row = await publish_notice(
                session,
                Check(),
                text=input.text,
                effective_date=input.effective_date,
                title=input.title,
                published_by=principal.subject,
            )
            return PrivacyNotice.from_row(row)

        return await mutate(info, work, PublishPrivacyNoticePayload, "notice")
