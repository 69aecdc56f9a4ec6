"""What an HTTP request to /graphql may be before any GraphQL work starts: a body of bounded
size that arrives in bounded time, uncompressed, strict UTF-8 JSON holding an object. Anything
else is a 4xx with a JSON error saying what is wrong, never a 500 or a hang."""

from __future__ import annotations

import asyncio
import json

from starlette.responses import JSONResponse

# A page query with its variables is a few KiB; a case note of 10,000 characters is 40 KiB at
# most. Bigger bodies only cost parsing time and memory.
MAX_BODY_BYTES = 1024 * 1024
# JSON numbers longer than this are no GraphQL Int or Float (Python refuses > 4,300 digits
# with a ValueError, after converting most of them).
MAX_NUMBER_DIGITS = 400
# The `extensions.code` of a request-level error, by HTTP status.
CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    408: "REQUEST_TIMEOUT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    500: "INTERNAL_SERVER_ERROR",
}


JSON_KINDS = {type(None): "null", bool: "a boolean", int: "a number", float: "a number",
              str: "a string", list: "an array"}  # fmt: skip


class Rejected(Exception):
    """The request cannot be served as sent; `status` and the message say why."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def error_response(status: int, message: str, *, headers: dict[str, str] | None = None,
                   media_type: str = "application/json") -> JSONResponse:  # fmt: skip
    body = {"errors": [{"message": message, "extensions": {"code": CODES.get(status, "ERROR")}}]}
    headers = {**({"Connection": "close"} if status in (408, 413) else {}), **(headers or {})}
    return JSONResponse(body, status, headers=headers, media_type=media_type)


def guard_body(scope, receive, *, timeout: float, limit: int = MAX_BODY_BYTES,
               kind: str = "plain JSON"):  # fmt: skip
    """`receive`, refusing compressed bodies, bodies over `limit` bytes (by the declared
    length at once, else while they arrive) and bodies still incomplete after `timeout`
    seconds (a client that declares more bytes than it sends). `kind`: what the body should
    be, for the message refusing a compressed one."""
    headers = dict(scope.get("headers") or ())
    encoding = headers.get(b"content-encoding", b"identity").decode("latin-1").strip().lower()
    if encoding not in ("", "identity"):
        raise Rejected(415, f"Content-Encoding {encoding!r} is not accepted: send the body as "
                       f"{kind}")  # fmt: skip
    declared = headers.get(b"content-length", b"0")
    if declared.isdigit() and int(declared) > limit:
        raise Rejected(413, f"The request body is larger than {limit} bytes")
    deadline = asyncio.get_running_loop().time() + timeout
    received = 0

    async def guarded():
        nonlocal received
        try:
            async with asyncio.timeout_at(deadline):
                message = await receive()
        except TimeoutError:
            raise Rejected(408, f"The request body did not arrive within {timeout:g} seconds "
                           "(shorter than its Content-Length?)") from None  # fmt: skip
        received += len(message.get("body", b""))
        if received > limit:
            raise Rejected(413, f"The request body is larger than {limit} bytes")
        return message

    return guarded


def _number(kind):
    def parse(text: str):
        if len(text) > MAX_NUMBER_DIGITS:
            raise Rejected(400, f"A number in the request has more than {MAX_NUMBER_DIGITS} "
                           "digits")  # fmt: skip
        return kind(text)

    return parse


def _no_constant(name: str):
    raise Rejected(400, f"`{name}` is not JSON")


def decode_json(data: str | bytes) -> dict:
    """A JSON object, from UTF-8 text; every way it can fail is a `Rejected` (400)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise Rejected(400, f"The request body is not UTF-8 (byte {error.start})") from None
    try:
        value = json.loads(data, parse_int=_number(int), parse_float=_number(float),
                           parse_constant=_no_constant)  # fmt: skip
    except json.JSONDecodeError as error:
        raise Rejected(400, f"The request body is not JSON: {error.msg} at line "
                       f"{error.lineno}, column {error.colno}") from None  # fmt: skip
    except RecursionError:
        raise Rejected(400, "The request's JSON is nested too deeply") from None
    if not isinstance(value, dict):
        kind = JSON_KINDS.get(type(value), "a value")
        raise Rejected(400, f'Expected a JSON object ({{"query": ...}}), got {kind}')
    return value
