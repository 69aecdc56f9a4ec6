"""Queries anyone may make without signing in: the partner list and the privacy notice."""

from __future__ import annotations

import datetime

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from hmis.db import models
from hmis.errors import NotFound
from hmis.resolvers.validate import today


@strawberry.type(description="A participating (partner) organization of the HMIS.")
class Organization:
    id: strawberry.ID
    name: str
    victim_service_provider: bool = strawberry.field(
        description="HUD VictimServiceProvider: such organizations may not store PPI in the HMIS."
    )

    @classmethod
    def from_row(cls, row: models.Organization) -> Organization:
        return cls(id=strawberry.ID(str(row.id)), name=row.name,
                   victim_service_provider=row.victim_service_provider)  # fmt: skip


@strawberry.type(description="A version of the privacy notice, with the date it takes effect.")
class PrivacyNotice:
    id: strawberry.ID
    title: str
    effective_date: datetime.date
    text: str

    @classmethod
    def from_row(cls, row: models.PrivacyNotice) -> PrivacyNotice:
        return cls(id=strawberry.ID(str(row.id)), title=row.title,
                   effective_date=row.effective_date, text=row.text)  # fmt: skip


@strawberry.type
class PublicQuery:
    @strawberry.field(description="The current list of partner organizations. Public.")
    async def organizations(self, info: Info) -> list[Organization]:
        async with info.context.reading() as session:
            rows = await session.scalars(
                select(models.Organization)
                .where(models.Organization.date_deleted.is_(None))
                .order_by(models.Organization.name)
            )
            return [Organization.from_row(r) for r in rows]

    @strawberry.field(description="The privacy notice in force today. Public.")
    async def privacy_notice(self, info: Info) -> PrivacyNotice:
        async with info.context.reading() as session:
            row = await session.scalar(
                select(models.PrivacyNotice)
                .where(models.PrivacyNotice.effective_date <= today())
                .order_by(models.PrivacyNotice.effective_date.desc())
                .limit(1)
            )
        if row is None:
            raise NotFound("no privacy notice has been published yet")
        return PrivacyNotice.from_row(row)

    @strawberry.field(description="Every version of the privacy notice, newest first. Public.")
    async def privacy_notice_history(self, info: Info) -> list[PrivacyNotice]:
        async with info.context.reading() as session:
            rows = await session.scalars(
                select(models.PrivacyNotice).order_by(models.PrivacyNotice.effective_date.desc())
            )
            return [PrivacyNotice.from_row(r) for r in rows]


__all__ = ["Organization", "PrivacyNotice", "PublicQuery"]
