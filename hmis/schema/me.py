"""`me`: who the API thinks the caller is, as built from their verified access token."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from hmis.auth import principal as auth
from hmis.auth.guards import require_principal
from hmis.db import models

from .public import Organization

Role = strawberry.enum(
    auth.Role,
    name="Role",
    description="A canonical role (POLICY.md, Actors); the token's roles are mapped onto these.",
)


@strawberry.type(description="The caller, as the API understands their access token.")
class Principal:
    subject: str = strawberry.field(description="The token's `sub`.")
    client_id: str | None = strawberry.field(
        description="The OAuth client the token was issued to (`client_id`, `azp`, `cid`...)."
    )
    is_service_account: bool = strawberry.field(
        description="True for a program acting for itself (client-credentials grant)."
    )
    roles: list[Role] = strawberry.field(description="Canonical roles; unknown roles ignored.")
    scopes: list[str] = strawberry.field(description="OAuth scopes (`scope` or `scp`).")
    organization_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The organization the caller acts for, if any.")
    async def organization(self, info: Info) -> Organization | None:
        if self.organization_id is None:
            return None
        async with info.context.reading() as session:
            row = await session.get(models.Organization, self.organization_id)
        if row is None or row.date_deleted is not None:
            return None
        return Organization.from_row(row)

    @classmethod
    def from_principal(cls, principal: auth.Principal) -> Principal:
        return cls(
            subject=principal.subject,
            client_id=principal.client_id,
            is_service_account=principal.is_service_account,
            roles=[role for role in auth.Role if principal.has(role)],
            scopes=sorted(principal.scopes),
            organization_id=principal.organization_id,
        )


@strawberry.type
class MeQuery:
    @strawberry.field(description="Who the API thinks you are. Requires an access token.")
    def me(self, info: Info) -> Principal:
        return Principal.from_principal(require_principal(info))


__all__ = ["MeQuery", "Principal", "Role"]
