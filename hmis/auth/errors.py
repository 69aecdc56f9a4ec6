"""Why a caller was turned away, as exceptions that know their HTTP status and GraphQL code.

Messages are fixed sentences chosen here: they never quote the token or its claims, so an error
can be logged or returned without leaking a credential.
"""

from __future__ import annotations

# The reasons a token is rejected, each with the sentence the caller reads.
REASONS = {
    "missing_token": "An access token is required for this operation.",
    "malformed": "The access token is malformed.",
    "too_large": "The access token is too large.",
    "disallowed_algorithm": "The access token is signed with an algorithm that is not allowed.",
    "wrong_type": "The token is not an access token (typ header).",
    "unknown_key": "The access token is signed with a key the issuer does not publish.",
    "bad_signature": "The access token's signature is invalid.",
    "expired": "The access token has expired.",
    "not_yet_valid": "The access token is not valid yet.",
    "wrong_issuer": "The access token was issued by an issuer this API does not trust.",
    "wrong_audience": "The access token is not meant for this API (audience).",
    "missing_sub": "The access token has no subject (sub).",
}


class InvalidToken(Exception):
    """The bearer token cannot be trusted: HTTP 401 with `WWW-Authenticate`."""

    status = 401
    code = "UNAUTHENTICATED"

    def __init__(self, reason: str, detail: str | None = None):
        self.reason = reason
        self.message = REASONS[reason] if detail is None else f"{REASONS[reason]} {detail}"
        super().__init__(self.message)
        self.extensions = {"code": self.code, "reason": reason}

    @property
    def headers(self) -> dict[str, str]:
        # RFC 6750 section 3; the description is one of our own sentences, so it is safe to quote.
        return {
            "WWW-Authenticate": (
                f'Bearer error="invalid_token", error_description="{self.message}"'
            )
        }


class KeysUnavailable(Exception):
    """No signing keys could be loaded, so no token can be checked: HTTP 503, not a 500."""

    status = 503
    code = "SERVICE_UNAVAILABLE"
    headers = {"Retry-After": "30"}
    message = (
        "Access tokens cannot be verified right now: the identity provider's signing keys "
        "are unavailable. Try again shortly."
    )

    def __init__(self) -> None:
        super().__init__(self.message)
        self.extensions = {"code": self.code}


def error_body(error: InvalidToken | KeysUnavailable) -> dict:
    """The JSON body for a request refused before execution, shaped like a GraphQL response."""
    return {"errors": [{"message": error.message, "extensions": dict(error.extensions)}]}
