"""Types of administration: staff users, client logins, research agreements and consents."""

from __future__ import annotations

import datetime

import strawberry

from hmis.db import models

from .groups import gid
from .public import Organization


@strawberry.type(description="A staff member of an organization (staff users are case managers).")
class StaffUser:
    id: strawberry.ID
    first_name: str
    last_name: str
    phone: str | None
    extension: str | None
    email: str | None
    subject: str | None
    organization: Organization

    @classmethod
    def of(cls, row: models.StaffUser, org: models.Organization) -> StaffUser:
        return cls(
            id=gid(row.id),
            first_name=row.first_name,
            last_name=row.last_name,
            phone=row.phone,
            extension=row.extension,
            email=row.email,
            subject=row.subject,
            organization=Organization.from_row(org),
        )


@strawberry.type(description="A `client` login bound to the client record it may read.")
class ClientLogin:
    id: strawberry.ID
    client_id: strawberry.ID
    subject: str
    created_at: datetime.datetime


@strawberry.type(description="A researcher's agreement: data only while it is active.")
class ResearchAgreement:
    id: strawberry.ID
    subject: str
    expires_on: datetime.date
    created_at: datetime.datetime


@strawberry.type(description="A client's consent to the direct use of their identity in research.")
class ResearchConsent:
    id: strawberry.ID
    client_id: strawberry.ID
    recorded_at: datetime.datetime
