"""The last word on an exception no route handled: a JSON 500 with a request ID, and one log
line with the exception's type, the path and that ID. Never its message, its chain or a
traceback: a database driver's message quotes the statement and its parameters (a client's
name, SSN, date of birth). The exception ends here, so the server has nothing to log."""

from __future__ import annotations

import logging
import uuid

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hmis import request_limits

log = logging.getLogger("hmis")


class CatchAll:
    """ASGI middleware: every other exception of the app below becomes a 500 (or, once the
    reply has started, a reply cut short)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] in ("http.response.start", "websocket.accept")
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except ClientDisconnect:
            return  # nobody to answer
        except Exception as error:
            request_id = request_id_of(scope)
            log.error("request failed: %s on %s (request %s)", type(error).__name__,
                      scope.get("path", ""), request_id)  # fmt: skip
            if scope["type"] == "http" and not started:
                reply = request_limits.error_response(
                    500, "Internal error.", headers={"X-Request-ID": request_id}
                )
                await reply(scope, receive, send)


def request_id_of(scope: Scope) -> str:
    """The ID of the request's context when it made one (its audit events carry it), else a
    new one."""
    context = scope.get("state", {}).get("hmis_context")
    return getattr(context, "request_id", None) or uuid.uuid4().hex
