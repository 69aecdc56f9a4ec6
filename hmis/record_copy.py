"""The client's downloadable copy of their record: `GET /my-record.json` and a printable
`GET /my-record.html`, with the client's bearer token.

No second implementation of the rules: the copy is the answer of the GraphQL view itself to a
fixed query (`myRecord`, and the client's own correction requests and complaints), asked in
process with the caller's own `Authorization` and `HMIS-Purpose` headers. Authentication,
the request context, the policy, guards, error masking and the audit log are the view's. Its
refusals pass through unchanged (401 with `WWW-Authenticate`, 403 for a caller who is not a
signed-in client); a login linked to no record is answered 404.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

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
               disabilities { disabilityType disabilityResponse indefiniteAndImpairs } }
      income { incomeFromAnySource totalMonthlyIncome informationDate sources { source amount } }
      domesticViolence { survivor whenOccurred currentlyFleeing informationDate }
      caseNotes { noteDate text }
    }
    accessHistory { organization { name } at action groups }
    disclosures { recipient recipientType legalBasis groups recordedAt }
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


def routes(view) -> list[Route]:
    async def copy(request: Request) -> dict[str, Any] | Response:
        """The copy's data, or the view's refusal."""
        status, headers, body = await ask_view(view, request, COPY_QUERY)
        kept = {k: v for k, v in headers.items() if k.lower() == "www-authenticate"}
        if status != 200 or body.get("errors") or not body.get("data"):
            status = 500 if status == 200 else status
            return JSONResponse({"errors": body.get("errors", [])}, status, {**kept, **PRIVATE})
        if body["data"]["myRecord"] is None:
            return JSONResponse(NOT_LINKED, 404, headers=PRIVATE)
        return body["data"]

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
        policy = "default-src 'none'; style-src 'unsafe-inline'"
        return HTMLResponse(
            render_html(data), headers={**PRIVATE, "Content-Security-Policy": policy}
        )

    return [Route("/my-record.json", as_json), Route("/my-record.html", as_html)]


# --- the printable page ----------------------------------------------------------------------

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; color: #111; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
h2 { font-size: 1.15rem; border-bottom: 2px solid #444; margin-top: 1.6rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0; }
th, td { border: 1px solid #aaa; padding: .25rem .5rem; text-align: left; vertical-align: top; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .4rem 0; }
dt { font-weight: 600; }
dd { margin: 0; white-space: pre-wrap; }
.none { color: #666; font-style: italic; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  h2 { break-after: avoid; }
  tr, dl { break-inside: avoid; }
}
"""
SECTIONS = [  # (heading, path into the data)
    ("Identity", ("myRecord", "client", "identity")),
    ("Demographics", ("myRecord", "client", "demographics")),
    ("Enrollments", ("myRecord", "client", "enrollments")),
    ("Case manager", ("myRecord", "client", "caseManager")),
    ("Contact", ("myRecord", "client", "contact")),
    ("Health", ("myRecord", "client", "health")),
    ("Income", ("myRecord", "client", "income")),
    ("Domestic violence", ("myRecord", "client", "domesticViolence")),
    ("Case notes", ("myRecord", "client", "caseNotes")),
    ("Who accessed your record", ("myRecord", "accessHistory")),
    ("Disclosures outside the HMIS", ("myRecord", "disclosures")),
    ("Your correction requests", ("correctionRequests",)),
    ("Your complaints", ("complaints",)),
]


def _label(name: str) -> str:
    """camelCase to words: `addressLine1` -> `Address line 1`."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z0-9])", " ", name).lower()
    return words[:1].upper() + words[1:]


def _html(value: Any) -> str:
    if value is None or value == []:
        return '<span class="none">none recorded</span>'
    if isinstance(value, dict):
        if set(value) == {"edges"}:  # a connection: its nodes
            return _html([edge["node"] for edge in value["edges"]])
        rows = "".join(f"<dt>{escape(_label(k))}</dt><dd>{_html(v)}</dd>" for k, v in value.items())
        return f"<dl>{rows}</dl>"
    if isinstance(value, list):
        if all(isinstance(item, dict) for item in value):
            keys = list(value[0])
            head = "".join(f"<th>{escape(_label(k))}</th>" for k in keys)
            body = "".join(
                "<tr>" + "".join(f"<td>{_html(item.get(k))}</td>" for k in keys) + "</tr>"
                for item in value
            )
            return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        return escape(", ".join(str(item) for item in value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape(str(value))


def render_html(data: dict[str, Any]) -> str:
    """A printable page of the copy; every value is HTML-escaped."""
    sections = []
    for heading, path in SECTIONS:
        value: Any = data
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        sections.append(f"<section><h2>{escape(heading)}</h2>{_html(value)}</section>")
    printed = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="robots" content="noindex"><title>Your HMIS record</title>'
        f"<style>{STYLE}</style></head><body><h1>Your HMIS record</h1>"
        f"<p>A copy of the information the HMIS holds about you, made {printed}. Case notes "
        "compiled for a legal proceeding are not included.</p>"
        + "".join(sections)
        + "</body></html>\n"
    )
