"""Who is calling: one normalized object per request, built from a verified access token."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field

from hmis.db.history import Writer


class Role(enum.Enum):
    """The canonical roles of POLICY.md. A token's roles map onto these or are ignored."""

    HMIS_ADMIN = "hmis_admin"
    AGENCY_STAFF = "agency_staff"
    AUDITOR = "auditor"
    RESEARCHER = "researcher"
    AGGREGATE_READER = "aggregate_reader"
    CLIENT = "client"


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    organization_id: uuid.UUID | None = None
    # OAuth client of a service account (client-credentials grant), else the frontend's client.
    client_id: str | None = None
    is_service_account: bool = False
    scopes: frozenset[str] = field(default_factory=frozenset)
    issuer: str | None = None

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def writer(self) -> Writer:
        """How this caller's writes are stamped: for its organization, which only a role
        acting for one has (`hmis.auth.claims`); admins write for no organization."""
        return Writer(subject=self.subject, organization_id=self.organization_id)
