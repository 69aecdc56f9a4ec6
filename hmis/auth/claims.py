"""From verified token claims to a `Principal`: pure functions, no request and no database.

Identity providers disagree on claim names; the differences are absorbed here and nowhere else.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from hmis.config import ConfigError

from .policy import acts_for_organization
from .principal import Principal, Role

# Where providers put the OAuth client's ID: RFC 9068 / Keycloak / Okta / Entra ID (v1 tokens).
CLIENT_ID_CLAIMS = ("client_id", "azp", "cid", "appid")
CANONICAL_ROLES = {role.value: role for role in Role}


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """The claim at a dotted path (`realm_access.roles`). A claim whose own name contains dots
    (`https://hmis.example.org/roles`, as Auth0 requires) is found by its full name first."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _strings(value: Any) -> list[str]:
    """A list claim, or a space/comma separated string claim, as a list of names."""
    if isinstance(value, str):
        return [part for part in re.split(r"[\s,]+", value) if part]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str) and item]
    return []


def check_role_map(role_map: Mapping[str, str]) -> None:
    """Fail at startup, not per request, when the map names a role that does not exist."""
    unknown = sorted(set(role_map.values()) - set(CANONICAL_ROLES))
    if unknown:
        raise ConfigError(
            f"HMIS_OIDC_ROLE_MAP maps onto unknown roles {unknown}; "
            f"the roles are {sorted(CANONICAL_ROLES)}"
        )


def canonical_roles(
    claims: Mapping[str, Any], *, paths: Iterable[str], role_map: Mapping[str, str]
) -> frozenset[Role]:
    """The canonical roles named by the token; anything unrecognised is ignored.

    Without a role map, a role counts only if its name is a canonical role (`hmis_admin`...).
    With a role map, only the names it lists count: a generic claim such as `groups` may carry
    names the operator never meant as HMIS roles, so nothing is granted by coincidence.
    """
    roles = set()
    for path in paths:
        for name in _strings(claim_at(claims, path)):
            canonical = role_map.get(name) if role_map else name
            if canonical in CANONICAL_ROLES:
                roles.add(CANONICAL_ROLES[canonical])
    return frozenset(roles)


def client_id_of(claims: Mapping[str, Any]) -> str | None:
    for name in CLIENT_ID_CLAIMS:
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def is_service_account(claims: Mapping[str, Any], client_id: str | None) -> bool:
    """Whether the token was issued to a program acting for itself (client-credentials grant).

    The rule: the subject is the client itself (RFC 9068 section 2.2, as oidc-provider and Okta
    issue them), or the provider says so outright: Auth0's `gty: client-credentials`, Entra ID's
    `idtyp: app`, Keycloak's `service-account-<client>` user name. A `client_id` claim alone
    proves nothing: RFC 9068 puts one in every access token, including users' tokens.
    """
    if client_id is not None and claims.get("sub") == client_id:
        return True
    if claims.get("gty") == "client-credentials" or claims.get("idtyp") == "app":
        return True
    username = claims.get("preferred_username")
    return isinstance(username, str) and username.startswith("service-account-")


def scopes_of(claims: Mapping[str, Any]) -> frozenset[str]:
    """OAuth scopes: `scope` is space separated (RFC 8693); some providers send a `scp` list."""
    return frozenset(_strings(claims.get("scope")) + _strings(claims.get("scp")))


def organization_of(claims: Mapping[str, Any], path: str) -> uuid.UUID | None:
    """The organization ID claimed by the token, if it is a UUID (whether it exists is checked
    against the database by the authenticator)."""
    value = claim_at(claims, path)
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def principal_from_claims(
    claims: Mapping[str, Any],
    *,
    roles_claims: Iterable[str],
    org_claim: str,
    role_map: Mapping[str, str],
) -> Principal:
    client_id = client_id_of(claims)
    roles = canonical_roles(claims, paths=roles_claims, role_map=role_map)
    # Only a role acting for an organization has one; any other token's claim is ignored.
    organization = organization_of(claims, org_claim) if acts_for_organization(roles) else None
    return Principal(
        subject=claims["sub"],
        roles=roles,
        organization_id=organization,
        client_id=client_id,
        is_service_account=is_service_account(claims, client_id),
        scopes=scopes_of(claims),
        issuer=claims.get("iss"),
    )
