"""The one way a resolver asks for the caller: `require_principal(info)`.

Every field except the public ones (organizations, privacy notice) starts with it, so a field
that forgets nothing is closed by default: with no token it raises `Unauthenticated` (HTTP 401
with `WWW-Authenticate`), for a caller who may not use the API or lacks the role it raises
`AccessDenied` (HTTP 403). The view reads `http_status` off these errors (`http_status_of`).
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import GraphQLError
from strawberry.types import Info

from hmis.errors import ClientError, Forbidden

from .errors import REASONS, InvalidToken
from .policy import acting_role
from .principal import Principal, Role


class Unauthenticated(ClientError):
    """No token was sent, and this field needs one."""

    code = "UNAUTHENTICATED"
    http_status = 401
    http_headers = InvalidToken("missing_token").headers

    def __init__(self) -> None:
        super().__init__(REASONS["missing_token"], reason="missing_token")


class AccessDenied(Forbidden):
    """A verified caller who may not use this field (no HMIS role, wrong role, bad org)."""

    http_status = 403
    http_headers: dict[str, str] = {}


def require_principal(info: Info, *roles: Role) -> Principal:
    """The verified caller, holding at least one of `roles` when any are given."""
    context = info.context
    principal: Principal | None = context.principal
    if principal is None:
        if context.auth_denied is not None:
            raise AccessDenied(context.auth_denied)
        raise Unauthenticated()
    if roles and not any(principal.has(role) for role in roles):
        names = " or ".join(role.value for role in roles)
        raise AccessDenied(f"This requires the role {names}.")
    return principal


def refuse_aggregate_readers(principal: Principal) -> None:
    """Aggregate readers receive aggregate counts only (POLICY.md, Actors): even an empty list
    from another field is refused, so what they may use is plain."""
    if acting_role(principal) is Role.AGGREGATE_READER:
        raise AccessDenied("Aggregate readers receive aggregate counts only.")


def http_status_of(errors: Iterable[GraphQLError]) -> tuple[int, dict[str, str]] | None:
    """The HTTP status (and headers) the guard's errors call for: 401 wins over 403."""
    found = [
        error.original_error
        for error in errors
        if isinstance(error.original_error, Unauthenticated | AccessDenied)
    ]
    if not found:
        return None
    worst = min(found, key=lambda error: error.http_status)
    return worst.http_status, dict(worst.http_headers)
