"""A real OIDC issuer for the benchmark, on loopback: an RS256 key, its discovery document and
JWKS served by a stdlib HTTP server in a thread, and `token(...)` to mint access tokens.

The API under test runs with production settings and finds the keys by OIDC discovery, exactly
as it does against a real identity provider (RS256 is the common default of those).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

AUDIENCE = "hmis-graphql"


class LoopbackIssuer:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "bench-1", "alg": "RS256"})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LoopbackIssuer:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def token(
        self, role: str, *, org: Any = None, sub: str = "bench-user", lifetime: int = 3600
    ) -> str:
        """An RS256 access token for one role (`org`: the `hmis_org` claim)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "sub": sub,
            "aud": AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
            "client_id": "bench-frontend",
            "roles": [role],
        }
        if org is not None:
            claims["hmis_org"] = str(org)
        header = {"alg": "RS256", "typ": "at+jwt", "kid": self.key.kid}
        return jwt.encode(header, claims, self.key, algorithms=["RS256"])

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                documents = {
                    "/.well-known/openid-configuration": {
                        "issuer": issuer.url,
                        "jwks_uri": f"{issuer.url}/jwks.json",
                    },
                    "/jwks.json": {"keys": [issuer.key.as_dict(private=False)]},
                }
                document = documents.get(self.path)
                body = json.dumps(document or {"error": "not found"}).encode()
                self.send_response(200 if document else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args) -> None:
                pass

        return Handler
