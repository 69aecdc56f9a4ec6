"""The example `make run` prints: a seeded client who refused sharing, and two agency staff
tokens that see them differently (the organization that served them since the refusal, and a
partner that sees their record as it stood at the refusal). Development only: it reads the
refusals, which the API never shows a partner."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from hmis.config import Settings
from hmis.db.models import Enrollment, Organization, RefusalCoverage

from . import dev_tokens


@dataclass(frozen=True)
class RefusalExample:
    client_id: uuid.UUID
    serving: dev_tokens.DevToken  # its organization enrolled the client after the refusal
    partner: dev_tokens.DevToken  # another organization: the record as of the refusal

    def describe(self) -> str:
        return "\n".join([
            "A client who refused sharing: the same query shows them differently to the "
            "organization that enrolled them since and to a partner (README, 'Try it'):",
            f"  client id: {self.client_id}",
            f"  serving  {self.serving.describe()}\n  {self.serving.token}",
            f"  partner  {self.partner.describe()}\n  {self.partner.token}",
        ])  # fmt: skip


async def refusal_example(settings: Settings) -> RefusalExample | None:
    """The first (by ID) client with an active refusal and an enrollment made after it, or
    None when the database holds no such client (an empty or imported database)."""
    issuer = dev_tokens.dev_issuer(settings)
    async with dev_tokens.session_of(settings) as session:
        found = (
            await session.execute(
                select(RefusalCoverage.client_id, Enrollment.organization_id)
                .join(Enrollment, Enrollment.client_id == RefusalCoverage.client_id)
                .where(
                    RefusalCoverage.revoked_at.is_(None),
                    Enrollment.date_created > RefusalCoverage.refused_at,
                    Enrollment.date_deleted.is_(None),
                    Enrollment.organization_id.is_not(None),
                )
                .order_by(RefusalCoverage.client_id, Enrollment.date_created)
                .limit(1)
            )
        ).first()
        if found is None:
            return None
        client_id, serving_org = found
        partner_org = await session.scalar(
            select(Organization.id)
            .where(
                Organization.id != serving_org,
                Organization.date_deleted.is_(None),
                Organization.victim_service_provider.is_(False),
            )
            .order_by(Organization.name)
            .limit(1)
        )
        if partner_org is None:
            return None

        async def staff_of(org: uuid.UUID) -> dev_tokens.DevToken:
            return await dev_tokens.token_for(
                issuer, session, dev_tokens.Role.AGENCY_STAFF, organization=str(org), subject=None
            )

        return RefusalExample(client_id, await staff_of(serving_org), await staff_of(partner_org))
