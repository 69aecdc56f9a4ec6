"""Who is calling: the `Authorization` header in, an `Authentication` out, once per request.

Built once by the app factory from `Settings` (`build_authenticator`). An invalid token raises
`InvalidToken` (the view answers 401 before executing anything); a valid token that may not use
the API (no HMIS role, an unknown organization) yields no principal but a reason, which the one
guard (`hmis.auth.guards.require_principal`) turns into 403 on any field that needs a caller.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hmis.config import ConfigError, Settings
from hmis.db.models import Organization

from .claims import check_role_map, claim_at, organization_of, principal_from_claims
from .dev_issuer import DEV_ISSUER_PATH, DevIssuer
from .errors import InvalidToken
from .jwks import RemoteKeys
from .policy import ORGANIZATION_ROLES
from .principal import Principal
from .tokens import TokenValidator

log = logging.getLogger("hmis.auth")
# A partner organization found in the database is trusted for this long before it is looked up
# again, so a request does not pay a statement for it (a deleted organization's tokens keep
# working at most this long). Unknown organizations are never remembered: always looked up.
ORGANIZATION_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class Authentication:
    """The outcome for one request: a principal allowed to proceed, or why there is none."""

    principal: Principal | None = None
    # A verified caller who may not use the API; the message is for that caller.
    denied: str | None = None
    # The subject of a denied caller, for the logs (never the token).
    subject: str | None = None


ANONYMOUS = Authentication()


class Authenticator:
    def __init__(
        self,
        *,
        validator: TokenValidator,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
    ):
        self.validator = validator
        self.settings = settings
        self.sessions = sessions
        # organization id -> until when (time.monotonic) it is known to exist
        self._organizations: dict[uuid.UUID, float] = {}

    async def authenticate(self, authorization: str | None) -> Authentication:
        if authorization is None:
            return ANONYMOUS
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise InvalidToken("malformed", "Send 'Authorization: Bearer <token>'.")
        try:
            claims = await self.validator.validate(token)
        except InvalidToken as error:
            log.info("rejected an access token: %s", error.reason)
            raise
        principal = principal_from_claims(
            claims,
            roles_claims=self.settings.roles_claims,
            org_claim=self.settings.org_claim,
            role_map=self.settings.role_map,
        )
        denied = await self._denial(principal, claims)
        if denied is not None:
            log.info("denied %s: %s", principal.subject, denied)
            return Authentication(denied=denied, subject=principal.subject)
        return Authentication(principal=principal, subject=principal.subject)

    async def _denial(self, principal: Principal, claims: dict) -> str | None:
        """Why this verified caller may not use the API at all, or None."""
        if not principal.roles:
            return "The access token carries no HMIS role."
        if not principal.roles & ORGANIZATION_ROLES:
            return None  # no role acting for an organization: the claim is ignored
        # A token with such a role must name a real organization, even when another role
        # acts (it counts only when it acts: `hmis.auth.claims`).
        claim = self.settings.org_claim
        if claim_at(claims, claim) is None:
            return f"An agency_staff token must name the caller's organization in claim '{claim}'."
        organization_id = organization_of(claims, claim)
        if organization_id is None:
            return f"The organization in claim '{claim}' is not an organization ID (a UUID)."
        if not await self._organization_exists(organization_id):
            return f"The organization in claim '{claim}' is not a partner organization here."
        return None

    async def _organization_exists(self, organization_id: uuid.UUID) -> bool:
        now = time.monotonic()
        if self._organizations.get(organization_id, 0.0) > now:
            return True
        async with self.sessions() as session:
            found = await session.scalar(
                select(Organization.id).where(
                    Organization.id == organization_id, Organization.date_deleted.is_(None)
                )
            )
        if found is None:
            return False
        self._organizations[organization_id] = now + ORGANIZATION_CACHE_SECONDS
        return True


def build_authenticator(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    dev_issuer: DevIssuer | None,
) -> Authenticator:
    """The authenticator for these settings; `ConfigError` when they cannot be made safe."""
    check_role_map(settings.role_map)
    issuer = settings.oidc_issuer
    urls = {"HMIS_OIDC_ISSUER": issuer, "HMIS_OIDC_JWKS_URL": settings.oidc_jwks_url}
    for name, value in urls.items():
        if not settings.development and value and DEV_ISSUER_PATH in value:
            raise ConfigError(
                f"{name} points at the development issuer, which does not exist in production; "
                "set it to your identity provider"
            )
    if issuer is None and not settings.development:
        raise ConfigError(
            "HMIS_OIDC_ISSUER is required in production: set it to your identity provider's "
            "issuer URL (the `iss` of its access tokens)"
        )
    if issuer is None or (dev_issuer is not None and issuer == dev_issuer.url):
        if dev_issuer is None:
            raise ConfigError("the development issuer needs HMIS_ENV=development")
        keys = dev_issuer
        issuer = dev_issuer.url
    else:
        keys = RemoteKeys(
            issuer=issuer,
            jwks_url=settings.oidc_jwks_url,
            ttl=settings.oidc_jwks_cache_seconds,
        )
    validator = TokenValidator(issuer=issuer, audience=settings.oidc_audience, keys=keys)
    return Authenticator(validator=validator, settings=settings, sessions=sessions)
