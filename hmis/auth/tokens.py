"""Access token validation (JWT, RFC 9068) with joserfc.

The order matters: cheap structural checks first, then the signature with a key chosen by the
token's `kid` from the trusted issuer's key set, and only then the claims, so no decision is ever
taken on claims nobody has verified (the one exception is a quick look at `iss`, which can only
turn a token away, never let one in).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
import warnings
from collections.abc import Callable
from typing import Any

from joserfc import jws
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
    SecurityWarning,
)
from joserfc.jws import JWSRegistry
from joserfc.jwt import JWTClaimsRegistry

from .errors import InvalidToken
from .jwks import KeySource

# Asymmetric signatures only: never "none", never HMAC (whose "key" would be the public key in a
# key-confusion attack). "Ed25519" is RFC 9864's name for what older issuers call "EdDSA".
ALLOWED_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA", "Ed25519")
# `typ` values of a JWT access token (RFC 9068 section 2.1) or a plain JWT; checked only if present.
ACCESS_TOKEN_TYPES = frozenset({"jwt", "at+jwt", "application/jwt", "application/at+jwt"})
MAX_TOKEN_BYTES = 8 * 1024
LEEWAY_SECONDS = 60
MAX_SUBJECT_LENGTH = 255  # the width of every subject column in the database

_SEGMENT = re.compile(r"^[A-Za-z0-9_-]*$")
# Which claim's failure means what, in the order they are reported when several are missing.
_CLAIM_REASONS = {
    "iss": "wrong_issuer",
    "aud": "wrong_audience",
    "exp": "malformed",
    "sub": "missing_sub",
    "nbf": "not_yet_valid",
    "iat": "not_yet_valid",
}


class TokenValidator:
    """Checks a bearer token against one trusted issuer and audience; returns its claims."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        keys: KeySource,
        leeway: int = LEEWAY_SECONDS,
        now: Callable[[], int] | None = None,
    ):
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.leeway = leeway
        self.now = now or (lambda: int(time.time()))
        # Unknown non-critical header parameters are ignored (RFC 7515); `crit` is still enforced.
        self._jws = JWSRegistry(algorithms=ALLOWED_ALGORITHMS, strict_check_header=False)

    async def validate(self, token: str) -> dict[str, Any]:
        if len(token) > MAX_TOKEN_BYTES:
            raise InvalidToken("too_large", f"The limit is {MAX_TOKEN_BYTES} bytes.")
        header, unverified = _decode_unverified(token)
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise InvalidToken("disallowed_algorithm", f"Allowed: {', '.join(ALLOWED_ALGORITHMS)}.")
        typ = header.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.lower() not in ACCESS_TOKEN_TYPES):
            raise InvalidToken("wrong_type")
        # A token from another issuer is refused before any key lookup, so foreign tokens cannot
        # make us refetch the key set.
        if unverified.get("iss") != self.issuer:
            raise InvalidToken("wrong_issuer")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("malformed", "The key ID (kid) must be a string.")
        key = await self.keys.key_for(kid)
        if key is None:
            raise InvalidToken("unknown_key")
        if key.alg is not None and key.alg != alg:
            raise InvalidToken("bad_signature", "The key is for another algorithm.")
        claims = self._verify_signature(token, key, alg)
        self._check_claims(claims)
        return claims

    def _verify_signature(self, token: str, key, alg: str) -> dict[str, Any]:
        try:
            with warnings.catch_warnings():
                # joserfc warns that the name "EdDSA" is deprecated; the algorithm is sound.
                warnings.simplefilter("ignore", SecurityWarning)
                signed = jws.deserialize_compact(token, key, registry=self._jws)
        except BadSignatureError:
            raise InvalidToken("bad_signature") from None
        except JoseError:
            # The key cannot verify this algorithm (wrong type or curve), or a `crit` header.
            raise InvalidToken("bad_signature", "The key does not fit the algorithm.") from None
        try:
            claims = json.loads(signed.payload)
        except ValueError:
            raise InvalidToken("malformed") from None
        if not isinstance(claims, dict):
            raise InvalidToken("malformed")
        return claims

    def _check_claims(self, claims: dict[str, Any]) -> None:
        registry = JWTClaimsRegistry(
            now=self.now,
            leeway=self.leeway,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise InvalidToken("expired") from None
        except MissingClaimError as error:
            missing = set(error.claim.split(","))
            reason = next(r for claim, r in _CLAIM_REASONS.items() if claim in missing)
            detail = "It has no expiry (exp)." if reason == "malformed" else None
            raise InvalidToken(reason, detail) from None
        except InvalidClaimError as error:
            reason = _CLAIM_REASONS.get(error.claim, "malformed")
            if reason == "not_yet_valid" and not isinstance(claims[error.claim], int | float):
                reason = "malformed"
            raise InvalidToken(reason) from None
        if len(claims["sub"]) > MAX_SUBJECT_LENGTH:
            raise InvalidToken("malformed", "The subject is too long.")


def _decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a compact JWS, read but not trusted."""
    parts = token.split(".")
    # The signature may be empty here ("alg": "none"); the algorithm check refuses it next.
    if len(parts) != 3 or not all(_SEGMENT.match(part) for part in parts) or not parts[0]:
        raise InvalidToken("malformed", "Expected a signed JWT (three base64url parts).")
    try:
        header = json.loads(_b64decode(parts[0]))
        claims = json.loads(_b64decode(parts[1]))
    except (ValueError, binascii.Error):
        raise InvalidToken("malformed") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidToken("malformed")
    return header, claims


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
