"""The development issuer: a local signing key, its JWKS, and tokens for `hmis dev-token`.

It exists only with `HMIS_ENV=development` (the app factory refuses it in production). The key
is generated on first use and kept under `Settings.dev_key_dir` (git-ignored), so tokens printed
by `hmis dev-token` stay valid across restarts of `hmis serve`. The API checks these tokens
against the key it loaded itself; it never fetches its own JWKS over HTTP.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, Key
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .jwks import find_key

DEV_ISSUER_PATH = "/dev-issuer"
DEV_ISSUER_URL = f"http://127.0.0.1:8000{DEV_ISSUER_PATH}"
DEV_CLIENT_ID = "hmis-dev-token"
KEY_FILE = "signing-key.jwk.json"
ALGORITHM = "ES256"


class DevIssuer:
    def __init__(
        self,
        key_dir: Path,
        *,
        audience: str,
        roles_claim: str,
        org_claim: str,
        url: str = DEV_ISSUER_URL,
    ):
        self.key_dir = Path(key_dir)
        self.audience = audience
        self.roles_claim = roles_claim
        self.org_claim = org_claim
        self.url = url
        self._key: ECKey | None = None

    @classmethod
    def from_settings(cls, settings) -> DevIssuer:
        return cls(
            settings.dev_key_dir,
            audience=settings.oidc_audience,
            # Tokens carry roles at the first configured path, so the API reads them back.
            roles_claim=settings.roles_claims[0],
            org_claim=settings.org_claim,
        )

    # --- the key -------------------------------------------------------------------------

    def signing_key(self) -> ECKey:
        if self._key is None:
            self._key = self._load_or_create()
        return self._key

    def _load_or_create(self) -> ECKey:
        path = self.key_dir / KEY_FILE
        if not path.exists():
            self.key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            key = ECKey.generate_key("P-256", parameters={"use": "sig", "alg": ALGORITHM})
            key.ensure_kid()
            # Written aside and hard-linked into place: two processes starting at once (the
            # CLI and the server) both end up with the one key that won, never a torn file.
            scratch = self.key_dir / f".{KEY_FILE}.{uuid.uuid4().hex}"
            fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(key.as_dict(private=True), out)
            try:
                os.link(scratch, path)
            except FileExistsError:
                pass
            finally:
                scratch.unlink()
        return ECKey.import_key(json.loads(path.read_text()))

    async def key_for(self, kid: str | None) -> Key | None:
        """The `KeySource` the API validates development tokens with."""
        return find_key([self.signing_key()], kid)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.signing_key().as_dict(private=False)]}

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "jwks_uri": f"{self.url}/jwks.json",
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "grant_types_supported": [],
            "response_types_supported": [],
            "subject_types_supported": ["public"],
        }

    # --- tokens --------------------------------------------------------------------------

    def mint(
        self,
        *,
        roles: Iterable[str],
        subject: str,
        organization_id: str | None = None,
        lifetime: int = 3600,
    ) -> str:
        key = self.signing_key()
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "sub": subject,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
            "client_id": DEV_CLIENT_ID,
        }
        _set_claim(claims, self.roles_claim, sorted(roles))
        if organization_id is not None:
            _set_claim(claims, self.org_claim, str(organization_id))
        header = {"alg": ALGORITHM, "kid": key.kid, "typ": "at+jwt"}
        return jwt.encode(header, claims, key, algorithms=[ALGORITHM])

    # --- routes --------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        async def jwks(_request: Request) -> JSONResponse:
            return JSONResponse(self.jwks())

        async def discovery(_request: Request) -> JSONResponse:
            return JSONResponse(self.discovery())

        return [
            Route(f"{DEV_ISSUER_PATH}/jwks.json", jwks),
            Route(f"{DEV_ISSUER_PATH}/.well-known/openid-configuration", discovery),
        ]


def _set_claim(claims: dict[str, Any], path: str, value: Any) -> None:
    """Put a value at a dotted claim path (`realm_access.roles`), creating the objects on it."""
    *parents, name = path.split(".")
    for part in parents:
        claims = claims.setdefault(part, {})
    claims[name] = value
