"""`hmis dev-token`: ready tokens from the development issuer, for real people in the database.

For `agency_staff` and `client` a token is only useful if it points at real rows (an existing
organization, a client login linked to a record), so those are looked up; when the database has
none, the output says what is missing instead of printing a token that would be refused.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from hmis.config import Settings
from hmis.db.models import ClientLogin, Organization, ResearchAgreement, StaffUser
from hmis.db.session import make_engine, make_sessionmaker

from .dev_issuer import DEV_ISSUER_URL, DevIssuer
from .principal import Role

LIFETIME = 3600
DEFAULT_SUBJECTS = {role: f"dev-{role.value.replace('_', '-')}" for role in Role}


class DevTokenError(Exception):
    """A token cannot be made; the message says what to do."""


@dataclass(frozen=True)
class DevToken:
    role: Role
    subject: str
    token: str
    organization: Organization | None = None

    def describe(self) -> str:
        org = self.organization
        where = f", organization {org.name} ({org.id})" if org is not None else ""
        return f"{self.role.value} (sub {self.subject}{where})"


def dev_issuer(settings: Settings) -> DevIssuer:
    if not settings.development:
        raise DevTokenError(
            "dev-token needs HMIS_ENV=development: the development issuer does not exist in "
            "production"
        )
    if settings.oidc_issuer not in (None, DEV_ISSUER_URL):
        raise DevTokenError(
            "HMIS_OIDC_ISSUER is set, so the API trusts that issuer and would refuse "
            "development tokens; unset it to use hmis dev-token"
        )
    return DevIssuer.from_settings(settings)


def parse_role(name: str) -> Role:
    try:
        return Role(name)
    except ValueError:
        roles = ", ".join(role.value for role in Role)
        raise DevTokenError(f"unknown role {name!r}; the roles are: {roles}") from None


async def one_token(
    settings: Settings, role_name: str, *, organization: str | None, subject: str | None
) -> DevToken:
    role = parse_role(role_name)
    issuer = dev_issuer(settings)
    async with session_of(settings) as session:
        return await token_for(issuer, session, role, organization=organization, subject=subject)


async def all_role_tokens(settings: Settings) -> tuple[list[DevToken], list[str]]:
    """A token per role, and a note for each role that has no suitable row to point at."""
    issuer = dev_issuer(settings)
    tokens, missing = [], []
    async with session_of(settings) as session:
        for role in Role:
            try:
                tokens.append(
                    await token_for(issuer, session, role, organization=None, subject=None)
                )
            except DevTokenError as error:
                missing.append(f"{role.value}: no token, {error}")
    return tokens, missing


async def token_for(
    issuer: DevIssuer,
    session: AsyncSession,
    role: Role,
    *,
    organization: str | None,
    subject: str | None,
) -> DevToken:
    org = None
    if role is Role.AGENCY_STAFF:
        org = await _organization(session, organization)
        subject = subject or await _staff_subject(session, org) or DEFAULT_SUBJECTS[role]
    elif organization is not None:
        org = await _organization(session, organization)
    if role is Role.CLIENT and subject is None:
        subject = await session.scalar(
            select(ClientLogin.subject).order_by(ClientLogin.created_at).limit(1)
        )
        if subject is None:
            raise DevTokenError(
                "no client login is linked to a client record yet (run `hmis seed`, or link "
                "one with the linkClientLogin mutation)"
            )
    if role is Role.RESEARCHER and subject is None:
        # A researcher sees data only under an agreement: prefer a subject that has one.
        subject = await session.scalar(
            select(ResearchAgreement.subject)
            .where(ResearchAgreement.revoked_at.is_(None))
            .order_by(ResearchAgreement.expires_on.desc())
            .limit(1)
        )
    subject = subject or DEFAULT_SUBJECTS[role]
    token = issuer.mint(
        roles=[role.value],
        subject=subject,
        organization_id=str(org.id) if org is not None else None,
        lifetime=LIFETIME,
    )
    return DevToken(role=role, subject=subject, token=token, organization=org)


async def _organization(session: AsyncSession, wanted: str | None) -> Organization:
    active = select(Organization).where(Organization.date_deleted.is_(None))
    if wanted is None:
        # Prefer an organization with a staff login, so the token is a real person's.
        org = await session.scalar(
            active.join(StaffUser, StaffUser.organization_id == Organization.id)
            .where(StaffUser.subject.is_not(None))
            .order_by(Organization.name)
            .limit(1)
        ) or await session.scalar(active.order_by(Organization.name).limit(1))
        if org is None:
            raise DevTokenError(
                "agency_staff needs an organization and the database has none (run `hmis seed`, "
                "or pass --org ORG_ID)"
            )
        return org
    try:
        org_id = uuid.UUID(wanted)
    except ValueError:
        raise DevTokenError(f"--org must be an organization ID (a UUID), got {wanted!r}") from None
    org = await session.scalar(active.where(Organization.id == org_id))
    if org is None:
        raise DevTokenError(f"no organization {org_id} in the database")
    return org


async def _staff_subject(session: AsyncSession, org: Organization) -> str | None:
    return await session.scalar(
        select(StaffUser.subject)
        .where(
            StaffUser.organization_id == org.id,
            StaffUser.subject.is_not(None),
            StaffUser.date_deleted.is_(None),
        )
        .order_by(StaffUser.last_name, StaffUser.first_name)
        .limit(1)
    )


@asynccontextmanager
async def session_of(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A short-lived session on the configured database, with a readable error if the database
    is not migrated yet."""
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            yield session
    except SQLAlchemyError as error:
        raise DevTokenError(
            f"cannot read the database ({type(error).__name__}); run `hmis migrate` first"
        ) from error
    finally:
        await engine.dispose()
