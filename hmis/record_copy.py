"""The client's downloadable copy of their record: `GET /my-record.json` and a printable
`GET /my-record.html`, with the client's bearer token.

No second implementation of the rules: the copy is the answer of the GraphQL view itself to a
fixed query (`myRecord`, and the client's own correction requests and complaints), asked in
process with the caller's own `Authorization` and `HMIS-Purpose` headers. Authentication,
the request context, the policy, guards, error masking and the audit log are the view's. Its
refusals pass through unchanged (401 with `WWW-Authenticate`, 403 for a caller who is not a
signed-in client); a login linked to no record is answered 404. A browser (Accept: text/html)
gets those refusals as a page a person understands (`hmis.record_text.ERROR_PAGES`); API clients
get JSON, without the positions in the internal query that mean nothing to them.
"""

from __future__ import annotations

import asyncio
import json
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from hmis.graphql_http import media_ranges
from hmis.record_page import Labels, render_html
from hmis.record_text import ERROR_PAGES, SERVER_ERROR

COPY_QUERY = """
query MyRecordCopy {
  myRecord {
    client {
      id
      identity { firstName middleName lastName nameSuffix nameDataQuality ssn ssnDataQuality
                 dob dobDataQuality }
      demographics { race additionalRaceEthnicity sex gender differentIdentityText veteranStatus }
      enrollments(first: 200) { edges { node {
        entryDate exitDate destination reasonForLeaving
        project { name organization { name } }
        household { householdId relationshipToHoH } } } }
      caseManager { firstName lastName phone extension email organization { name } startDate }
      contact { phone email addressLine1 city state zip }
      health { disablingCondition informationDate
               disabilities { disabilityType disabilityResponse indefiniteAndImpairs
                              informationDate } }
      income { incomeFromAnySource totalMonthlyIncome informationDate sources { source amount } }
      domesticViolence { survivor whenOccurred currentlyFleeing informationDate }
      caseNotes { noteDate text }
    }
    accessHistory { organization { name } actingRole at action purpose groups }
    disclosures { recipient recipientType legalBasis reference groups recordedAt }
  }
  correctionRequests { field requestedValue status requestedAt resolvedAt reason }
  complaints { text status filedAt history { status note at } }
}
"""
FORWARDED = (b"authorization", b"hmis-purpose")
PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
NOT_LINKED = {
    "errors": [
        {
            "message": "No client record is linked to your login.",
            "extensions": {"code": "NOT_FOUND"},
        }
    ]
}


async def ask_view(
    view, request: Request, query: str, variables: dict | None = None
) -> tuple[int, dict[str, str], dict]:
    """POST `query` to the GraphQL view in process, as this request's caller."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    headers = [(k, v) for k, v in request.headers.raw if k.lower() in FORWARDED]
    headers += [
        (b"content-type", b"application/json"),
        (b"accept", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    scope = {
        **request.scope,
        "method": "POST",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "headers": headers,
        "state": {"hmis_export": True},  # the view audits what it returns as an export
    }
    chunks = [{"type": "http.request", "body": body, "more_body": False}]
    reply: dict[str, Any] = {"body": b""}

    async def receive():
        if chunks:
            return chunks.pop()
        await asyncio.Event().wait()  # the view never reads past the body

    async def send(message):
        if message["type"] == "http.response.start":
            reply["status"] = message["status"]
            reply["headers"] = {k.decode(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            reply["body"] += message.get("body", b"")

    await view(scope, receive, send)
    return reply["status"], reply["headers"], json.loads(reply["body"] or b"{}")


def wants_html(request: Request) -> bool:
    """A browser's request (it names text/html), not an API client's (JSON or */*)."""
    accept = request.headers.get("accept", "")
    return any(kind == "text/html" and q > 0 for kind, q in media_ranges(accept))


def error_page(status: int, headers: dict[str, str]) -> HTMLResponse:
    title, text = ERROR_PAGES.get(status, SERVER_ERROR)
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{ERROR_STYLE}</style></head><body><main>"
        f"<h1>{escape(title)}</h1><p>{escape(text)}</p></main></body></html>\n"
    )
    return HTMLResponse(page, status, headers={**headers, "Content-Security-Policy": POLICY})


ERROR_STYLE = (
    "body{font:17px/1.5 system-ui,sans-serif;color:#111;margin:0}"
    "main{max-width:36rem;margin:4rem auto;padding:0 1.25rem}h1{font-size:1.5rem}"
)
# The page is self-contained: its style inline, nothing loaded, nothing run.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def routes(view) -> list[Route]:
    labels = Labels(view.schema._schema)

    async def copy(request: Request) -> dict[str, Any] | Response:
        """The copy's data, or the view's refusal (a page for a browser, JSON otherwise)."""
        status, headers, body = await ask_view(view, request, COPY_QUERY)
        kept = {k: v for k, v in headers.items() if k.lower() == "www-authenticate"}
        if status == 200 and not body.get("errors") and body.get("data"):
            if body["data"]["myRecord"] is not None:
                return body["data"]
            status, body = 404, NOT_LINKED
        status = 500 if status == 200 else status
        if wants_html(request):
            return error_page(status, {**kept, **PRIVATE})
        errors = [
            {"message": e.get("message"), "extensions": e.get("extensions", {})}
            for e in body.get("errors", [])
        ]  # where in the internal query it failed means nothing to the caller
        return JSONResponse({"errors": errors}, status, {**kept, **PRIVATE})

    async def as_json(request: Request) -> Response:
        data = await copy(request)
        if isinstance(data, Response):
            return data
        disposition = {"Content-Disposition": 'attachment; filename="my-record.json"'}
        return Response(
            json.dumps(data, indent=2, ensure_ascii=False),
            media_type="application/json",
            headers={**PRIVATE, **disposition},
        )

    async def as_html(request: Request) -> Response:
        data = await copy(request)
        if isinstance(data, Response):
            return data
        return HTMLResponse(
            render_html(data, labels), headers={**PRIVATE, "Content-Security-Policy": POLICY}
        )

    return [Route("/my-record.json", as_json), Route("/my-record.html", as_html)]
