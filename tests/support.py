"""Test helpers for calling the API the way callers do: real signed tokens, GraphQL over HTTP.

`LoopbackIssuer` is a token issuer with real keys (RSA, EC, Ed25519: one per algorithm) whose
discovery document and JWKS are served by a small HTTP server on 127.0.0.1, in a thread. Tests
can make it fail (`outage`), rotate its keys, and count what the API fetched from it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, Key, OKPKey, RSAKey

from hmis.app import create_app
from hmis.config import Settings

AUDIENCE = "hmis-graphql"
ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA", "Ed25519")

_GENERATORS = {
    "RS256": lambda p: RSAKey.generate_key(2048, parameters=p),
    "PS256": lambda p: RSAKey.generate_key(2048, parameters=p),
    "ES256": lambda p: ECKey.generate_key("P-256", parameters=p),
    "EdDSA": lambda p: OKPKey.generate_key("Ed25519", parameters=p),
    "Ed25519": lambda p: OKPKey.generate_key("Ed25519", parameters=p),
}


class LoopbackIssuer:
    """An OIDC issuer for tests. `url` is its `iss`; `token(...)` mints access tokens.

    - `outage = True` makes its HTTP endpoints answer 500;
    - `rotate()` replaces every key (new `kid`s); tokens signed before no longer verify;
    - `requests` lists the paths the API fetched, so tests can count JWKS fetches.
    """

    def __init__(self) -> None:
        self.outage = False
        self.requests: list[str] = []
        self.generation = 0
        self.keys: dict[str, Key] = {}
        self.rotate()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LoopbackIssuer:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # --- keys ----------------------------------------------------------------------------

    def rotate(self) -> None:
        """A new key set: new keys under new key IDs; the old keys are no longer published."""
        self.generation += 1
        self.keys = {
            alg: make({"kid": f"{alg.lower()}-{self.generation}", "alg": alg, "use": "sig"})
            for alg, make in _GENERATORS.items()
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.as_dict(private=False) for key in self.keys.values()]}

    @property
    def jwks_fetches(self) -> int:
        return self.requests.count("/jwks.json")

    # --- tokens --------------------------------------------------------------------------

    def claims(
        self,
        roles: Iterable[str] | str | None = (),
        *,
        org: Any = None,
        sub: str = "test-user",
        lifetime: int = 300,
        **extra: Any,
    ) -> dict[str, Any]:
        """Valid claims; `extra` adds or replaces claims, and a value of None removes one
        (`roles=None` sends no `roles` claim at all)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "sub": sub,
            "aud": AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
            "client_id": "partner-frontend",
            "roles": [roles] if isinstance(roles, str) else roles and list(roles),
        }
        if org is not None:
            claims["hmis_org"] = str(org)
        claims.update(extra)
        return {name: value for name, value in claims.items() if value is not None}

    def token(
        self,
        roles: Iterable[str] | str | None = (),
        *,
        org: Any = None,
        sub: str = "test-user",
        alg: str = "RS256",
        header: dict[str, Any] | None = None,
        key: Key | None = None,
        **claims: Any,
    ) -> str:
        """A signed access token: `token("hmis_admin")`, `token("agency_staff", org=org.id)`.

        `alg` picks the issuer's key for that algorithm; `key` signs with another key instead;
        `header` adds or replaces header parameters (e.g. `{"kid": "unknown"}`).
        """
        signing_key = key or self.keys[alg]
        protected = {"alg": alg, "typ": "at+jwt", "kid": signing_key.kid, **(header or {})}
        body = self.claims(roles, org=org, sub=sub, **claims)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)  # "EdDSA" is RFC 9864's old name
            return jwt.encode(protected, body, signing_key, algorithms=[alg])

    # --- HTTP ----------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.requests.append(self.path)
                documents = {
                    "/.well-known/openid-configuration": lambda: {
                        "issuer": issuer.url,
                        "jwks_uri": f"{issuer.url}/jwks.json",
                    },
                    "/jwks.json": issuer.jwks,
                }
                if issuer.outage:
                    self._send(500, {"error": "the issuer is down (test outage)"})
                elif self.path in documents:
                    self._send(200, documents[self.path]())
                else:
                    self._send(404, {"error": "not found"})

            def _send(self, status: int, document: dict) -> None:
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args) -> None:  # keep test output quiet
                pass

        return Handler


def b64url(data: bytes | dict) -> str:
    if isinstance(data, dict):
        data = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def post_graphql(
    api: httpx.AsyncClient,
    query: str,
    variables: dict | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a GraphQL operation to /graphql, with `Authorization: Bearer <token>` if given."""
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    return await api.post("/graphql", json=payload, headers=sent)


async def gql(
    api: httpx.AsyncClient,
    query: str,
    variables: dict | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict]:
    """POST a GraphQL operation; returns (HTTP status, JSON body)."""
    response = await post_graphql(api, query, variables, token, headers)
    return response.status_code, response.json()


def api_settings(database_url: str, issuer: LoopbackIssuer, **overrides: Any) -> Settings:
    """Production settings trusting `issuer`, audience `hmis-graphql`; `overrides` replace any."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "env": "production",
        "oidc_issuer": issuer.url,
        "oidc_audience": AUDIENCE,
        "pseudonym_key": "test-pseudonym-key",
        # Every query the suite sends is answered by graphql-core and by the read plans, and
        # any difference fails the test (conftest `no_plan_mismatches`).
        "fast_reads": "check",
    }
    return Settings(**{**values, **overrides})


@contextlib.asynccontextmanager
async def serve(database_url: str, issuer: LoopbackIssuer, **overrides: Any) -> AsyncIterator:
    """An app with its own settings (see `api_settings`) and an HTTP client for it."""
    app = create_app(api_settings(database_url, issuer, **overrides))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
    finally:
        await app.state.engine.dispose()


async def call(world, who: str, query: str, variables: dict) -> dict:
    """The one payload of `query` asked as `world.tokens[who]`; the request must succeed."""
    status, body = await gql(world.api, query, variables, token=world.tokens[who])
    assert status == 200 and "errors" not in body, body
    (payload,) = body["data"].values()
    return payload
