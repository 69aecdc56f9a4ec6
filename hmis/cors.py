"""Cross-origin requests from browser frontends (`HMIS_CORS_ORIGINS`).

Only the origins an operator lists may call the API from a browser; with none listed (the
default) no response carries a CORS header and a browser on another origin is refused. The
API authenticates with a bearer token in `Authorization`, never with cookies, so it never
allows credentials, and `*` is refused at startup (`hmis.config.parse_origins`): the data
is personal, so every site that may read it is named (docs/deployment.md).
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED_METHODS = ("GET", "POST")
# What a frontend sends: the token, the JSON body's type, the audit purpose, and what it
# accepts (GraphQL-over-HTTP's media types).
ALLOWED_HEADERS = ("Accept", "Authorization", "Content-Type", "HMIS-Purpose")
# What a frontend may read of a reply: the request ID (to find its audit events), why a token
# was refused, and a download's file name.
EXPOSED_HEADERS = ("X-Request-ID", "WWW-Authenticate", "Content-Disposition")
# A browser asks again after this long (browsers cap it: Chromium at 2 hours).
MAX_AGE_SECONDS = 7200


class Cors:
    """ASGI middleware answering preflights and marking replies to the listed origins."""

    def __init__(self, app: ASGIApp, *, origins: tuple[str, ...]):
        self.app = app
        self.origins = frozenset(origins)
        self.allowed_headers = frozenset(h.lower() for h in ALLOWED_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:  # not a cross-origin browser request
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(origin, headers)(scope, receive, send)
            return
        allowed = origin in self.origins

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                reply = MutableHeaders(scope=message)
                reply.add_vary_header("Origin")  # a cache must not hand one origin's reply on
                if allowed:
                    reply["Access-Control-Allow-Origin"] = origin
                    reply["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
            await send(message)

        await self.app(scope, receive, marked)

    def _preflight(self, origin: str, headers: Headers) -> Response:
        method = headers["access-control-request-method"].strip().upper()
        asked = [h.strip().lower() for h in headers.get("access-control-request-headers", "")
                 .split(",") if h.strip()]  # fmt: skip
        vary = {"Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}
        if origin not in self.origins:
            problem = f"the origin {origin} is not allowed to call this API from a browser"
        elif method not in ALLOWED_METHODS:
            problem = f"method {method} is not allowed; use {' or '.join(ALLOWED_METHODS)}"
        elif unknown := [h for h in asked if h not in self.allowed_headers]:
            problem = (f"request header {unknown[0]} is not allowed; allowed: "
                       f"{', '.join(ALLOWED_HEADERS)}")  # fmt: skip
        else:
            return Response(
                status_code=204,
                headers={
                    **vary,
                    "Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS),
                    "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
                    "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
                },
            )
        # No Access-Control-Allow-Origin: the browser refuses the request; the body says why
        # to whoever reads the network tab.
        body = {"errors": [{"message": f"CORS preflight refused: {problem}.",
                            "extensions": {"code": "CORS_REJECTED"}}]}  # fmt: skip
        return JSONResponse(body, status_code=403, headers=vary)
